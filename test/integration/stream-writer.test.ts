/**
 * The stream writer (adapters) against the real local stand-ins: the Kinesis front with per-shard limits over
 * kinesalite, and the file-backed S3. Faults no emulator produces (partial failures, whole-call throttling, latency)
 * are injected at the Kinesis front, so everything else — SDK, wire format, storage — is real.
 */
import { CreateStreamCommand, DescribeStreamSummaryCommand, KinesisClient, UpdateShardCountCommand } from "@aws-sdk/client-kinesis";
import { clientConfig } from "@eventlake/adapters/aws-config";
import { KinesisShardMap } from "@eventlake/adapters/kinesis-shard-map";
import { KinesisStreamWriter } from "@eventlake/adapters/kinesis-stream-writer";
import { S3ObjectStore } from "@eventlake/adapters/s3-object-store";
import type { StreamRecordInput } from "@eventlake/core/ports";
import { startLocalKinesis, type FaultInjector, type LocalKinesis } from "@eventlake/emulators/kinesis";
import { startLocalS3, type LocalS3 } from "@eventlake/emulators/s3/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readWholeStream } from "../helpers/stream-reader";
import { tempDir } from "../helpers/temp-dir";

const BUCKET = "lake";
const tmp = tempDir("writer");
let s3: LocalS3;
let store: S3ObjectStore;
const kinesisServers: LocalKinesis[] = [];
let streamCounter = 0;

beforeAll(async () => {
  s3 = await startLocalS3({ rootDir: `${tmp.dir}/s3`, buckets: [BUCKET] });
  store = new S3ObjectStore({ bucket: BUCKET, target: { region: "us-east-1", endpoint: s3.endpoint } });
});
afterAll(async () => {
  for (const k of kinesisServers) await k.close();
  await s3.close();
  tmp.remove();
});

/** A local Kinesis with its own stream, and a writer to it. */
async function setup(options: { shards: number; faults?: FaultInjector; limits?: boolean }) {
  const kinesis = await startLocalKinesis({ dataDir: `${tmp.dir}/kinesis-${++streamCounter}`, faults: options.faults ?? {}, limits: options.limits ?? true });
  kinesisServers.push(kinesis);
  const client = new KinesisClient(clientConfig({ region: "us-east-1", endpoint: kinesis.endpoint }));
  const streamName = `s${streamCounter}`;
  await client.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: options.shards }));
  while ((await client.send(new DescribeStreamSummaryCommand({ StreamName: streamName }))).StreamDescriptionSummary?.StreamStatus !== "ACTIVE") {
    await new Promise((r) => setTimeout(r, 10));
  }
  const fallbackPrefix = `fallback-${streamCounter}/`;
  const writer = new KinesisStreamWriter({ streamName, target: { region: "us-east-1", endpoint: kinesis.endpoint }, fallback: store, fallbackPrefix });
  return { kinesis, client, streamName, writer, fallbackPrefix };
}

function records(count: number, bytes: number, users: number): StreamRecordInput[] {
  return Array.from({ length: count }, (_, i) => ({
    partitionKey: `user-${i % users}`,
    data: Buffer.from(JSON.stringify({ seq: i, pad: "x".repeat(Math.max(0, bytes - 30)) })),
  }));
}

async function spilledLines(prefix: string): Promise<string[]> {
  const lines: string[] = [];
  for await (const object of store.list(prefix)) {
    const body = Buffer.from((await store.get(object.key))!).toString("utf8");
    lines.push(...body.split("\n").filter(Boolean));
  }
  return lines;
}

/** The core guarantee: every record is in the stream or in the fallback, and none is reported written that is not. */
async function expectNothingLost(ctx: Awaited<ReturnType<typeof setup>>, input: StreamRecordInput[], outcomes: string[]) {
  const inStream = new Map<string, number>();
  for (const r of await readWholeStream(ctx.client, ctx.streamName)) {
    const key = r.data.toString("utf8");
    inStream.set(key, (inStream.get(key) ?? 0) + 1);
  }
  const spilled = new Set(await spilledLines(ctx.fallbackPrefix));
  input.forEach((record, i) => {
    const text = Buffer.from(record.data).toString("utf8");
    if (outcomes[i] === "written") expect(inStream.has(text), `record ${i} reported written but not in the stream`).toBe(true);
    if (outcomes[i] === "spilled") expect(spilled.has(text), `record ${i} reported spilled but not in the fallback`).toBe(true);
    if (outcomes[i] !== "failed") expect(inStream.has(text) || spilled.has(text)).toBe(true);
  });
  return { inStream, spilled };
}

describe("KinesisStreamWriter against the local stand-ins", () => {
  it("writes everything, aggregated, within the limits of a 2-shard stream", async () => {
    const ctx = await setup({ shards: 2 });
    const input = records(2_000, 400, 100);
    const report = await ctx.writer.write(input, Date.now() + 20_000);
    expect(report.outcomes.every((o) => o === "written")).toBe(true);
    // ~800 KB in ~50 KB aggregates: a handful of Kinesis records instead of 2,000.
    expect(report.putRecordsCalls).toBeLessThan(10);
    const { inStream } = await expectNothingLost(ctx, input, report.outcomes);
    expect([...inStream.values()].every((n) => n === 1)).toBe(true);
    expect(inStream.size).toBe(2_000);
  });

  it("resends only failed entries when 30% of entries fail (InternalFailure), and loses none", async () => {
    let calls = 0;
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const ctx = await setup({
      shards: 2,
      faults: { putRecords: (entries) => { calls++; return entries.map(() => (rand() < 0.3 ? "InternalFailure" : undefined)); } },
    });
    const input = records(3_000, 300, 500);
    const report = await ctx.writer.write(input, Date.now() + 20_000);
    expect(report.outcomes.every((o) => o === "written")).toBe(true);
    expect(report.retriedEntries).toBeGreaterThan(0);
    expect(calls).toBe(report.putRecordsCalls);
    const { inStream } = await expectNothingLost(ctx, input, report.outcomes);
    // Failed entries were not stored, so resending them created no duplicates.
    expect([...inStream.values()].every((n) => n === 1)).toBe(true);
  });

  it("backs off on whole-call throttling and then succeeds", async () => {
    let failures = 3;
    const ctx = await setup({ shards: 1, faults: { wholeCall: (op) => (op === "PutRecords" && failures-- > 0 ? "ProvisionedThroughputExceededException" : undefined) } });
    const input = records(200, 200, 10);
    const report = await ctx.writer.write(input, Date.now() + 20_000);
    expect(report.outcomes.every((o) => o === "written")).toBe(true);
    expect(report.throttledEntries).toBeGreaterThan(0);
    expect(report.putRecordsCalls).toBeGreaterThanOrEqual(4);
    await expectNothingLost(ctx, input, report.outcomes);
  });

  it("on a saturated shard writes what fits before the deadline and spills the rest to the fallback", async () => {
    const ctx = await setup({ shards: 1 });
    // ~4 MB into one shard (1 MiB/s) with a 2.5 s deadline: cannot all fit.
    const input = records(8_000, 500, 50);
    const report = await ctx.writer.write(input, Date.now() + 2_500);
    const written = report.outcomes.filter((o) => o === "written").length;
    const spilled = report.outcomes.filter((o) => o === "spilled").length;
    expect(written).toBeGreaterThan(0);
    expect(spilled).toBeGreaterThan(0);
    expect(written + spilled).toBe(input.length);
    expect(report.throttledEntries).toBeGreaterThan(0);
    expect(report.spillKey).toMatch(/^fallback-\d+\/year=\d{4}\/month=\d{2}\/day=\d{2}\/hour=\d{2}\/.+\.ndjson$/);
    await expectNothingLost(ctx, input, report.outcomes);
  });

  it("spills everything when the stream keeps failing, and reports failed (never written) when the spill fails too", async () => {
    const ctx = await setup({ shards: 1, faults: { wholeCall: (op) => (op === "PutRecords" ? "InternalFailure" : undefined) } });
    const input = records(50, 200, 5);
    const report = await ctx.writer.write(input, Date.now() + 1_500);
    expect(report.outcomes.every((o) => o === "spilled")).toBe(true);
    const lines = await spilledLines(ctx.fallbackPrefix);
    expect(lines.sort()).toEqual(input.map((r) => Buffer.from(r.data).toString("utf8")).sort());

    const brokenStore = new S3ObjectStore({ bucket: "no-such-bucket", target: { region: "us-east-1", endpoint: s3.endpoint } });
    const writer = new KinesisStreamWriter({ streamName: ctx.streamName, target: { region: "us-east-1", endpoint: ctx.kinesis.endpoint }, fallback: brokenStore });
    const failed = await writer.write(input, Date.now() + 1_200);
    expect(failed.outcomes.every((o) => o === "failed")).toBe(true);
    expect(failed.stoppedBecause).toMatch(/spill failed/);
  });

  it("treats a call that times out as unknown: retried, never reported written unless confirmed", async () => {
    // Every call takes 1.5 s at the front; the deadline leaves room for about one.
    const ctx = await setup({ shards: 1, faults: { delayMs: (op) => (op === "PutRecords" ? 1_500 : 0) } });
    const input = records(20, 100, 2);
    const report = await ctx.writer.write(input, Date.now() + 2_000);
    for (const o of report.outcomes) expect(["written", "spilled"]).toContain(o);
    await new Promise((r) => setTimeout(r, 1_600)); // let the front finish any call the client gave up on
    await expectNothingLost(ctx, input, report.outcomes);
  });

  it("with a shard map, packs aggregates per shard so a request's load spreads over every shard", async () => {
    const ctx = await setup({ shards: 4, limits: false });
    const shardIds = [0, 1, 2, 3].map((i) => `shardId-${String(i).padStart(12, "0")}`);
    const perShard = () => shardIds.map((id) => ctx.kinesis.stats().streams[ctx.streamName]!.shards[id]?.recordsIn ?? 0);
    const request = () => records(100, 400, 100); // one request: 100 events of 100 users, 40 KB

    // Without a map the request is one aggregate, routed by its lowest hash key: the first shard takes everything.
    for (let i = 0; i < 20; i++) await ctx.writer.write(request(), Date.now() + 10_000);
    expect(perShard()).toEqual([20, 0, 0, 0]);

    const shardMap = new KinesisShardMap({ client: ctx.client, streamName: ctx.streamName });
    const mapped = new KinesisStreamWriter({ streamName: ctx.streamName, client: ctx.client, shardMap, fallback: store, fallbackPrefix: ctx.fallbackPrefix });
    const before = perShard();
    const input = request();
    const report = await mapped.write(input, Date.now() + 10_000);
    expect(report.outcomes.every((o) => o === "written")).toBe(true);
    const added = perShard().map((n, i) => n - before[i]!);
    expect(added).toEqual([1, 1, 1, 1]); // one aggregate per shard
    const { inStream } = await expectNothingLost(ctx, input, report.outcomes);
    // The same 100 payloads were sent 21 times: each is in the stream 21 times, nothing more.
    expect([...inStream.values()]).toEqual(new Array(100).fill(21));
  });

  it("refreshes its shard map when a write lands on another shard than predicted (after resharding)", async () => {
    const ctx = await setup({ shards: 2, limits: false });
    const shardMap = new KinesisShardMap({ client: ctx.client, streamName: ctx.streamName, ttlMs: 3_600_000 });
    const writer = new KinesisStreamWriter({ streamName: ctx.streamName, client: ctx.client, shardMap, fallback: store, fallbackPrefix: ctx.fallbackPrefix });
    const counts = () => ctx.kinesis.stats().streams[ctx.streamName]!.shards;
    await writer.write(records(100, 200, 100), Date.now() + 10_000);
    expect(Object.values(counts()).map((c) => c.recordsIn)).toEqual([1, 1]);

    await ctx.client.send(new UpdateShardCountCommand({ StreamName: ctx.streamName, TargetShardCount: 4, ScalingType: "UNIFORM_SCALING" }));
    while ((await ctx.client.send(new DescribeStreamSummaryCommand({ StreamName: ctx.streamName }))).StreamDescriptionSummary?.StreamStatus !== "ACTIVE") {
      await new Promise((r) => setTimeout(r, 20));
    }
    // The stale map predicts the closed parents; the writes land on the children, so the map is listed again.
    const stale = await writer.write(records(100, 200, 100), Date.now() + 10_000);
    expect(stale.outcomes.every((o) => o === "written")).toBe(true);
    const afterStale = Object.fromEntries(Object.entries(counts()).map(([id, c]) => [id, c.recordsIn]));
    await writer.write(records(100, 200, 100), Date.now() + 10_000);
    const openShards = Object.entries(counts()).filter(([id]) => !(id in afterStale) || counts()[id]!.recordsIn > afterStale[id]!);
    expect(openShards).toHaveLength(4); // one aggregate for each of the 4 children
    expect(Object.keys(counts())).toHaveLength(6);
  });
});
