/**
 * Contract: the transform Lambda (functions/firehose-transform.ts), run in a Lambda sandbox exactly as the local
 * Firehose runs it, against Firehose transformation events in the real shape (Kinesis source, KPL sub-records
 * sharing a sequence number), judged the way Firehose judges the answer.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FirehoseTransformationEvent } from "aws-lambda";
import type { FirehoseTransformEvent, FirehoseTransformResponse } from "@eventlake/core/firehose/contract";
import { judgeTransformResponse } from "@eventlake/emulators/firehose/response";
import { FIREHOSE } from "@eventlake/core/limits";
import { LambdaInvocationError, LocalLambda } from "@eventlake/emulators/lambda/local-lambda";
import { firehoseTransformFunction } from "@eventlake/core/functions/firehose-transform";

const M = firehoseTransformFunction.metrics;

const ROOT = join(import.meta.dirname, "..", "..");
const fixture = JSON.parse(readFileSync(join(import.meta.dirname, "fixtures", "firehose-kinesis-source-event.json"), "utf8")) as FirehoseTransformEvent;
// The fixture also satisfies the community typing of the event (which types subsequenceNumber as a string).
const typed: Omit<FirehoseTransformationEvent, "records"> = fixture;

const logs: string[] = [];
let fn: LocalLambda;
beforeAll(() => {
  fn = new LocalLambda({
    functionName: "eventlake-test-firehose-transform",
    handlerFile: join(ROOT, firehoseTransformFunction.sourceFile),
    env: { ...firehoseTransformFunction.toEnv({ metricsNamespace: "eventlake/test" }), PATH: process.env.PATH ?? "" },
    timeoutMs: 20_000,
    region: "us-east-1",
    onLogLine: (line) => logs.push(line),
  });
});
afterAll(() => fn?.close());

const decode = (data: string) => Buffer.from(data, "base64");
const invoke = (event: unknown) => fn.invoke<FirehoseTransformResponse>(event);

describe("firehose-transform against a Kinesis-source event", () => {
  let response: FirehoseTransformResponse;
  beforeAll(async () => {
    response = await invoke(fixture);
  }, 60_000);

  it("echoes every recordId exactly once, in order, with a valid result and base64 data", () => {
    expect(typed.invocationId).toBe(fixture.invocationId);
    expect(response.records.map((r) => r.recordId)).toEqual(fixture.records.map((r) => r.recordId));
    for (const r of response.records) {
      expect(Object.keys(r).sort()).toEqual(["data", "recordId", "result"]);
      expect(Buffer.from(r.data, "base64").toString("base64")).toBe(r.data);
    }
    const judged = judgeTransformResponse(fixture.records.map((r) => r.recordId), response);
    expect(judged).toMatchObject({ extraRecordIds: [], returnedCount: 8, expectedCount: 8 });
    expect(judged.malformed).toBeUndefined();
  });

  it("keeps canonical events and bad rows byte for byte, one NDJSON line each", () => {
    expect(response.records.map((r) => r.result)).toEqual(["Ok", "Ok", "Ok", "Ok", "ProcessingFailed", "ProcessingFailed", "ProcessingFailed", "ProcessingFailed"]);
    for (let i = 0; i < 4; i++) {
      const original = decode(fixture.records[i]!.data);
      expect(decode(response.records[i]!.data)).toEqual(Buffer.concat([original, Buffer.from("\n")]));
    }
    const ndjson = response.records.slice(0, 4).map((r) => decode(r.data).toString("utf8")).join("");
    expect(ndjson.split("\n").filter(Boolean).map((line) => (JSON.parse(line) as { kind: string }).kind)).toEqual(["event", "event", "bad_row", "event"]);
  });

  it("marks undecodable bytes, plain text, JSON arrays and non-canonical objects ProcessingFailed, data untouched", () => {
    for (let i = 4; i < 8; i++) expect(response.records[i]!.data).toBe(fixture.records[i]!.data);
  });

  it("emits counts as EMF metrics and logs no record content", async () => {
    // The sandbox's stdout reaches the parent after its answer: wait for the lines.
    const parsed = () => logs.map((l) => JSON.parse(l.startsWith("{") ? l : "{}") as Record<string, unknown>);
    for (let i = 0; i < 200 && !parsed().some((l) => "_aws" in l && M.recordsOk in l); i++) await new Promise((r) => setTimeout(r, 25));
    const emf = parsed().find((l) => "_aws" in l && M.recordsOk in l);
    expect(emf).toMatchObject({ [M.recordsIn]: 8, [M.recordsOk]: 4, [M.recordsFailed]: 4, [M.badRowsArchived]: 1, service: firehoseTransformFunction.service });
    expect((emf as { _aws: { CloudWatchMetrics: { Namespace: string }[] } })._aws.CloudWatchMetrics[0]!.Namespace).toBe("eventlake/test");
    const log = logs.find((l) => l.includes('"firehose transform"'));
    expect(JSON.parse(log!)).toMatchObject({ level: "WARN", records: 8, processingFailed: 4, failedByProblem: { invalid_utf8: 1, malformed_json: 1, not_an_object: 1, unknown_kind: 1 } });
    const all = logs.join("\n");
    for (const secret of ["fixture-0", "naïve", "not canonical", "plain text"]) expect(all).not.toContain(secret);
  });
});

describe("firehose-transform limits and bad invocations", () => {
  it("answers a batch at the 6 MB request limit within the response limit", async () => {
    const big = (i: number) =>
      Buffer.from(
        JSON.stringify({
          kind: "event",
          formatVersion: 1,
          messageId: `big-${i}`,
          type: "track",
          event: "Big",
          userId: "u",
          properties: { blob: "x".repeat(30_000) },
          receivedAt: "2026-11-26T02:26:40.123Z",
          timestamp: "2026-11-26T02:26:40.123Z",
          sourceId: "web",
          schemaVersion: null,
        }),
      ).toString("base64");
    const template = fixture.records[0]!;
    const records: FirehoseTransformEvent["records"] = [];
    let size = Buffer.byteLength(JSON.stringify({ ...fixture, records: [] })) - 1; // minus the first record's comma
    for (let i = 0; ; i++) {
      const next = { ...template, recordId: `${template.kinesisRecordMetadata!.sequenceNumber}${String(i).padStart(6, "0")}`, data: big(i) };
      const added = Buffer.byteLength(JSON.stringify(next)) + 1;
      if (size + added >= FIREHOSE.maxLambdaPayloadBytes) break;
      records.push(next);
      size += added;
    }
    const event: FirehoseTransformEvent = { ...fixture, records };
    const requestBytes = Buffer.byteLength(JSON.stringify(event));
    expect(requestBytes).toBe(size);
    expect(requestBytes).toBeGreaterThan(FIREHOSE.maxLambdaPayloadBytes - 50_000);
    const answer = await invoke(event);
    const responseBytes = Buffer.byteLength(JSON.stringify(answer));
    expect(answer.records).toHaveLength(records.length);
    expect(answer.records.every((r) => r.result === "Ok")).toBe(true);
    expect(responseBytes).toBeLessThan(requestBytes);
    expect(responseBytes).toBeLessThanOrEqual(FIREHOSE.maxLambdaResponseBytes);
  }, 60_000);

  it("answers an empty batch with no records", async () => {
    expect(await invoke({ ...fixture, records: [] })).toEqual({ records: [] });
  });

  it("fails the invocation (Firehose retries it) on something that is not a transformation event", async () => {
    const error = await invoke({ hello: "world" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LambdaInvocationError);
    expect((error as LambdaInvocationError).errorType).toBe("InvalidTransformEventError");
  });
});
