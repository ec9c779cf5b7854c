/**
 * The local Firehose's models of what Firehose does around the transform: judging its response, building and
 * grouping invocations, error documents and shard positions.
 */
import { describe, expect, it } from "vitest";
import { PROCESSING_ERRORS } from "@eventlake/core/firehose/contract";
import { envelopeBytes, eventRecordBytes, eventRecordOf, recordIdOf, transformEvent } from "@eventlake/core/firehose/invocations";
import { transformRecords } from "@eventlake/core/firehose/transform";
import { FIREHOSE } from "@eventlake/core/limits";
import { errorDocumentLine, processingFailedDocument } from "../src/firehose/error-output";
import { planInvocations } from "../src/firehose/invocation-plan";
import { comparePositions, isAfter } from "../src/firehose/positions";
import { judgeTransformResponse, responseIsTooLarge } from "../src/firehose/response";

const EVENT = {
  kind: "event",
  formatVersion: 1,
  messageId: "m-1",
  type: "track",
  event: "Signed Up",
  userId: "u1",
  properties: { plan: "pro", text: "naïve café ✓" },
  receivedAt: "2026-01-02T03:04:05.678Z",
  timestamp: "2026-01-02T03:04:05.000Z",
  sourceId: "web",
  schemaVersion: null,
};
const BAD_ROW = {
  kind: "bad_row",
  formatVersion: 1,
  reason: "malformed_json",
  message: "Unexpected token",
  index: 1,
  sourceId: "web",
  receivedAt: "2026-01-02T03:04:05.678Z",
  endpoint: "/v1/events",
  payload: "{broken",
  payloadTruncated: false,
};
const bytes = (text: string) => new TextEncoder().encode(text);
const b64 = (data: Uint8Array | string) => Buffer.from(typeof data === "string" ? bytes(data) : data).toString("base64");

describe("the transform's answer, as Firehose judges it", () => {
  const event = (records: { recordId: string; data: unknown }[]) => ({
    invocationId: "inv-1",
    deliveryStreamArn: "arn:aws:firehose:us-east-1:123456789012:deliverystream/s",
    sourceKinesisStreamArn: "arn:aws:kinesis:us-east-1:123456789012:stream/k",
    region: "us-east-1",
    records: records.map((r) => ({ approximateArrivalTimestamp: 1, ...r })),
  });

  it("echoes every recordId once in order, Ok with bytes + newline, ProcessingFailed for the rest", () => {
    const input = [
      { recordId: "1", data: b64(JSON.stringify(EVENT)) },
      { recordId: "2", data: b64("not json") },
      { recordId: "3", data: b64(JSON.stringify(BAD_ROW)) },
      { recordId: "4", data: "!!not base64!!" },
      { recordId: "5", data: b64(Uint8Array.of(0xc3, 0x28)) },
    ];
    const { response, summary } = transformRecords(event(input));
    expect(response.records.map((r) => [r.recordId, r.result])).toEqual([
      ["1", "Ok"],
      ["2", "ProcessingFailed"],
      ["3", "Ok"],
      ["4", "ProcessingFailed"],
      ["5", "ProcessingFailed"],
    ]);
    expect(Buffer.from(response.records[0]!.data, "base64").toString("utf8")).toBe(`${JSON.stringify(EVENT)}\n`);
    expect(response.records[1]!.data).toBe(input[1]!.data);
    expect(response.records[3]!.data).toBe("");
    expect(summary).toMatchObject({ records: 5, ok: 2, processingFailed: 3, kinds: { event: 1, bad_row: 1 } });
    expect(summary.failedByProblem).toEqual({ malformed_json: 1, invalid_base64: 1, invalid_utf8: 1 });
    expect(summary.responseBytes).toBe(Buffer.byteLength(JSON.stringify(response)));
    // What Firehose would make of it.
    const judged = judgeTransformResponse(input.map((r) => r.recordId), response);
    expect(judged.verdicts.map((v) => v.outcome)).toEqual(["ok", "failed", "ok", "failed", "failed"]);
  });
});

describe("judging a transform's response as Firehose does", () => {
  const ids = ["a", "b", "c"];
  const ok = (recordId: string, text = recordId) => ({ recordId, result: "Ok", data: b64(text) });

  it("delivers Ok, counts Dropped as success, sends ProcessingFailed to the error output", () => {
    const judged = judgeTransformResponse(ids, { records: [ok("a", "A\n"), { recordId: "b", result: "Dropped", data: "" }, { recordId: "c", result: "ProcessingFailed", data: b64("c") }] });
    expect(judged.verdicts[0]).toEqual({ recordId: "a", outcome: "ok", data: Buffer.from("A\n") });
    expect(judged.verdicts[1]).toEqual({ recordId: "b", outcome: "dropped" });
    expect(judged.verdicts[2]).toEqual({ recordId: "c", outcome: "failed", error: PROCESSING_ERRORS.processingFailed });
  });

  it("fails missing, duplicated and malformed answers per record, ignores unknown recordIds", () => {
    const judged = judgeTransformResponse(ids, {
      records: [ok("a"), ok("a"), { recordId: "b", result: "Maybe", data: b64("b") }, ok("zzz"), { result: "Ok", data: "" }],
    });
    expect(judged.verdicts.map((v) => (v.outcome === "failed" ? v.error.errorCode : v.outcome))).toEqual([
      "Lambda.DuplicatedRecordId",
      "Lambda.JsonProcessingException",
      "Lambda.MissingRecordId",
    ]);
    expect(judged).toMatchObject({ extraRecordIds: ["zzz"], returnedCount: 5, expectedCount: 3 });
  });

  it.each([
    ["data missing", { recordId: "a", result: "Ok" }],
    ["data not base64", { recordId: "a", result: "Ok", data: "%%%" }],
    ["result missing", { recordId: "a", data: b64("a") }],
    ["metadata without partitionKeys", { ...ok("a"), metadata: {} }],
    ["a partition key that is not a string", { ...ok("a"), metadata: { partitionKeys: { k: 1 } } }],
  ])("fails a record with %s (Lambda.JsonProcessingException)", (_, answer) => {
    const judged = judgeTransformResponse(["a"], { records: [answer] });
    expect(judged.verdicts).toEqual([{ recordId: "a", outcome: "failed", error: PROCESSING_ERRORS.jsonProcessing }]);
  });

  it("fails every record of a response that is not {records: [...]}", () => {
    for (const response of [undefined, null, "ok", [], { records: "x" }, { Records: [] }]) {
      const judged = judgeTransformResponse(ids, response);
      expect(judged.malformed).toBeDefined();
      expect(judged.verdicts.every((v) => v.outcome === "failed" && v.error === PROCESSING_ERRORS.jsonProcessing)).toBe(true);
    }
  });

  it("delivers a record with well-formed partition-key metadata, and treats responses over 6,291,556 bytes as failed invocations", () => {
    const judged = judgeTransformResponse(["a"], { records: [{ ...ok("a"), metadata: { partitionKeys: { customer: "acme" } } }] });
    expect(judged.verdicts[0]).toMatchObject({ outcome: "ok" });
    expect(responseIsTooLarge(FIREHOSE.maxLambdaResponseBytes)).toBe(false);
    expect(responseIsTooLarge(FIREHOSE.maxLambdaResponseBytes + 1)).toBe(true);
  });
});

describe("invocations", () => {
  const source = (i: number, size: number, sub = 0) => ({
    shardId: "shardId-000000000001",
    partitionKey: `user-${i}`,
    sequenceNumber: `4968057103562407275598805615017860534322730985442403942${i % 10}`,
    subsequenceNumber: sub,
    arrivalMs: 1_700_000_000_000 + i,
    data: new Uint8Array(size).fill(0x61),
  });
  const envelope = { invocationId: "00000000-0000-4000-8000-000000000000", deliveryStreamArn: "arn:aws:firehose:us-east-1:000000000000:deliverystream/s", sourceKinesisStreamArn: "arn:aws:kinesis:us-east-1:000000000000:stream/k", region: "us-east-1" };

  it("builds the Kinesis-source event shape, sub-records sharing the sequence number", () => {
    const records = [source(1, 3, 0), source(1, 3, 1)].map(eventRecordOf);
    const event = transformEvent(envelope, records);
    expect(event).toEqual({ ...envelope, records });
    expect(records[1]).toEqual({
      recordId: `${source(1, 3).sequenceNumber}000001`,
      approximateArrivalTimestamp: 1_700_000_000_001,
      data: "YWFh",
      kinesisRecordMetadata: {
        shardId: "shardId-000000000001",
        partitionKey: "user-1",
        approximateArrivalTimestamp: 1_700_000_000_001,
        sequenceNumber: source(1, 3).sequenceNumber,
        subsequenceNumber: 1,
      },
    });
    expect(records[0]!.recordId).not.toBe(records[1]!.recordId);
    expect(recordIdOf({ sequenceNumber: "7", subsequenceNumber: 12 })).toBe("7000012");
  });

  const requestOf = (records: ReturnType<typeof eventRecordOf>[], batch: number[]) =>
    Buffer.byteLength(JSON.stringify(transformEvent(envelope, batch.map((i) => records[i]!))));

  it("closes invocations at the buffer-size hint, and measures each request exactly", () => {
    const records = Array.from({ length: 40 }, (_, i) => eventRecordOf(source(i, 200_000)));
    const sizes = records.map(eventRecordBytes);
    const base = envelopeBytes(envelope);
    const plan = planInvocations(sizes, records.map(() => 200_000), { envelopeBytes: base, bufferSizeBytes: 1024 * 1024 });
    expect(plan.tooLarge).toEqual([]);
    expect(plan.batches.flat()).toEqual(records.map((_, i) => i));
    for (const batch of plan.batches.slice(0, -1)) {
      // Closed by the first record that reaches the hint: everything before it stays under.
      expect((batch.length - 1) * 200_000).toBeLessThan(1024 * 1024);
      expect(batch.length * 200_000).toBeGreaterThanOrEqual(1024 * 1024);
      expect(requestOf(records, batch)).toBeLessThan(FIREHOSE.maxLambdaPayloadBytes);
    }
  });

  it("does not split a request over Lambda's 6 MB (Firehose does not): the invocation is refused, as Lambda refuses it", () => {
    // AWS's largest hint, 3 MB, of 500-byte events: base64 and metadata make the request about 2.5x the data.
    const records = Array.from({ length: 6292 }, (_, i) => eventRecordOf(source(i, 500)));
    const sizes = records.map(eventRecordBytes);
    const plan = planInvocations(sizes, records.map(() => 500), { envelopeBytes: envelopeBytes(envelope), bufferSizeBytes: 3 * 1024 * 1024 });
    expect(plan.batches).toEqual([]);
    expect(plan.tooLarge).toHaveLength(1);
    const refused = plan.tooLarge[0]!;
    expect(refused.records).toHaveLength(6292); // ceil(3 MiB / 500 B): closed when the data reaches the hint
    expect(refused.requestBytes).toBe(requestOf(records, refused.records)); // exact, not estimated
    expect(refused.requestBytes).toBeGreaterThan(FIREHOSE.maxLambdaPayloadBytes);
    // A single record too large for any request is refused the same way.
    const huge = eventRecordOf(source(99, 4_800_000));
    const alone = planInvocations([eventRecordBytes(huge)], [4_800_000], { envelopeBytes: envelopeBytes(envelope), bufferSizeBytes: 1 });
    expect(alone.batches).toEqual([]);
    expect(alone.tooLarge.map((t) => t.records)).toEqual([[0]]);
  });
});

describe("error documents and positions", () => {
  it("writes processing-failed documents with Firehose's keys in order", () => {
    const doc = processingFailedDocument({
      attemptsMade: 4,
      arrivalTimestamp: 1,
      error: PROCESSING_ERRORS.functionError,
      attemptEndingTimestamp: 2,
      rawData: "eA==",
      lambdaArn: "arn:aws:lambda:us-east-1:000000000000:function:f:$LATEST",
    });
    expect(Object.keys(doc)).toEqual(["attemptsMade", "arrivalTimestamp", "errorCode", "errorMessage", "attemptEndingTimestamp", "rawData", "lambdaArn"]);
    expect(errorDocumentLine(doc)).toBe(`${JSON.stringify(doc)}\n`);
    expect(doc.errorCode).toBe("Lambda.FunctionError");
  });

  it("orders positions by sequence number (128-bit) then subsequence", () => {
    const a = { sequenceNumber: "49680571035624072755988056150178605343227309991862992898", subsequenceNumber: 3 };
    const b = { sequenceNumber: "49680571035624072755988056150179814269046924621037699074", subsequenceNumber: 0 };
    expect(comparePositions(a, b)).toBeLessThan(0);
    expect(comparePositions(a, { ...a, subsequenceNumber: 4 })).toBeLessThan(0);
    expect(isAfter(a, undefined)).toBe(true);
    expect(isAfter(a, a)).toBe(false);
    expect(isAfter(b, a)).toBe(true);
  });
});
