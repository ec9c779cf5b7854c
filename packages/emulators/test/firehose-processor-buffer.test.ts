/**
 * The transform's processor buffer is bounded so that no invocation request reaches Lambda's 6 MB: the worst case
 * (a hint's worth of the smallest records with the longest metadata, then one record of Kinesis's maximum size) is
 * built for real, grouped into invocations as the local Firehose groups them, and measured with the real event JSON,
 * and the bound derived from the formula holds (packages/core/src/firehose/processor-buffer.ts).
 */
import { describe, expect, it } from "vitest";
import { envelopeBytes, eventRecordBytes, eventRecordOf, transformEvent } from "@eventlake/core/firehose/invocations";
import { planInvocations } from "../src/firehose/invocation-plan";
import {
  MIN_STREAM_RECORD_BYTES,
  STREAM_RECORD_LIMITS,
  maxEnvelopeBytes,
  maxProcessorBufferMb,
  worstCaseTransformRequestBytes,
} from "@eventlake/core/firehose/processor-buffer";
import { FIREHOSE, KINESIS } from "@eventlake/core/limits";
import { STAGES, stageConfig, validateStageConfig } from "@eventlake/core/stage-config";

const MB = 1024 * 1024;
const envelope = {
  invocationId: "00000000-0000-4000-8000-000000000000",
  deliveryStreamArn: `arn:aws:firehose:ap-southeast-4:123456789012:deliverystream/${"x".repeat(64)}`,
  sourceKinesisStreamArn: `arn:aws:kinesis:ap-southeast-4:123456789012:stream/${"x".repeat(128)}`,
  region: "ap-southeast-4",
};
let seq = 0;
const record = (size: number) =>
  eventRecordOf({
    shardId: "shardId-000000000123",
    partitionKey: "k".repeat(KINESIS.maxPartitionKeyChars),
    sequenceNumber: String(49_680_571_035_624_072_755_988_056_150_178_605_343_227_309_854_424_039_420n + BigInt(seq++)),
    subsequenceNumber: 999_999,
    arrivalMs: 1_700_000_000_000,
    data: new Uint8Array(size).fill(0x61),
  });

/** The worst case for a hint: the smallest records up to just under it, then one largest record. */
function worstCaseRequest(bufferMb: number) {
  const hint = Math.round(bufferMb * MB);
  const small = Array.from({ length: Math.ceil(hint / MIN_STREAM_RECORD_BYTES) - 1 }, () => record(MIN_STREAM_RECORD_BYTES));
  const records = [...small, record(STREAM_RECORD_LIMITS.largestRecordBytes)];
  const plan = planInvocations(records.map(eventRecordBytes), records.map((r) => Buffer.from(r.data, "base64").byteLength), {
    envelopeBytes: envelopeBytes(envelope),
    bufferSizeBytes: hint,
  });
  // One invocation: the hint is reached only by the last (largest) record.
  expect([...plan.batches, ...plan.tooLarge.map((t) => t.records)]).toHaveLength(1);
  return Buffer.byteLength(JSON.stringify(transformEvent(envelope, records)));
}

describe("processor buffer bound", () => {
  it("the formula is never below a real worst-case request", () => {
    for (const mb of [0.2, 0.9]) {
      const real = worstCaseRequest(mb);
      expect(worstCaseTransformRequestBytes(mb, STREAM_RECORD_LIMITS)).toBeGreaterThanOrEqual(real);
      // ...and close to it (the bound is not so loose it wastes the buffer): within 1%.
      expect(worstCaseTransformRequestBytes(mb, STREAM_RECORD_LIMITS)).toBeLessThan(real * 1.01);
    }
    expect(maxEnvelopeBytes()).toBeGreaterThanOrEqual(envelopeBytes(envelope));
  });

  it("every stage's buffer keeps the worst case under Lambda's 6 MB; AWS's 3 MB maximum would not", () => {
    const bound = maxProcessorBufferMb(STREAM_RECORD_LIMITS)!;
    expect(bound).toBe(0.9);
    expect(worstCaseRequest(bound)).toBeLessThan(FIREHOSE.maxLambdaPayloadBytes);
    expect(worstCaseTransformRequestBytes(bound + 0.1, STREAM_RECORD_LIMITS)).toBeGreaterThanOrEqual(FIREHOSE.maxLambdaPayloadBytes);
    for (const [name, config] of Object.entries(STAGES)) {
      expect(config.rawArchive.transformBufferSizeMb, name).toBeLessThanOrEqual(bound);
    }
    // The old production setting: 3 MB of 500-byte events is a request of over 6 MB.
    expect(worstCaseTransformRequestBytes(3, { largestRecordBytes: 500, smallestRecordBytes: 500 })).toBeGreaterThan(FIREHOSE.maxLambdaPayloadBytes);
    const prod = stageConfig("prod");
    expect(validateStageConfig({ ...prod, rawArchive: { ...prod.rawArchive, transformBufferSizeMb: 3 } }).join("\n")).toMatch(
      /transformBufferSizeMb 3 can make a transform request of \d+ bytes, over Lambda's 6 MB.*at most 0\.9/,
    );
  });
});
