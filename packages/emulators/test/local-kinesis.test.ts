import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateStreamCommand,
  DeleteStreamCommand,
  DescribeLimitsCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
  ListStreamsCommand,
  PutRecordCommand,
  PutRecordsCommand,
  UpdateShardCountCommand,
  type PutRecordsRequestEntry,
  type PutRecordsResultEntry,
} from "@aws-sdk/client-kinesis";
import { clientConfig } from "@eventlake/adapters/aws-config";
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { coversKeySpace, targetStarts, uniformStarts } from "../src/kinesis/control-plane";
import { readKinesisStats, startLocalKinesis, type FaultInjector, type LocalKinesis, type LocalKinesisOptions } from "../src/kinesis";

const SPACE = 1n << 128n;
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.().catch(() => undefined);
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "eventlake-kinesis-"));
  cleanups.unshift(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

interface Harness {
  kinesis: LocalKinesis;
  client: KinesisClient;
  stop(): Promise<void>;
}

async function start(options: LocalKinesisOptions): Promise<Harness> {
  const kinesis = await startLocalKinesis(options);
  const client = new KinesisClient(clientConfig({ region: "us-east-1", endpoint: kinesis.endpoint }, { maxAttempts: 1 }));
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    client.destroy();
    await kinesis.close();
  };
  cleanups.push(stop);
  return { kinesis, client, stop };
}

async function createStream(client: KinesisClient, name: string, shards: number): Promise<string> {
  await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
  for (;;) {
    const s = await client.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    if (s.StreamDescriptionSummary?.StreamStatus === "ACTIVE") return s.StreamDescriptionSummary.StreamARN as string;
    await new Promise((r) => setTimeout(r, 5));
  }
}

function accountOf(arn: string): string {
  return arn.split(":")[4] as string;
}

/** 1 KB records whose data starts with the index, so each is unique. */
function makeRecords(count: number, size = 1024, prefix = "pk"): PutRecordsRequestEntry[] {
  return Array.from({ length: count }, (_, i) => {
    const data = randomBytes(size);
    data.writeUInt32BE(i, 0);
    return { PartitionKey: `${prefix}-${String(i).padStart(5, "0")}`, Data: new Uint8Array(data) };
  });
}

async function putAll(client: KinesisClient, stream: string, entries: PutRecordsRequestEntry[]) {
  const results: PutRecordsResultEntry[] = [];
  const failedCounts: number[] = [];
  for (let i = 0; i < entries.length; i += 500) {
    const batch = entries.slice(i, i + 500);
    const out = await client.send(new PutRecordsCommand({ StreamName: stream, Records: batch }));
    expect(out.Records).toHaveLength(batch.length);
    const failed = (out.Records ?? []).filter((r) => r.ErrorCode).length;
    expect(out.FailedRecordCount).toBe(failed);
    failedCounts.push(failed);
    results.push(...(out.Records ?? []));
  }
  return { results, failedCounts };
}

async function openShards(client: KinesisClient, stream: string) {
  const listed = await client.send(new ListShardsCommand({ StreamName: stream }));
  return (listed.Shards ?? [])
    .filter((s) => !s.SequenceNumberRange?.EndingSequenceNumber)
    .map((s) => ({
      shardId: s.ShardId as string,
      startingHashKey: BigInt(s.HashKeyRange?.StartingHashKey as string),
      endingHashKey: BigInt(s.HashKeyRange?.EndingHashKey as string),
    }))
    .sort((a, b) => (a.startingHashKey < b.startingHashKey ? -1 : 1));
}

async function readShard(client: KinesisClient, stream: string, shardId: string) {
  const it = await client.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: shardId, ShardIteratorType: "TRIM_HORIZON" }));
  let iterator = it.ShardIterator;
  const out: { partitionKey: string; data: Buffer; sequenceNumber: string }[] = [];
  while (iterator) {
    const page = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
    for (const r of page.Records ?? []) {
      out.push({ partitionKey: r.PartitionKey as string, data: Buffer.from(r.Data as Uint8Array), sequenceNumber: r.SequenceNumber as string });
    }
    if (!page.Records?.length) break;
    iterator = page.NextShardIterator;
  }
  return out;
}

async function readStream(client: KinesisClient, stream: string) {
  const listed = await client.send(new ListShardsCommand({ StreamName: stream }));
  const all: { partitionKey: string; data: Buffer; sequenceNumber: string; shardId: string }[] = [];
  for (const s of listed.Shards ?? []) {
    for (const r of await readShard(client, stream, s.ShardId as string)) all.push({ ...r, shardId: s.ShardId as string });
  }
  return all;
}

function md5Key(pk: string): bigint {
  return BigInt(`0x${createHash("md5").update(pk, "utf8").digest("hex")}`);
}

interface SdkError {
  name: string;
  message: string;
  $metadata: { httpStatusCode?: number };
}

/** The error a call fails with; fails the test if it succeeds. */
async function failure(call: Promise<unknown>): Promise<SdkError> {
  try {
    await call;
  } catch (err) {
    return err as SdkError;
  }
  throw new Error("expected the call to fail");
}

function sizeOf(e: PutRecordsRequestEntry): number {
  return (e.Data as Uint8Array).length + Buffer.byteLength(e.PartitionKey as string);
}

describe("per-shard write limits", () => {
  it("throttles a 3,000 x 1 KB burst to one shard at exactly one second of capacity, with AWS's answers", async () => {
    let now = 1_000_000;
    const { kinesis, client } = await start({ dataDir: await tempDir(), clock: () => now });
    const arn = await createStream(client, "burst", 1);
    const records = makeRecords(3000);

    const first = await putAll(client, "burst", records);
    // 1,000 records of 1,024 + 8 bytes fit both limits (1,032,000 <= 1 MiB); the 1,001st breaks 1,000 rec/s.
    expect(first.failedCounts).toEqual([0, 0, 500, 500, 500, 500]);
    const message = `Rate exceeded for shard shardId-000000000000 in stream burst under account ${accountOf(arn)}.`;
    expect(accountOf(arn)).toMatch(/^\d{12}$/);
    first.results.forEach((r, i) => {
      if (i < 1000) {
        expect(r).toEqual({ ShardId: "shardId-000000000000", SequenceNumber: expect.any(String) });
      } else {
        expect(r).toEqual({ ErrorCode: "ProvisionedThroughputExceededException", ErrorMessage: message });
      }
    });

    // Retry only the failed entries, one second later each time: 1,000 more per second get in.
    let pending = records.map((r, i) => ({ r, i })).filter(({ i }) => first.results[i]?.ErrorCode);
    const sequence: (string | undefined)[] = first.results.map((r) => r.SequenceNumber);
    const rounds: number[] = [];
    while (pending.length) {
      now += 1000;
      const retry = await putAll(client, "burst", pending.map((p) => p.r));
      rounds.push(retry.results.filter((r) => !r.ErrorCode).length);
      retry.results.forEach((r, k) => {
        if (!r.ErrorCode) sequence[(pending[k] as { i: number }).i] = r.SequenceNumber;
      });
      pending = pending.filter((_, k) => retry.results[k]?.ErrorCode);
    }
    expect(rounds).toEqual([1000, 1000]);

    // Every admitted record is stored once, byte for byte.
    const stored = await readStream(client, "burst");
    expect(stored).toHaveLength(3000);
    const byKey = new Map(stored.map((s) => [s.partitionKey, s]));
    records.forEach((r, i) => {
      const s = byKey.get(r.PartitionKey as string);
      expect(s?.sequenceNumber).toBe(sequence[i]);
      expect(s?.data.equals(Buffer.from(r.Data as Uint8Array))).toBe(true);
    });

    const stats = kinesis.stats().streams.burst;
    expect(stats?.totals).toEqual({
      recordsIn: 3000,
      bytesIn: records.reduce((sum, r) => sum + sizeOf(r), 0),
      throttledRecords: 2000 + 1000,
      failedRecords: 0,
    });
    expect(stats?.shards["shardId-000000000000"]?.recordsIn).toBe(3000);
  });

  it("throttles by bytes when records are large (1 MiB/s counts data + partition key)", async () => {
    const { client } = await start({ dataDir: await tempDir(), clock: () => 0 });
    await createStream(client, "bytes", 1);
    const records = makeRecords(600, 4096 - 8); // 4,096 bytes each with the 8-byte key: 256 fit in 1 MiB
    const { results } = await putAll(client, "bytes", records);
    expect(results.filter((r) => !r.ErrorCode)).toHaveLength(256);
    expect(results.slice(0, 256).every((r) => r.SequenceNumber)).toBe(true);
  });

  it("with the real clock: a burst is throttled and retrying only failed entries after 1 s succeeds", async () => {
    const { client } = await start({ dataDir: await tempDir() });
    await createStream(client, "retry", 1);
    const records = makeRecords(3000);
    const t0 = Date.now();
    const first = await putAll(client, "retry", records);
    const elapsed = Date.now() - t0;
    const admitted = first.results.filter((r) => !r.ErrorCode).length;
    expect(admitted).toBeGreaterThanOrEqual(1000);
    expect(admitted).toBeLessThanOrEqual(1000 * (1 + Math.floor(elapsed / 1000)));
    let pending = records.filter((_, i) => first.results[i]?.ErrorCode);
    let rounds = 0;
    while (pending.length && rounds < 6) {
      rounds++;
      await new Promise((r) => setTimeout(r, 1050)); // timers may fire a hair early against Date.now
      const retry = await putAll(client, "retry", pending);
      expect(retry.results.filter((r) => !r.ErrorCode).length).toBeGreaterThan(0);
      pending = pending.filter((_, k) => retry.results[k]?.ErrorCode);
    }
    expect(pending).toHaveLength(0);
    const stored = await readStream(client, "retry");
    expect(new Set(stored.map((s) => s.partitionKey)).size).toBe(3000);
    expect(stored).toHaveLength(3000);
  });

  it("answers PutRecord over the limit with a 400 ProvisionedThroughputExceededException", async () => {
    const { client } = await start({ dataDir: await tempDir(), clock: () => 0 });
    const arn = await createStream(client, "single", 1);
    await putAll(client, "single", makeRecords(1000, 10));
    const error = await failure(client.send(new PutRecordCommand({ StreamName: "single", PartitionKey: "x", Data: new Uint8Array([1]) })));
    expect(error).toMatchObject({
      name: "ProvisionedThroughputExceededException",
      message: `Rate exceeded for shard shardId-000000000000 in stream single under account ${accountOf(arn)}.`,
      $metadata: { httpStatusCode: 400 },
    });
  });

  it("admits everything with limits: false", async () => {
    const { client, kinesis } = await start({ dataDir: await tempDir(), limits: false, clock: () => 0 });
    await createStream(client, "open", 1);
    const { failedCounts } = await putAll(client, "open", makeRecords(3000));
    expect(failedCounts).toEqual([0, 0, 0, 0, 0, 0]);
    expect(kinesis.stats().streams.open?.totals.recordsIn).toBe(3000);
  });

  it("accepts a 10 MB PutRecords, which kinesalite alone refuses (7 MiB body cap), by forwarding it in parts", async () => {
    const { client, kinesis } = await start({ dataDir: await tempDir(), limits: false });
    await createStream(client, "large", 2);
    const records = makeRecords(500, 20_000);
    const direct = new KinesisClient(clientConfig({ region: "us-east-1", endpoint: kinesis.backendEndpoint }, { maxAttempts: 1 }));
    cleanups.push(async () => direct.destroy());
    expect((await failure(direct.send(new PutRecordsCommand({ StreamName: "large", Records: records })))).$metadata.httpStatusCode).toBe(413);
    const out = await client.send(new PutRecordsCommand({ StreamName: "large", Records: records }));
    expect(out.FailedRecordCount).toBe(0);
    const stored = await readStream(client, "large");
    expect(stored).toHaveLength(500);
    const byKey = new Map(stored.map((s) => [s.partitionKey, s.data]));
    for (const r of records) expect(byKey.get(r.PartitionKey as string)?.equals(Buffer.from(r.Data as Uint8Array))).toBe(true);
  });

  it("leaves malformed requests to kinesalite's validation", async () => {
    const { client } = await start({ dataDir: await tempDir() });
    await createStream(client, "valid", 1);
    const error = await failure(client.send(new PutRecordsCommand({ StreamName: "valid", Records: [{ PartitionKey: "", Data: new Uint8Array([1]) }] })));
    expect(error.name).toBe("ValidationException");
    const missing = await failure(client.send(new PutRecordsCommand({ StreamName: "nope", Records: [{ PartitionKey: "a", Data: new Uint8Array([1]) }] })));
    expect(missing.name).toBe("ResourceNotFoundException");
  });
});

describe("reading", () => {
  it("an empty read does not move the iterator past a record whose put was not yet visible (a shard's first record)", async () => {
    // The interleaving of a race, made deterministic with kinesalite's clock (Date.now): a PutRecord takes its
    // sequence number (time and index 0) at t+2 s, a GetRecords at t+5 s does not see it yet and answers an empty
    // page, then the record becomes visible. kinesalite alone moves the empty page's iterator to t+5 s, past it.
    const h = await start({ dataDir: await tempDir(), limits: false });
    await createStream(h.client, "race", 1);
    const shard = { StreamName: "race", ShardId: "shardId-000000000000" };
    const first = await h.client.send(new GetShardIteratorCommand({ ...shard, ShardIteratorType: "TRIM_HORIZON" }));
    const t = Date.now();
    const clock = vi.spyOn(Date, "now");
    try {
      clock.mockImplementation(() => t + 5_000);
      const empty = await h.client.send(new GetRecordsCommand({ ShardIterator: first.ShardIterator }));
      expect(empty.Records).toEqual([]);
      expect(empty.NextShardIterator).toBeTruthy();
      clock.mockImplementation(() => t + 2_000);
      const put = await h.client.send(new PutRecordCommand({ ...shard, PartitionKey: "k", Data: Buffer.from("first") }));
      clock.mockImplementation(() => t + 6_000);
      const next = await h.client.send(new GetRecordsCommand({ ShardIterator: empty.NextShardIterator }));
      expect(next.Records?.map((r) => [r.SequenceNumber, Buffer.from(r.Data!).toString("utf8")])).toEqual([[put.SequenceNumber, "first"]]);
      // Read past it, the iterator moves on as kinesalite moves it.
      const after = await h.client.send(new GetRecordsCommand({ ShardIterator: next.NextShardIterator }));
      expect(after.Records).toEqual([]);
    } finally {
      clock.mockRestore();
    }
  });
});

describe("persistence", () => {
  it("keeps records and counters across close and restart", async () => {
    const dataDir = await tempDir();
    const first = await start({ dataDir });
    await createStream(first.client, "durable", 2);
    const records = makeRecords(50, 300);
    await putAll(first.client, "durable", records);
    // Another process sees the counters within about a second, while the server runs.
    const deadline = Date.now() + 3000;
    while (readKinesisStats(dataDir)?.streams.durable?.totals.recordsIn !== 50 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(readKinesisStats(dataDir)).toMatchObject({ running: true, endpoint: first.kinesis.endpoint });
    expect(readKinesisStats(dataDir)?.streams.durable?.totals.recordsIn).toBe(50);
    await first.stop();

    const persisted = readKinesisStats(dataDir);
    expect(persisted?.running).toBe(false);
    expect(persisted?.streams.durable?.totals.recordsIn).toBe(50);
    expect(readKinesisStats(join(dataDir, "elsewhere"))).toBeUndefined();

    const second = await start({ dataDir });
    const stored = await readStream(second.client, "durable");
    expect(stored).toHaveLength(50);
    const byKey = new Map(stored.map((s) => [s.partitionKey, s.data]));
    for (const r of records) expect(byKey.get(r.PartitionKey as string)?.equals(Buffer.from(r.Data as Uint8Array))).toBe(true);
    expect(second.kinesis.stats().streams.durable?.totals.recordsIn).toBe(50);
    await putAll(second.client, "durable", makeRecords(5, 10, "more"));
    expect(second.kinesis.stats().streams.durable?.totals.recordsIn).toBe(55);
  });

  it("survives close/reopen cycles that delete a stream just before closing", async () => {
    const dataDir = await tempDir();
    for (let cycle = 0; cycle < 4; cycle++) {
      const h = await start({ dataDir });
      await createStream(h.client, `keep-${cycle}`, 1);
      await createStream(h.client, `gone-${cycle}`, 1);
      await putAll(h.client, `gone-${cycle}`, makeRecords(20, 100));
      await putAll(h.client, `keep-${cycle}`, makeRecords(20, 100));
      await h.client.send(new DeleteStreamCommand({ StreamName: `gone-${cycle}` }));
      await h.stop();
    }
    const last = await start({ dataDir });
    const names = (await last.client.send(new ListStreamsCommand({}))).StreamNames ?? [];
    expect(names.sort()).toEqual(["keep-0", "keep-1", "keep-2", "keep-3"]);
    expect(await readStream(last.client, "keep-2")).toHaveLength(20);
    expect(Object.keys(last.kinesis.stats().streams).sort()).toEqual(["keep-0", "keep-1", "keep-2", "keep-3"]);
  });

  it("refuses a second server on the same data dir", async () => {
    const dataDir = await tempDir();
    await start({ dataDir });
    await expect(startLocalKinesis({ dataDir })).rejects.toThrow(/another eventlake/);
  });
});

describe("UpdateShardCount and DescribeLimits", () => {
  async function expectUniformCover(client: KinesisClient, stream: string, count: number) {
    const open = await openShards(client, stream);
    expect(open).toHaveLength(count);
    expect(coversKeySpace(open)).toBe(true);
    const width = SPACE / BigInt(count);
    for (const s of open) {
      const size = s.endingHashKey - s.startingHashKey + 1n;
      const off = size > width ? size - width : width - size;
      expect(off * 1000n < width).toBe(true); // within 0.1 % of uniform
    }
    const summary = await client.send(new DescribeStreamSummaryCommand({ StreamName: stream }));
    expect(summary.StreamDescriptionSummary?.OpenShardCount).toBe(count);
    expect(summary.StreamDescriptionSummary?.StreamStatus).toBe("ACTIVE");
    return open;
  }

  async function expectRouting(client: KinesisClient, stream: string, open: Awaited<ReturnType<typeof openShards>>) {
    for (const s of open) {
      for (const key of [s.startingHashKey, s.endingHashKey, (s.startingHashKey + s.endingHashKey) / 2n]) {
        const out = await client.send(
          new PutRecordCommand({ StreamName: stream, PartitionKey: "any", ExplicitHashKey: key.toString(), Data: new Uint8Array([7]) }),
        );
        expect(out.ShardId).toBe(s.shardId);
      }
    }
    const entries = makeRecords(200, 16, `route-${open.length}`);
    const { results } = await putAll(client, stream, entries);
    results.forEach((r, i) => {
      const key = md5Key(entries[i]?.PartitionKey as string);
      expect(r.ShardId).toBe(open.find((s) => s.startingHashKey <= key && key <= s.endingHashKey)?.shardId);
    });
    // and the records are readable from the new shards
    const first = open[0] as { shardId: string };
    const stored = await readShard(client, stream, first.shardId);
    expect(stored.some((s) => s.partitionKey.startsWith(`route-${open.length}`) || s.partitionKey === "any")).toBe(true);
  }

  it("scales 1 -> 2 -> 4 -> 2 with contiguous uniform ranges and routes by hash afterwards", async () => {
    const { client } = await start({ dataDir: await tempDir(), limits: false });
    const arn = await createStream(client, "scale", 1);
    for (const [from, to] of [
      [1, 2],
      [2, 4],
      [4, 2],
    ] as const) {
      const out = await client.send(new UpdateShardCountCommand({ StreamName: "scale", TargetShardCount: to, ScalingType: "UNIFORM_SCALING" }));
      expect(out).toMatchObject({ StreamName: "scale", CurrentShardCount: from, TargetShardCount: to, StreamARN: arn });
      const open = await expectUniformCover(client, "scale", to);
      await expectRouting(client, "scale", open);
    }
    const limits = await client.send(new DescribeLimitsCommand({}));
    expect(limits).toMatchObject({ ShardLimit: 20_000, OpenShardCount: 2, OnDemandStreamCount: 0, OnDemandStreamCountLimit: 50 });

    const over = await failure(client.send(new UpdateShardCountCommand({ StreamName: "scale", TargetShardCount: 5, ScalingType: "UNIFORM_SCALING" })));
    expect(over.name).toBe("LimitExceededException");
    expect(over.message).toMatch(/more than double/);
    const under = await failure(client.send(new UpdateShardCountCommand({ StreamName: "scale", TargetShardCount: 0, ScalingType: "UNIFORM_SCALING" })));
    expect(under).toMatchObject({
      name: "ValidationException",
      message: "1 validation error detected: Value '0' at 'targetShardCount' failed to satisfy constraint: Member must have value greater than or equal to 1",
    });
    const missing = await failure(client.send(new UpdateShardCountCommand({ StreamName: "nope", TargetShardCount: 1, ScalingType: "UNIFORM_SCALING" })));
    expect(missing.name).toBe("ResourceNotFoundException");
  });

  it("rejects scaling below half, scales odd counts uniformly, and honours the shard limit", async () => {
    const { client } = await start({ dataDir: await tempDir(), shardLimit: 8 });
    await createStream(client, "odd", 3);
    const half = await failure(client.send(new UpdateShardCountCommand({ StreamName: "odd", TargetShardCount: 1, ScalingType: "UNIFORM_SCALING" })));
    expect(half.name).toBe("LimitExceededException");
    expect(half.message).toMatch(/less than half/);
    await client.send(new UpdateShardCountCommand({ StreamName: "odd", TargetShardCount: 5, ScalingType: "UNIFORM_SCALING" }));
    await expectUniformCover(client, "odd", 5);
    // 5 -> 8 shares no boundary: 7 temporary splits would take the account past its limit of 8.
    const limited = await failure(client.send(new UpdateShardCountCommand({ StreamName: "odd", TargetShardCount: 8, ScalingType: "UNIFORM_SCALING" })));
    expect(limited.name).toBe("LimitExceededException");
    expect(limited.message).toMatch(/shard limit/);
    // Two calls at once: the second finds the stream UPDATING.
    const both = await Promise.allSettled(
      [3, 4].map((n) => client.send(new UpdateShardCountCommand({ StreamName: "odd", TargetShardCount: n, ScalingType: "UNIFORM_SCALING" }))),
    );
    const won = both.findIndex((r) => r.status === "fulfilled");
    expect(won).toBeGreaterThanOrEqual(0);
    expect(both[1 - won]).toMatchObject({ status: "rejected", reason: { name: "ResourceInUseException" } });
    await expectUniformCover(client, "odd", won === 0 ? 3 : 4);
    expect((await client.send(new DescribeLimitsCommand({}))).OpenShardCount).toBe(won === 0 ? 3 : 4);
  });

  it("allows 10 calls per rolling 24 h per stream, remembered across restarts", async () => {
    const dataDir = await tempDir();
    let now = Date.UTC(2030, 0, 1);
    const clock = () => now;
    const first = await start({ dataDir, clock, limits: false });
    await createStream(first.client, "busy", 1);
    const scale = (client: KinesisClient, n: number) =>
      client.send(new UpdateShardCountCommand({ StreamName: "busy", TargetShardCount: n, ScalingType: "UNIFORM_SCALING" }));
    for (let i = 0; i < 10; i++) {
      await scale(first.client, i % 2 === 0 ? 2 : 1);
      now += 60_000;
    }
    const eleventh = await failure(scale(first.client, 2));
    expect(eleventh.name).toBe("LimitExceededException");
    expect(eleventh.message).toMatch(/10 times in the last 24 hours/);
    await first.stop();

    const second = await start({ dataDir, clock, limits: false });
    expect((await failure(scale(second.client, 2))).name).toBe("LimitExceededException");
    now = Date.UTC(2030, 0, 2) + 1; // the first call is now more than 24 h old
    const out = await scale(second.client, 2);
    expect(out.CurrentShardCount).toBe(1);
    expect((await failure(scale(second.client, 1))).name).toBe("LimitExceededException");
  });

  it("plans uniform targets that snap to existing boundaries", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.boolean(), fc.double({ min: 0.5, max: 2, noNaN: true }), (n, kinesaliteStyle, factor) => {
        const target = Math.max(1, Math.round(n * factor));
        const starts = kinesaliteStyle
          ? Array.from({ length: n }, (_, i) => (SPACE / BigInt(n)) * BigInt(i))
          : uniformStarts(n);
        const current = starts.map((s, i) => ({ shardId: `s${i}`, startingHashKey: s, endingHashKey: (starts[i + 1] ?? SPACE) - 1n }));
        const planned = targetStarts(current, target);
        expect(planned).toHaveLength(target);
        expect(planned[0]).toBe(0n);
        const width = SPACE / BigInt(target);
        planned.forEach((p, i) => {
          if (i > 0) expect(p > (planned[i - 1] as bigint)).toBe(true);
          const ideal = uniformStarts(target)[i] as bigint;
          expect((p > ideal ? p - ideal : ideal - p) * 1_000_000n <= width).toBe(true);
        });
        if (target === n) expect(planned).toEqual(starts); // nothing to do
      }),
      { numRuns: 200 },
    );
  });
});

describe("fault injection", () => {
  it("forces about 30 % InternalFailure with AWS's answer shape, writing only the rest", async () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const faults: FaultInjector = { putRecords: (entries) => entries.map(() => (random() < 0.3 ? "InternalFailure" : undefined)) };
    const { client, kinesis } = await start({ dataDir: await tempDir(), limits: false, faults });
    await createStream(client, "faulty", 2);
    const { results } = await putAll(client, "faulty", makeRecords(2000, 64));
    const failed = results.filter((r) => r.ErrorCode);
    expect(failed.length / results.length).toBeGreaterThan(0.25);
    expect(failed.length / results.length).toBeLessThan(0.35);
    for (const r of failed) expect(r).toEqual({ ErrorCode: "InternalFailure", ErrorMessage: "Internal Service Failure" });
    const stored = await readStream(client, "faulty");
    expect(stored).toHaveLength(2000 - failed.length);
    expect(kinesis.stats().streams.faulty?.totals).toMatchObject({ recordsIn: 2000 - failed.length, failedRecords: failed.length });
  });

  it("fails whole calls and adds delay on request", async () => {
    let failNext: string | undefined;
    const faults: FaultInjector = {
      wholeCall: (operation) => (operation === "PutRecords" ? failNext : undefined),
      delayMs: (operation) => (operation === "ListShards" ? 150 : 0),
    };
    const { client } = await start({ dataDir: await tempDir(), faults });
    await createStream(client, "whole", 1);
    failNext = "InternalFailure";
    const internal = await failure(client.send(new PutRecordsCommand({ StreamName: "whole", Records: [{ PartitionKey: "a", Data: new Uint8Array([1]) }] })));
    expect(internal).toMatchObject({ name: "InternalFailure", $metadata: { httpStatusCode: 500 } });
    failNext = "ProvisionedThroughputExceededException";
    const throttled = await failure(client.send(new PutRecordsCommand({ StreamName: "whole", Records: [{ PartitionKey: "a", Data: new Uint8Array([1]) }] })));
    expect(throttled).toMatchObject({ name: "ProvisionedThroughputExceededException", $metadata: { httpStatusCode: 400 } });
    failNext = undefined;
    const t0 = Date.now();
    await client.send(new ListShardsCommand({ StreamName: "whole" }));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
  });

  it("forces per-entry throttling on chosen shards", async () => {
    const faults: FaultInjector = {
      putRecords: (entries) => entries.map((e) => (e.shardId === "shardId-000000000001" ? "ProvisionedThroughputExceededException" : undefined)),
    };
    const { client } = await start({ dataDir: await tempDir(), faults });
    const arn = await createStream(client, "hot", 2);
    const { results } = await putAll(client, "hot", [
      { PartitionKey: "a", ExplicitHashKey: "0", Data: new Uint8Array([1]) },
      { PartitionKey: "b", ExplicitHashKey: ((1n << 128n) - 1n).toString(), Data: new Uint8Array([2]) },
    ]);
    expect(results[0]?.ShardId).toBe("shardId-000000000000");
    expect(results[1]).toEqual({
      ErrorCode: "ProvisionedThroughputExceededException",
      ErrorMessage: `Rate exceeded for shard shardId-000000000001 in stream hot under account ${accountOf(arn)}.`,
    });
  });
});
