/**
 * The control-plane calls kinesalite lacks, carried out by the front: UpdateShardCount (as SplitShard/MergeShards
 * on kinesalite) and DescribeLimits.
 *
 * UpdateShardCount follows the AWS contract (https://docs.aws.amazon.com/kinesis/latest/APIReference/API_UpdateShardCount.html): ScalingType UNIFORM_SCALING only; the target
 * between half and double the open shard count; at most 10,000 shards per stream; at most 10 calls per rolling
 * 24 h per stream (kept in <dataDir>/scaling.json, so restarts do not reset it); the account shard limit,
 * temporary shards included. Shape errors answer ValidationException with AWS's "N validation error(s) detected"
 * text; limit breaches answer LimitExceededException (the messages are this stand-in's own wording: AWS does not
 * document its exact text). Unlike AWS, the call returns once the resharding is done (it takes milliseconds
 * here); while it runs, DescribeStream/DescribeStreamSummary show UPDATING and other resharding calls on the
 * stream get ResourceInUseException.
 *
 * The result: open shards with contiguous hash ranges covering 0..2^128-1, shard i starting at
 * floor(i * 2^128 / N), except that a target boundary within one millionth of a shard width of an existing
 * boundary keeps the existing one (so streams created by kinesalite, whose boundaries are floor(2^128 / N) * i,
 * are not split into slivers).
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { KINESIS } from "@eventlake/core/limits";
import { findShardIndex, type ShardRange } from "@eventlake/core/kinesis/shard-map";
import type { Backend } from "./backend";
import { openShardsOf, type StreamInfo, type StreamRegistry } from "./shard-maps";
import { KinesisError, messages } from "./wire";

const DAY_MS = 24 * 60 * 60 * 1000;
const SPACE = KINESIS.maxHashKey + 1n;
const STREAM_NAME = /^[a-zA-Z0-9_.-]+$/;
const STREAM_ARN = /^arn:aws.*:kinesis:.*:\d{12}:stream\/\S+$/;
/** AWS's default quota of on-demand streams per account (https://docs.aws.amazon.com/streams/latest/dev/service-sizes-and-limits.html). */
export const ON_DEMAND_STREAM_COUNT_LIMIT = 50;

/** The account id kinesalite uses (it reads AWS_ACCOUNT_ID the same way). */
export function defaultAccountId(): string {
  return (process.env.AWS_ACCOUNT_ID || "0000-0000-0000").replace(/[^\d]/g, "");
}

// ---------------------------------------------------------------------------------------------------------------
// Planning (pure)

/** Starting hash keys of N uniform shards: floor(i * 2^128 / N). */
export function uniformStarts(n: number): bigint[] {
  const count = BigInt(n);
  return Array.from({ length: n }, (_, i) => (SPACE * BigInt(i)) / count);
}

/**
 * The starting hash keys the stream should end up with: uniform ones, each snapped to an existing boundary when
 * one lies within `width / 10^6` (at least 2, so every boundary left to split at is a valid SplitShard key).
 */
export function targetStarts(current: readonly ShardRange[], target: number): bigint[] {
  const sorted = [...current].sort((a, b) => (a.startingHashKey < b.startingHashKey ? -1 : a.startingHashKey > b.startingHashKey ? 1 : 0));
  const width = SPACE / BigInt(target);
  const tolerance = width / 1_000_000n > 2n ? width / 1_000_000n : 2n;
  const distance = (a: bigint, b: bigint) => (a > b ? a - b : b - a);
  return uniformStarts(target).map((start) => {
    if (start === 0n) return 0n;
    // The nearest existing boundaries are the start of the shard holding `start` and the start of the next one.
    const i = findShardIndex(sorted, start);
    const candidates = [sorted[i]?.startingHashKey, sorted[i + 1]?.startingHashKey].filter((c): c is bigint => c !== undefined);
    let best: bigint | undefined;
    for (const c of candidates) {
      if (distance(c, start) <= tolerance && (best === undefined || distance(c, start) < distance(best, start))) best = c;
    }
    return best ?? start;
  });
}

/** True when the shards are contiguous and cover the whole key space. */
export function coversKeySpace(shards: readonly ShardRange[]): boolean {
  let next = 0n;
  for (const s of shards) {
    if (s.startingHashKey !== next) return false;
    next = s.endingHashKey + 1n;
  }
  return next === SPACE;
}

// ---------------------------------------------------------------------------------------------------------------
// The 10-per-24-h log

export class ScalingLog {
  private streams: Record<string, number[]> = {};
  private readonly path: string;
  private writing: Promise<void> = Promise.resolve();

  constructor(dataDir: string) {
    this.path = join(dataDir, "scaling.json");
  }

  async load(): Promise<void> {
    try {
      const parsed = JSON.parse(await readFile(this.path, "utf8")) as { streams?: Record<string, number[]> };
      if (parsed.streams && typeof parsed.streams === "object") this.streams = parsed.streams;
    } catch {
      // none yet
    }
  }

  /** Times (ms) of the stream's UpdateShardCount calls in the 24 h before nowMs. */
  recent(streamName: string, nowMs: number): number[] {
    return (this.streams[streamName] ?? []).filter((t) => t > nowMs - DAY_MS && t <= nowMs);
  }

  async record(streamName: string, nowMs: number): Promise<void> {
    this.streams[streamName] = [...this.recent(streamName, nowMs), nowMs];
    await this.persist();
  }

  async drop(streamName: string): Promise<void> {
    if (!(streamName in this.streams)) return;
    delete this.streams[streamName];
    await this.persist();
  }

  private persist(): Promise<void> {
    const next = this.writing.then(async () => {
      await mkdir(dirname(this.path), { recursive: true });
      const tmp = `${this.path}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify({ version: 1, streams: this.streams }, null, 2));
      await rename(tmp, this.path);
    });
    this.writing = next.catch(() => undefined);
    return next;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Calls

export interface ControlPlaneContext {
  backend: Backend;
  registry: StreamRegistry;
  scalingLog: ScalingLog;
  shardLimit: number;
  clock: () => number;
  /** Streams being resharded by UpdateShardCount right now. */
  resharding: Set<string>;
}

interface DescribeStreamSummaryOutput {
  StreamDescriptionSummary: { StreamStatus: string; OpenShardCount: number; StreamARN: string };
}

async function streamNames(backend: Backend): Promise<string[]> {
  const names: string[] = [];
  let exclusiveStart: string | undefined;
  for (;;) {
    const page = await backend.call<{ StreamNames: string[]; HasMoreStreams: boolean }>("ListStreams", {
      Limit: 1000,
      ...(exclusiveStart ? { ExclusiveStartStreamName: exclusiveStart } : {}),
    });
    names.push(...page.StreamNames);
    if (!page.HasMoreStreams || page.StreamNames.length === 0) return names;
    exclusiveStart = page.StreamNames[page.StreamNames.length - 1];
  }
}

/** Status and open shard count of every stream kinesalite holds. */
export async function streamSummaries(backend: Backend): Promise<{ name: string; status: string; openShardCount: number }[]> {
  const out: { name: string; status: string; openShardCount: number }[] = [];
  for (const name of await streamNames(backend)) {
    try {
      const s = await backend.call<DescribeStreamSummaryOutput>("DescribeStreamSummary", { StreamName: name });
      out.push({ name, status: s.StreamDescriptionSummary.StreamStatus, openShardCount: s.StreamDescriptionSummary.OpenShardCount });
    } catch (err) {
      if (!(err instanceof KinesisError && err.type === "ResourceNotFoundException")) throw err;
    }
  }
  return out;
}

export async function describeLimits(ctx: Pick<ControlPlaneContext, "backend" | "shardLimit">) {
  const summaries = await streamSummaries(ctx.backend);
  return {
    ShardLimit: ctx.shardLimit,
    OpenShardCount: summaries.reduce((sum, s) => sum + s.openShardCount, 0),
    // kinesalite has provisioned streams only.
    OnDemandStreamCount: 0,
    OnDemandStreamCountLimit: ON_DEMAND_STREAM_COUNT_LIMIT,
  };
}

/** Polls until kinesalite shows the stream ACTIVE (its resharding steps finish on a 0 ms timer). */
export async function waitForActive(backend: Backend, streamName: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await backend.call<DescribeStreamSummaryOutput>("DescribeStreamSummary", { StreamName: streamName });
    if (s.StreamDescriptionSummary.StreamStatus === "ACTIVE") return;
    if (Date.now() > deadline) throw new KinesisError("InternalFailure", `Stream ${streamName} did not become ACTIVE`, 500);
    await new Promise((r) => setTimeout(r, 1));
  }
}

function validationErrors(input: Record<string, unknown>): string[] {
  const errors: string[] = [];
  const show = (v: unknown) => (v == null ? "null" : `'${String(v)}'`);
  const scalingType = input.ScalingType;
  if (scalingType == null) errors.push("Value null at 'scalingType' failed to satisfy constraint: Member must not be null");
  else if (scalingType !== "UNIFORM_SCALING") {
    errors.push(
      `Value ${show(scalingType)} at 'scalingType' failed to satisfy constraint: Member must satisfy enum value set: [UNIFORM_SCALING]`,
    );
  }
  const target = input.TargetShardCount;
  if (target == null) errors.push("Value null at 'targetShardCount' failed to satisfy constraint: Member must not be null");
  else if (typeof target === "number" && target < 1) {
    errors.push(`Value ${show(target)} at 'targetShardCount' failed to satisfy constraint: Member must have value greater than or equal to 1`);
  } else if (typeof target === "number" && target > 100_000) {
    errors.push(`Value ${show(target)} at 'targetShardCount' failed to satisfy constraint: Member must have value less than or equal to 100000`);
  }
  const name = input.StreamName;
  if (typeof name === "string") {
    if (name.length < 1 || name.length > 128) {
      errors.push(`Value ${show(name)} at 'streamName' failed to satisfy constraint: Member must have length between 1 and 128`);
    } else if (!STREAM_NAME.test(name)) {
      errors.push(`Value ${show(name)} at 'streamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+`);
    }
  }
  const arn = input.StreamARN;
  if (typeof arn === "string" && (arn.length > 2048 || !STREAM_ARN.test(arn))) {
    errors.push(
      `Value ${show(arn)} at 'streamARN' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:aws.*:kinesis:.*:\\d{12}:stream/\\S+`,
    );
  }
  return errors;
}

export interface UpdateShardCountOutput {
  StreamName: string;
  CurrentShardCount: number;
  TargetShardCount: number;
  StreamARN: string;
}

export async function updateShardCount(ctx: ControlPlaneContext, input: Record<string, unknown>): Promise<UpdateShardCountOutput> {
  for (const key of ["TargetShardCount"] as const) {
    const v = input[key];
    if (v != null && (typeof v !== "number" || !Number.isInteger(v))) {
      throw new KinesisError("SerializationException", `${key} must be an integer`);
    }
  }
  for (const key of ["StreamName", "StreamARN", "ScalingType"] as const) {
    const v = input[key];
    if (v != null && typeof v !== "string") throw new KinesisError("SerializationException", `${key} must be a string`);
  }
  const errors = validationErrors(input);
  if (errors.length) {
    throw new KinesisError("ValidationException", `${errors.length} validation error${errors.length > 1 ? "s" : ""} detected: ${errors.join("; ")}`);
  }
  const target = input.TargetShardCount as number;
  const arnName = typeof input.StreamARN === "string" ? input.StreamARN.slice(input.StreamARN.indexOf(":stream/") + 8) : undefined;
  const nameGiven = typeof input.StreamName === "string" ? input.StreamName : undefined;
  if (!nameGiven && !arnName) throw new KinesisError("InvalidArgumentException", "Either StreamName or StreamARN must be provided.");
  if (nameGiven && arnName && nameGiven !== arnName) {
    throw new KinesisError("InvalidArgumentException", "StreamName and StreamARN refer to different streams.");
  }
  const name = (nameGiven ?? arnName) as string;

  const info = await ctx.registry.get(name);
  if (!info) throw new KinesisError("ResourceNotFoundException", messages.streamNotFound(name, defaultAccountId()));
  const account = info.accountId;
  if (ctx.resharding.has(name) || info.status !== "ACTIVE") {
    throw new KinesisError("ResourceInUseException", messages.streamNotActive(name, account, ctx.resharding.has(name) ? "UPDATING" : info.status));
  }
  // Claimed before the next await, so that a concurrent call on the same stream sees it.
  ctx.resharding.add(name);
  try {
    return await scale(ctx, info, target);
  } finally {
    ctx.resharding.delete(name);
    ctx.registry.invalidate(name);
  }
}

async function scale(ctx: ControlPlaneContext, info: StreamInfo, target: number): Promise<UpdateShardCountOutput> {
  const name = info.streamName;
  const account = info.accountId;
  const current = info.openShards.length;
  const failed = `UpdateShardCount failed for stream ${name} under account ${account}.`;
  if (target > current * 2) {
    throw new KinesisError("LimitExceededException", `${failed} TargetShardCount ${target} is more than double the current open shard count ${current}.`);
  }
  if (target * 2 < current) {
    throw new KinesisError("LimitExceededException", `${failed} TargetShardCount ${target} is less than half the current open shard count ${current}.`);
  }
  if (target > KINESIS.maxShardsPerStream) {
    throw new KinesisError("LimitExceededException", `${failed} TargetShardCount ${target} exceeds the limit of ${KINESIS.maxShardsPerStream} shards per stream.`);
  }
  const now = ctx.clock();
  const recent = ctx.scalingLog.recent(name, now);
  if (recent.length >= KINESIS.maxScalingCallsPer24h) {
    const next = new Date(Math.min(...recent) + DAY_MS).toISOString();
    throw new KinesisError(
      "LimitExceededException",
      `${failed} The stream was already scaled ${recent.length} times in the last 24 hours (limit ${KINESIS.maxScalingCallsPer24h}); the next scaling is allowed after ${next}.`,
    );
  }
  const starts = targetStarts(info.openShards, target);
  const existing = new Set(info.openShards.map((s) => s.startingHashKey));
  const splits = starts.filter((s) => !existing.has(s)).length;
  const accountOpen = (await streamSummaries(ctx.backend)).reduce((sum, s) => sum + s.openShardCount, 0);
  if (accountOpen + splits > ctx.shardLimit) {
    throw new KinesisError(
      "LimitExceededException",
      `This request would exceed the shard limit for the account ${account}. Current shard count for the account: ${accountOpen}. Limit: ${ctx.shardLimit}. Number of additional shards (temporary ones included) that would have resulted from this request: ${splits}.`,
    );
  }

  await reshard(ctx, name, starts);
  await ctx.scalingLog.record(name, now);
  return { StreamName: name, CurrentShardCount: current, TargetShardCount: target, StreamARN: info.streamArn };
}

async function openShards(backend: Backend, streamName: string): Promise<ShardRange[]> {
  const d = await backend.call<{ StreamDescription: { Shards: Parameters<typeof openShardsOf>[0] } }>("DescribeStream", {
    StreamName: streamName,
  });
  return openShardsOf(d.StreamDescription.Shards);
}

/** Splits at every target boundary that is not a boundary yet, then merges the pieces of each target range. */
async function reshard(ctx: ControlPlaneContext, streamName: string, starts: readonly bigint[]): Promise<void> {
  const { backend } = ctx;
  for (const start of starts) {
    const open = await openShards(backend, streamName);
    if (open.some((s) => s.startingHashKey === start)) continue;
    const shard = open[findShardIndex(open, start)];
    if (!shard) throw new KinesisError("InternalFailure", `No open shard holds hash key ${start}`, 500);
    await backend.call("SplitShard", { StreamName: streamName, ShardToSplit: shard.shardId, NewStartingHashKey: start.toString() });
    ctx.registry.invalidate(streamName);
    await waitForActive(backend, streamName);
  }
  for (;;) {
    const open = await openShards(backend, streamName);
    let merged = false;
    for (let i = 0; i < starts.length && !merged; i++) {
      const lo = starts[i] as bigint;
      const hi = starts[i + 1] ?? SPACE;
      const pieces = open.filter((s) => s.startingHashKey >= lo && s.startingHashKey < hi);
      const [first, second] = pieces;
      if (first && second) {
        await backend.call("MergeShards", { StreamName: streamName, ShardToMerge: first.shardId, AdjacentShardToMerge: second.shardId });
        ctx.registry.invalidate(streamName);
        await waitForActive(backend, streamName);
        merged = true;
      }
    }
    if (!merged) {
      if (!coversKeySpace(open) || open.length !== starts.length) {
        throw new KinesisError("InternalFailure", `Resharding ${streamName} left an unexpected shard map`, 500);
      }
      return;
    }
  }
}
