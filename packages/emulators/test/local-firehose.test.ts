/**
 * The local Firehose against the real local Kinesis and S3, with transforms that break the contract on purpose
 * (test/fixtures/firehose/misbehaving-transform.ts): each case must end the way Firehose ends it, with every record
 * either delivered to raw/ or written to the error output with its original bytes, and checkpoints that only move
 * past stored objects.
 */
import { CreateStreamCommand, DescribeStreamSummaryCommand, KinesisClient, PutRecordsCommand, UpdateShardCountCommand } from "@aws-sdk/client-kinesis";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { clientConfig } from "@eventlake/adapters/aws-config";
import { S3ObjectStore } from "@eventlake/adapters/s3-object-store";
import { aggregate } from "@eventlake/core/kinesis/kpl";
import type { ObjectStore } from "@eventlake/core/ports";
import { RAW_ARCHIVE } from "@eventlake/core/firehose/raw-archive";
import { stageConfig } from "@eventlake/core/stage-config";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../../../test/helpers/temp-dir";
import { localFirehoseConfig, type LocalFirehoseConfig } from "../src/firehose/config";
import { LocalFirehose } from "../src/firehose/local-firehose";
import { startLocalKinesis, type LocalKinesis } from "../src/kinesis";
import { LocalLambda } from "../src/lambda/local-lambda";
import { startLocalS3, type LocalS3 } from "../src/s3/server";
import type { ProcessingFailedDocument } from "@eventlake/emulators/firehose/error-output";
import { INVOCATIONS_LOG_VARIABLE } from "../../../test/fixtures/firehose/misbehaving-transform";

const ROOT = join(import.meta.dirname, "..", "..", "..");
const REGION = "us-east-1";
const tmp = tempDir("firehose");
const invocationsLog = join(tmp.dir, "invocations.ndjson");
let s3: LocalS3;
let kinesis: LocalKinesis;
let kc: KinesisClient;
let s3c: S3Client;
let misbehaving: LocalLambda;
let slow: LocalLambda;
const firehoses: LocalFirehose[] = [];

const lambda = (timeoutMs: number) =>
  new LocalLambda({
    functionName: `eventlake-test-misbehaving-${timeoutMs}`,
    handlerFile: join(ROOT, "test", "fixtures", "firehose", "misbehaving-transform.ts"),
    env: { [INVOCATIONS_LOG_VARIABLE]: invocationsLog, PATH: process.env.PATH ?? "" },
    timeoutMs,
    region: REGION,
  });

beforeAll(async () => {
  s3 = await startLocalS3({ rootDir: join(tmp.dir, "s3"), port: 0 });
  kinesis = await startLocalKinesis({ dataDir: join(tmp.dir, "kinesis"), port: 0, limits: false });
  kc = new KinesisClient(clientConfig({ region: REGION, endpoint: kinesis.endpoint }));
  s3c = new S3Client({ ...clientConfig({ region: REGION, endpoint: s3.endpoint }), forcePathStyle: true });
  misbehaving = lambda(20_000);
  slow = lambda(1_000);
}, 60_000);

afterAll(async () => {
  for (const f of firehoses) await f.close({ flush: false }).catch(() => undefined);
  await misbehaving?.close();
  await slow?.close();
  kc?.destroy();
  s3c?.destroy();
  await kinesis?.close();
  await s3?.close();
  tmp.remove();
});

async function createStream(name: string, shards = 1) {
  await kc.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
  for (;;) {
    const summary = await kc.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    if (summary.StreamDescriptionSummary?.StreamStatus === "ACTIVE") return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

const canonical = (tag: string, i: number, padding = 0) =>
  Buffer.from(
    JSON.stringify({
      kind: "event",
      formatVersion: 1,
      messageId: `${tag}-${i}`,
      type: "track",
      event: "Tested",
      userId: `user-${i % 5}`,
      properties: { i, pad: "p".repeat(padding), text: "naïve ✓" },
      receivedAt: "2026-11-26T02:26:40.123Z",
      timestamp: "2026-11-26T02:26:40.123Z",
      sourceId: "test",
      schemaVersion: null,
    }),
  );

/** Writes the records, KPL-aggregated like ingest does (or one Kinesis record each). */
async function put(stream: string, data: Buffer[], aggregated = true) {
  const users = data.map((d, i) => ({ partitionKey: `user-${i}`, data: d }));
  const entries: { partitionKey: string; data: Uint8Array }[] = aggregated ? aggregate(users) : users;
  // PutRecords takes at most 500 records and 10 MiB.
  let batch: typeof entries = [];
  let bytes = 0;
  const send = async () => {
    if (batch.length === 0) return;
    const out = await kc.send(new PutRecordsCommand({ StreamName: stream, Records: batch.map((e) => ({ PartitionKey: e.partitionKey, Data: e.data })) }));
    expect(out.FailedRecordCount ?? 0).toBe(0);
    batch = [];
    bytes = 0;
  };
  for (const entry of entries) {
    if (batch.length === 500 || bytes + entry.data.byteLength > 8 * 1024 * 1024) await send();
    batch.push(entry);
    bytes += entry.data.byteLength;
  }
  await send();
}

interface Case {
  firehose: LocalFirehose;
  store: S3ObjectStore;
  bucket: string;
  stateDir: string;
}

async function startCase(
  stream: string,
  options: { fn?: LocalLambda; config?: Partial<LocalFirehoseConfig>; store?: (s: S3ObjectStore) => ObjectStore; shards?: number; create?: boolean } = {},
): Promise<Case> {
  const bucket = stream.toLowerCase();
  if (options.create !== false) {
    await createStream(stream, options.shards ?? 1);
    await s3c.send(new CreateBucketCommand({ Bucket: bucket }));
  }
  const store = new S3ObjectStore({ bucket, client: s3c });
  const stateDir = join(tmp.dir, "state", stream);
  const fn = options.fn ?? misbehaving;
  const firehose = new LocalFirehose({
    config: localFirehoseConfig(stageConfig("local"), {
      bufferIntervalMs: 0,
      pollIntervalMs: 50,
      deliveryRetryDelayMs: 20,
      ...options.config,
      processor: { bufferIntervalMs: 0, retryDelayMs: 10, ...options.config?.processor },
    }),
    kinesis: kc,
    streamName: stream,
    store: options.store ? options.store(store) : store,
    bucket,
    transform: { invoke: (e) => fn.invoke(e), arn: `arn:aws:lambda:${REGION}:000000000000:function:${fn.options.functionName}:$LATEST` },
    stateDir,
    region: REGION,
    log: process.env.DEBUG_FIREHOSE ? (l) => console.log(l) : undefined,
  });
  firehoses.push(firehose);
  await firehose.start();
  return { firehose, store, bucket, stateDir };
}

/** Runs the loop until `expected` records have a durable fate (no timing assumptions; a generous safety bound). */
async function settle(c: Case, expected: number) {
  // Bounded by time, not loop count: idle iterations are quick, and under load kinesalite can take seconds per record.
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const s = c.firehose.currentStats();
    const decided = s.delivered.records + s.errorOutput.records + s.droppedRecords;
    if (decided >= expected && s.pendingRecords === 0) return s;
    await c.firehose.iterations(1);
  }
  throw new Error(`not settled: ${JSON.stringify(c.firehose.currentStats())}`);
}

type ErrorDoc = ProcessingFailedDocument;

async function contents(c: Case) {
  const raw: { key: string; lines: string[] }[] = [];
  const errors: { key: string; docs: ErrorDoc[] }[] = [];
  for await (const o of c.store.list("")) {
    const text = gunzipSync((await c.store.get(o.key))!).toString("utf8");
    expect(text.endsWith("\n")).toBe(true);
    const lines = text.slice(0, -1).split("\n");
    if (o.key.startsWith("raw/")) raw.push({ key: o.key, lines });
    else if (o.key.startsWith("raw-errors/")) errors.push({ key: o.key, docs: lines.map((l) => JSON.parse(l) as ErrorDoc) });
    else throw new Error(`unexpected object ${o.key}`);
  }
  return { raw, errors, rawLines: raw.flatMap((o) => o.lines), errorDocs: errors.flatMap((o) => o.docs) };
}

const invocations = (mode: string) =>
  existsSync(invocationsLog)
    ? readFileSync(invocationsLog, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { mode: string; call: number; bytes: number; envelope: Record<string, string>; records: Record<string, unknown>[] })
        .filter((l) => l.mode === mode)
    : [];

const KEY = /^raw\/year=\d{4}\/month=\d{2}\/day=\d{2}\/hour=\d{2}\/eventlake-local-raw-archive-1-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.gz$/;
const ERROR_KEY = /^raw-errors\/processing-failed\/year=\d{4}\/month=\d{2}\/day=\d{2}\/hour=\d{2}\/eventlake-local-raw-archive-1-[\d-]+-[0-9a-f-]{36}\.gz$/;

describe("local Firehose with a well-behaved transform", () => {
  it("de-aggregates KPL records, invokes with the exact event shape, and delivers gzip NDJSON named as Firehose names it", async () => {
    const data = Array.from({ length: 30 }, (_, i) => canonical("echo", i));
    const c = await startCase("echo-shape");
    await put("echo-shape", data);
    await settle(c, 30);
    const { raw, rawLines, errorDocs } = await contents(c);
    expect(errorDocs).toEqual([]);
    expect(rawLines.sort()).toEqual(data.map((d) => d.toString("utf8")).sort());
    for (const o of raw) expect(o.key).toMatch(KEY);
    const calls = invocations("echo");
    const records = calls.flatMap((call) => call.records);
    expect(records).toHaveLength(30);
    expect(calls[0]!.envelope).toEqual({
      invocationId: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/),
      deliveryStreamArn: "arn:aws:firehose:us-east-1:000000000000:deliverystream/eventlake-local-raw-archive",
      sourceKinesisStreamArn: "arn:aws:kinesis:us-east-1:000000000000:stream/echo-shape",
      region: "us-east-1",
    });
    for (const r of records) {
      expect(r.keys).toEqual(["recordId", "approximateArrivalTimestamp", "data", "kinesisRecordMetadata"]);
      const meta = r.kinesisRecordMetadata as Record<string, unknown>;
      expect(Object.keys(meta)).toEqual(["shardId", "partitionKey", "approximateArrivalTimestamp", "sequenceNumber", "subsequenceNumber"]);
      expect(meta.approximateArrivalTimestamp).toBe(r.approximateArrivalTimestamp);
      expect(r.recordId).toBe(`${meta.sequenceNumber as string}${String(meta.subsequenceNumber).padStart(6, "0")}`);
    }
    // Aggregated: sub-records share a sequence number and count up their subsequence number.
    const bySequence = new Map<string, number[]>();
    for (const r of records) {
      const meta = r.kinesisRecordMetadata as { sequenceNumber: string; subsequenceNumber: number };
      bySequence.set(meta.sequenceNumber, [...(bySequence.get(meta.sequenceNumber) ?? []), meta.subsequenceNumber]);
    }
    expect(bySequence.size).toBeLessThan(30);
    for (const subs of bySequence.values()) expect(subs).toEqual(subs.map((_, i) => i));
    // The checkpoint is the last record's position.
    const checkpoint = c.firehose.currentCheckpoints()["shardId-000000000000"] as { sequenceNumber: string; subsequenceNumber: number };
    const last = [...bySequence.entries()].sort(([a], [b]) => (BigInt(a) < BigInt(b) ? -1 : 1)).pop()!;
    expect(checkpoint).toEqual({ sequenceNumber: last[0], subsequenceNumber: Math.max(...last[1]) });
    expect(JSON.parse(readFileSync(join(c.stateDir, "checkpoints.json"), "utf8")).shards["shardId-000000000000"]).toEqual(checkpoint);
  });

  it("splits invocations at the processor's buffer hint, each request under 6 MB", async () => {
    // 12 records of ~120 KB, each alone in its Kinesis record, with a 0.3 MB hint: invocations of 3 records.
    // (Firehose never splits at 6 MB: an invocation over it is refused, see the misbehaving-transform cases.)
    const data = Array.from({ length: 12 }, (_, i) => canonical("echo-big", i, 120_000));
    const hint = Math.round(0.3 * 1024 * 1024);
    const c = await startCase("echo-big", { config: { processor: { bufferSizeBytes: hint } as LocalFirehoseConfig["processor"] } });
    await put("echo-big", data, false);
    await settle(c, 12);
    const calls = invocations("echo").filter((call) => call.envelope.sourceKinesisStreamArn!.endsWith("/echo-big"));
    expect(calls.flatMap((call) => call.records)).toHaveLength(12);
    expect(calls.length).toBeGreaterThan(1);
    for (const call of calls) {
      expect(call.bytes).toBeLessThan(6 * 1024 * 1024);
      const sizes = call.records.map((r) => r.dataBytes as number);
      // Closed once it reaches the hint: everything but the last record stays under it.
      expect(sizes.slice(0, -1).reduce((a, b) => a + b, 0)).toBeLessThan(hint);
    }
    const { rawLines } = await contents(c);
    expect(rawLines).toHaveLength(12);
  }, 90_000);
});

describe("local Firehose with misbehaving transforms", () => {
  const run = async (stream: string, count: number, fn?: LocalLambda, config?: Partial<LocalFirehoseConfig>) => {
    const data = Array.from({ length: count }, (_, i) => canonical(stream, i));
    const c = await startCase(stream, { ...(fn ? { fn } : {}), ...(config ? { config } : {}) });
    await put(stream, data);
    const stats = await settle(c, count);
    const out = await contents(c);
    // Every record exactly once: delivered, or in the error output with its original bytes.
    const fromErrors = out.errorDocs.map((d) => Buffer.from(d.rawData, "base64").toString("utf8"));
    expect([...out.rawLines, ...fromErrors].sort()).toEqual(data.map((d) => d.toString("utf8")).sort());
    for (const e of out.errors) expect(e.key).toMatch(ERROR_KEY);
    for (const doc of out.errorDocs) {
      expect(Object.keys(doc)).toEqual(["attemptsMade", "arrivalTimestamp", "errorCode", "errorMessage", "attemptEndingTimestamp", "rawData", "lambdaArn"]);
      expect(doc.lambdaArn).toBe(`arn:aws:lambda:us-east-1:000000000000:function:${(fn ?? misbehaving).options.functionName}:$LATEST`);
      expect(doc.attemptEndingTimestamp).toBeGreaterThanOrEqual(doc.arrivalTimestamp);
    }
    return { ...out, stats, data };
  };
  const codes = (docs: ErrorDoc[]) => [...new Set(docs.map((d) => `${d.errorCode}@${d.attemptsMade}`))];

  it("an invocation request over Lambda's 6 MB is refused as Lambda refuses it (not split): its records go to the error output", async () => {
    // AWS's largest processor hint (3 MB) of ~300-byte events: base64 and per-record metadata make the request
    // about 2.3x the data. Exactly as many records as reach the hint with the last one (no interval flush), so they
    // form one invocation, of over 6 MB: Lambda refuses it on every retry, and every record is in the error output.
    const hint = 3 * 1024 * 1024;
    let count = 0;
    for (let bytes = 0; bytes < hint; count++) bytes += canonical("echo-huge", count).byteLength;
    const config = { processor: { bufferSizeBytes: hint, bufferIntervalMs: 900_000 } as LocalFirehoseConfig["processor"] };
    const out = await run("echo-huge", count, undefined, config);
    expect(out.errorDocs).toHaveLength(count);
    expect(codes(out.errorDocs)).toEqual([`Lambda.RequestTooLarge@${1 + RAW_ARCHIVE.processorRetries}`]);
    expect(out.rawLines).toEqual([]);
    // The function was never invoked with them.
    expect(invocations("echo").filter((call) => call.envelope.sourceKinesisStreamArn!.endsWith("/echo-huge"))).toEqual([]);
  }, 120_000);

  it("a missing recordId: that record fails with Lambda.MissingRecordId, the rest are delivered", async () => {
    const out = await run("missing-a", 12);
    expect(codes(out.errorDocs)).toEqual(["Lambda.MissingRecordId@1"]);
    expect(out.errorDocs.length).toBe(invocations("missing").length);
  });

  it("too few answers (a wrong count): the unanswered records fail with Lambda.MissingRecordId", async () => {
    const out = await run("fewer-a", 12);
    expect(codes(out.errorDocs)).toEqual(["Lambda.MissingRecordId@1"]);
    expect(out.errorDocs.length).toBe(2 * invocations("fewer").length);
  });

  it("an extra recordId: ignored (no source record), every real record delivered", async () => {
    const out = await run("extra-a", 12);
    expect(out.errorDocs).toEqual([]);
    expect(out.rawLines).not.toContain("stray");
    expect(out.stats.delivered.records).toBe(12);
  });

  it("a duplicated recordId: that record fails with Lambda.DuplicatedRecordId, never delivered twice", async () => {
    const out = await run("duplicate-a", 12);
    expect(codes(out.errorDocs)).toEqual(["Lambda.DuplicatedRecordId@1"]);
    expect(new Set(out.rawLines).size).toBe(out.rawLines.length);
  });

  it("Dropped is a success (nothing delivered, nothing in errors); ProcessingFailed goes to the error output", async () => {
    const data = Array.from({ length: 9 }, (_, i) => canonical("mixed-a", i));
    const c = await startCase("mixed-a");
    await put("mixed-a", data, false);
    const stats = await settle(c, 9);
    const out = await contents(c);
    expect(stats.droppedRecords).toBeGreaterThan(0);
    expect(out.rawLines.length + out.errorDocs.length + stats.droppedRecords).toBe(9);
    expect(codes(out.errorDocs)).toEqual(["Lambda.ProcessingFailed@1"]);
    expect(c.firehose.currentStats().pendingRecords).toBe(0);
  });

  it("a response that is not {records: [...]}: every record fails with Lambda.JsonProcessingException, not retried", async () => {
    const out = await run("malformed-a", 6);
    expect(codes(out.errorDocs)).toEqual(["Lambda.JsonProcessingException@1"]);
    expect(out.rawLines).toEqual([]);
  });

  it("a throw: retried NumberOfRetries (3) times, then the batch goes to the error output as Lambda.FunctionError", async () => {
    const out = await run("throw-a", 5);
    expect(codes(out.errorDocs)).toEqual(["Lambda.FunctionError@4"]);
    expect(invocations("throw").length).toBe(4);
    expect(out.stats.transform.failedInvocations).toBe(4);
  });

  it("a failure that a retry cures: everything delivered", async () => {
    const out = await run("flaky-a", 5);
    expect(out.errorDocs).toEqual([]);
    expect(out.rawLines).toHaveLength(5);
    expect(invocations("flaky").map((c) => c.call)).toEqual([1, 2]);
  });

  it("an oversize response (over 6,291,556 bytes): a failed invocation, retried, then Lambda.FunctionError", async () => {
    const out = await run("oversize-a", 3, undefined, { processor: { retries: 1 } as LocalFirehoseConfig["processor"] });
    expect(codes(out.errorDocs)).toEqual(["Lambda.FunctionError@2"]);
    expect(invocations("oversize").length).toBe(2);
    expect(out.rawLines).toEqual([]);
  });

  it("a timeout: retried, then Lambda.FunctionError, and the pipeline keeps going", async () => {
    // One retry here (each timed-out sandbox is replaced, which is slow); the retry count itself is tested above.
    const out = await run("timeout-a", 3, slow, { processor: { retries: 1 } as LocalFirehoseConfig["processor"] });
    expect(codes(out.errorDocs)).toEqual(["Lambda.FunctionError@2"]);
    expect(invocations("timeout").length).toBe(2);
  }, 60_000);
});

describe("local Firehose durability", () => {
  it("advances a checkpoint only after the object is stored, and retries a failed put under the same key", async () => {
    const seen: { key: string; checkpoint: string | undefined }[] = [];
    let failures = 2;
    let stateDir = "";
    const c = await startCase("echo-durable", {
      store: (real) => ({
        list: (p) => real.list(p),
        get: (k) => real.get(k),
        delete: (k) => real.delete(k),
        async put(key, body, options) {
          const path = join(stateDir, "checkpoints.json");
          seen.push({ key, checkpoint: existsSync(path) ? readFileSync(path, "utf8") : undefined });
          if (failures-- > 0) throw new Error("injected S3 failure");
          await real.put(key, body, options);
        },
      }),
    });
    stateDir = c.stateDir;
    await put("echo-durable", Array.from({ length: 4 }, (_, i) => canonical("durable", i)));
    await settle(c, 4);
    expect(seen.length).toBe(3);
    expect(new Set(seen.map((s) => s.key)).size).toBe(1);
    // Before the successful put, no checkpoint existed for the shard.
    expect(seen.every((s) => s.checkpoint === undefined)).toBe(true);
    expect(c.firehose.currentStats().lastError).toMatch(/injected S3 failure/);
    expect((await contents(c)).rawLines).toHaveLength(4);
    expect(c.firehose.currentCheckpoints()["shardId-000000000000"]).toBeDefined();
  });

  it("resumes from its checkpoints after a stop that lost its buffers: nothing lost", async () => {
    const first = await startCase("echo-resume", { config: { bufferIntervalMs: 900_000 } });
    await put("echo-resume", Array.from({ length: 10 }, (_, i) => canonical("resume", i)));
    // Read and transformed, but buffered for 15 minutes: stop without delivering (as a crash would).
    for (let i = 0; i < 500 && first.firehose.currentStats().transform.records < 10; i++) await first.firehose.iterations(1);
    const pending = first.firehose.currentStats();
    expect(pending.pendingRecords).toBe(10);
    expect(pending.oldestUndeliveredArrivalMs).toEqual(expect.any(Number));
    await first.firehose.close({ flush: false });
    expect((await contents(first)).rawLines).toEqual([]);

    const second = await startCase("echo-resume", { create: false });
    await put("echo-resume", Array.from({ length: 5 }, (_, i) => canonical("resume", 10 + i)));
    await settle(second, 15);
    const lines = (await contents(second)).rawLines;
    expect(lines.map((l) => (JSON.parse(l) as { messageId: string }).messageId).sort()).toEqual(
      Array.from({ length: 15 }, (_, i) => `resume-${i}`).sort(),
    );
    expect(second.firehose.currentStats().oldestUndeliveredArrivalMs).toBeNull();
    // A clean restart delivers nothing twice.
    await second.firehose.close();
    const third = await startCase("echo-resume", { create: false });
    await third.firehose.iterations(3);
    expect((await contents(third)).rawLines).toHaveLength(15);
    await third.firehose.close();
  });

  it("does not hold up shutdown on a hanging transform, and leaves the undelivered records to the checkpoints", async () => {
    const c = await startCase("timeout-close", { fn: slow, config: { processor: { bufferIntervalMs: 900_000 } as LocalFirehoseConfig["processor"] } });
    await put("timeout-close", Array.from({ length: 3 }, (_, i) => canonical("close", i)));
    for (let i = 0; i < 500 && c.firehose.currentStats().pendingRecords < 3; i++) await c.firehose.iterations(1);
    // The flush invokes the transform, which never answers (until its 1 s timeout): close gives up first.
    await c.firehose.close({ timeoutMs: 300 });
    const stats = JSON.parse(readFileSync(join(c.stateDir, "stats.json"), "utf8")) as { running: boolean; pendingRecords: number };
    expect(stats).toMatchObject({ running: false, pendingRecords: 3 });
    expect(existsSync(join(c.stateDir, "checkpoints.json"))).toBe(false);
    expect((await contents(c)).rawLines).toEqual([]);
  });

  it("follows resharding: reads the parent to its end, then its children, and marks the parent finished", async () => {
    const c = await startCase("echo-reshard");
    await put("echo-reshard", Array.from({ length: 10 }, (_, i) => canonical("reshard", i)));
    await settle(c, 10);
    await kc.send(new UpdateShardCountCommand({ StreamName: "echo-reshard", TargetShardCount: 2, ScalingType: "UNIFORM_SCALING" }));
    // One Kinesis record each, so the records spread over both children.
    await put("echo-reshard", Array.from({ length: 20 }, (_, i) => canonical("reshard", 10 + i)), false);
    await settle(c, 30);
    const lines = (await contents(c)).rawLines;
    expect(lines.map((l) => (JSON.parse(l) as { messageId: string }).messageId).sort()).toEqual(Array.from({ length: 30 }, (_, i) => `reshard-${i}`).sort());
    const checkpoints = c.firehose.currentCheckpoints();
    expect(checkpoints["shardId-000000000000"]).toMatchObject({ finished: true });
    expect(Object.keys(checkpoints).sort()).toEqual(["shardId-000000000000", "shardId-000000000001", "shardId-000000000002"]);
  });

  it("refuses a configuration Firehose would refuse", () => {
    const config = localFirehoseConfig(stageConfig("local"));
    const make = (overrides: Partial<LocalFirehoseConfig>) =>
      new LocalFirehose({
        config: { ...config, ...overrides },
        kinesis: kc,
        streamName: "x",
        store: new S3ObjectStore({ bucket: "x", client: s3c }),
        bucket: "x",
        transform: { invoke: async () => ({}), arn: "arn" },
        stateDir: join(tmp.dir, "never"),
        region: REGION,
      });
    expect(() => make({ prefix: "raw/!{timestamp:yyyy}/", errorOutputPrefix: "" })).toThrow(/ErrorOutputPrefix cannot be empty/);
    expect(() => make({ prefix: `${"a".repeat(600)}/` })).toThrow(/over Firehose's 512/);
    expect(() => make({ bufferIntervalMs: 901_000 })).toThrow(/S3 buffer interval/);
    expect(() => make({ processor: { ...config.processor, bufferSizeBytes: 4 * 1024 * 1024 } })).toThrow(/transform buffer size/);
    expect(() => make({ prefix: "p/!{partitionKeyFromLambda:k}/", errorOutputPrefix: "e/!{firehose:error-output-type}/" })).toThrow(/needs dynamic partitioning/);
  });
});
