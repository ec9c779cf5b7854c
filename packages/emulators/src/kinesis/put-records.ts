/**
 * PutRecords and PutRecord through the per-shard write limiter and the fault injector.
 *
 * A request the front cannot judge (malformed, unknown stream, stream not writable) goes to kinesalite as
 * received, so kinesalite's own validation answers it. Otherwise each entry is, in order: failed by the fault
 * injector, or refused by the limiter (ProvisionedThroughputExceededException), or sent on to kinesalite. Only
 * the entries sent on are written; their results are merged back in request order with a FailedRecordCount
 * that counts every entry carrying an ErrorCode (https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecords.html).
 */
import { hashKeyOfEntry, recordSizeBytes, type WriteEntry } from "./shard-throughput";
import { KINESIS } from "@eventlake/core/limits";
import type { Backend, RawResponse } from "./backend";
import type { FaultEntry, FaultInjector } from "./faults";
import type { StreamInfo, StreamRegistry } from "./shard-maps";
import type { StatsRecorder } from "./stats";
import { KinesisError, messages, statusCodeFor } from "./wire";

export interface PutContext {
  backend: Backend;
  registry: StreamRegistry;
  stats: StatsRecorder;
  faults: FaultInjector | undefined;
  limits: boolean;
  clock: () => number;
}

/** What the front answers: kinesalite's response as is, or JSON of its own. */
export type Reply = { raw: RawResponse } | { json: unknown };

interface WireEntry {
  Data: string;
  PartitionKey: string;
  ExplicitHashKey?: string | null;
}

interface ResultEntry {
  ShardId?: string;
  SequenceNumber?: string;
  ErrorCode?: string;
  ErrorMessage?: string;
}

const STREAM_NAME = /^[a-zA-Z0-9_.-]{1,128}$/;
const EXPLICIT_HASH_KEY = /^(0|[1-9]\d{0,38})$/;
/** kinesalite refuses request bodies over 7 MiB; the front forwards admitted entries in chunks below that. */
const MAX_FORWARD_BODY_BYTES = 6 * 1024 * 1024;

/**
 * Decoded size of base64 data. Only the cheap checks here: kinesalite validates the characters itself (a request
 * it then refuses has already used limiter capacity, which only malformed clients can cause).
 */
function base64Bytes(data: unknown): number | undefined {
  if (typeof data !== "string" || data.length % 4 !== 0) return undefined;
  return Buffer.byteLength(data, "base64");
}

/** Data bytes of a well-formed entry (the checks kinesalite makes), else undefined. */
function entryBytes(entry: unknown): number | undefined {
  if (typeof entry !== "object" || entry === null) return undefined;
  const e = entry as Record<string, unknown>;
  if (typeof e.PartitionKey !== "string" || e.PartitionKey.length < 1 || e.PartitionKey.length > KINESIS.maxPartitionKeyChars) {
    return undefined;
  }
  const ehk = e.ExplicitHashKey;
  if (ehk != null && (typeof ehk !== "string" || !EXPLICIT_HASH_KEY.test(ehk) || BigInt(ehk) > KINESIS.maxHashKey)) return undefined;
  const bytes = base64Bytes(e.Data);
  return bytes !== undefined && bytes <= KINESIS.maxRecordBytes ? bytes : undefined;
}

function writeEntry(e: WireEntry, bytes: number): WriteEntry {
  return e.ExplicitHashKey != null
    ? { partitionKey: e.PartitionKey, explicitHashKey: e.ExplicitHashKey, bytes }
    : { partitionKey: e.PartitionKey, bytes };
}

/** The stream if the front can judge writes to it; undefined means "let kinesalite answer". */
async function writableStream(registry: StreamRegistry, streamName: unknown): Promise<StreamInfo | undefined> {
  if (typeof streamName !== "string" || !STREAM_NAME.test(streamName)) return undefined;
  const info = await registry.get(streamName);
  if (!info || (info.status !== "ACTIVE" && info.status !== "UPDATING") || info.openShards.length === 0) return undefined;
  return info;
}

function errorMessage(code: string, shardId: string, info: StreamInfo): string {
  if (code === "ProvisionedThroughputExceededException") return messages.throttled(shardId, info.streamName, info.accountId);
  if (code === "InternalFailure") return messages.internalFailure;
  return code;
}

function faultEntries(info: StreamInfo, entries: readonly WriteEntry[], ctx: PutContext): FaultEntry[] {
  const limiter = ctx.registry.limiterFor(info);
  return entries.map((e, index) => ({
    index,
    streamName: info.streamName,
    shardId: limiter.shardFor(hashKeyOfEntry(e)) ?? "",
    partitionKey: e.partitionKey,
    ...(e.explicitHashKey !== undefined ? { explicitHashKey: String(e.explicitHashKey) } : {}),
    bytes: e.bytes,
  }));
}

function parseJson(body: Buffer): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(body.toString("utf8"));
    return typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export async function putRecords(ctx: PutContext, body: Record<string, unknown>, forwardRaw: (b?: Buffer) => Promise<RawResponse>): Promise<Reply> {
  const records = body.Records;
  if (!Array.isArray(records) || records.length < 1 || records.length > KINESIS.maxRecordsPerPutRecords) {
    return { raw: await forwardRaw() };
  }
  const sizes: number[] = [];
  for (const r of records) {
    const bytes = entryBytes(r);
    if (bytes === undefined) return { raw: await forwardRaw() };
    sizes.push(bytes);
  }
  const info = await writableStream(ctx.registry, body.StreamName);
  if (!info) return { raw: await forwardRaw() };
  const wire = records as WireEntry[];
  const entries = wire.map((e, i) => writeEntry(e, sizes[i] as number));
  const n = entries.length;
  const results: (ResultEntry | undefined)[] = new Array(n);
  const shardOf: string[] = new Array(n);

  // 1. Injected faults.
  let candidates = entries.map((_, i) => i);
  if (ctx.faults?.putRecords) {
    const described = faultEntries(info, entries, ctx);
    const forced = ctx.faults.putRecords(described) ?? [];
    candidates = [];
    for (let i = 0; i < n; i++) {
      const code = forced[i];
      const shardId = (described[i] as FaultEntry).shardId;
      if (code) {
        results[i] = { ErrorCode: code, ErrorMessage: errorMessage(code, shardId, info) };
        shardOf[i] = shardId;
      } else candidates.push(i);
    }
  }

  // 2. Per-shard limits.
  let admitted = candidates;
  if (ctx.limits && candidates.length) {
    const admissions = ctx.registry.limiterFor(info).admit(
      candidates.map((i) => entries[i] as WriteEntry),
      ctx.clock(),
    );
    admitted = [];
    admissions.forEach((a, k) => {
      const i = candidates[k] as number;
      if (a.admitted) admitted.push(i);
      else {
        results[i] = { ErrorCode: "ProvisionedThroughputExceededException", ErrorMessage: messages.throttled(a.shardId, info.streamName, info.accountId) };
        shardOf[i] = a.shardId;
      }
    });
  }

  // 3. Write the admitted entries (in chunks kinesalite accepts) and merge the results back.
  let encryptionType: unknown = "NONE";
  if (admitted.length) {
    const chunks = chunkBySize(admitted, wire);
    for (const [c, chunk] of chunks.entries()) {
      const forwardBody = chunk.length === n ? undefined : Buffer.from(JSON.stringify({ ...body, Records: chunk.map((i) => wire[i]) }));
      const response = await forwardRaw(forwardBody);
      const parsed = response.statusCode === 200 ? parseJson(response.body) : undefined;
      const got = parsed?.Records;
      if (!parsed || !Array.isArray(got) || got.length !== chunk.length) {
        if (c === 0 && results.every((r) => r === undefined)) return { raw: response };
        for (const i of chunk) results[i] = { ErrorCode: "InternalFailure", ErrorMessage: messages.internalFailure };
        continue;
      }
      if (parsed.EncryptionType !== undefined) encryptionType = parsed.EncryptionType;
      chunk.forEach((i, k) => {
        results[i] = got[k] as ResultEntry;
      });
    }
  }

  // 4. Count.
  let failed = 0;
  for (let i = 0; i < n; i++) {
    const r = results[i] as ResultEntry;
    if (r.ErrorCode) {
      failed++;
      const counter = r.ErrorCode === "ProvisionedThroughputExceededException" ? "throttledRecords" : "failedRecords";
      ctx.stats.add(info.streamName, r.ShardId ?? shardOf[i] ?? "unknown", counter, 1);
    } else if (r.ShardId) {
      ctx.stats.add(info.streamName, r.ShardId, "recordsIn", 1);
      ctx.stats.add(info.streamName, r.ShardId, "bytesIn", recordSizeBytes(entries[i] as WriteEntry));
    }
  }
  return { json: { FailedRecordCount: failed, Records: results, EncryptionType: encryptionType } };
}

function chunkBySize(indexes: readonly number[], wire: readonly WireEntry[]): number[][] {
  const chunks: number[][] = [];
  let current: number[] = [];
  let size = 0;
  for (const i of indexes) {
    const e = wire[i] as WireEntry;
    const entrySize = e.Data.length + e.PartitionKey.length * 6 + 120;
    if (current.length && size + entrySize > MAX_FORWARD_BODY_BYTES) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(i);
    size += entrySize;
  }
  if (current.length) chunks.push(current);
  return chunks;
}

export async function putRecord(ctx: PutContext, body: Record<string, unknown>, forwardRaw: () => Promise<RawResponse>): Promise<Reply> {
  const bytes = entryBytes(body);
  const info = bytes === undefined ? undefined : await writableStream(ctx.registry, body.StreamName);
  if (bytes === undefined || !info) return { raw: await forwardRaw() };
  const entry = writeEntry(body as unknown as WireEntry, bytes);

  const forced = ctx.faults?.putRecords?.(faultEntries(info, [entry], ctx))?.[0];
  if (forced) {
    const shardId = ctx.registry.limiterFor(info).shardFor(hashKeyOfEntry(entry)) ?? "unknown";
    const counter = forced === "ProvisionedThroughputExceededException" ? "throttledRecords" : "failedRecords";
    ctx.stats.add(info.streamName, shardId, counter, 1);
    throw new KinesisError(forced, errorMessage(forced, shardId, info), statusCodeFor(forced));
  }
  if (ctx.limits) {
    const [admission] = ctx.registry.limiterFor(info).admit([entry], ctx.clock());
    if (admission && !admission.admitted) {
      ctx.stats.add(info.streamName, admission.shardId, "throttledRecords", 1);
      throw new KinesisError(
        "ProvisionedThroughputExceededException",
        messages.throttled(admission.shardId, info.streamName, info.accountId),
      );
    }
  }
  const response = await forwardRaw();
  if (response.statusCode === 200) {
    const shardId = parseJson(response.body)?.ShardId;
    if (typeof shardId === "string") {
      ctx.stats.add(info.streamName, shardId, "recordsIn", 1);
      ctx.stats.add(info.streamName, shardId, "bytesIn", recordSizeBytes(entry));
    }
  }
  return { raw: response };
}
