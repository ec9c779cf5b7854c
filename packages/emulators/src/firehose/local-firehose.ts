/**
 * The local Firehose: a delivery stream with a Kinesis source, a Lambda processor and an extended S3 destination,
 * following Firehose's documented behavior (https://docs.aws.amazon.com/firehose/latest/dev/data-transformation.html,
 * https://docs.aws.amazon.com/firehose/latest/dev/basic-deliver.html; KPL records de-aggregated as
 * https://docs.aws.amazon.com/streams/latest/dev/kpl-with-firehose.html says):
 *
 *   shards --GetRecords, de-aggregate--> transform buffer --(processor hints)--> transform Lambda (the real handler,
 *   the real event shape, <= 6 MB per invocation, retried NumberOfRetries times) --> destination buffer
 *   --(destination hints)--> gzip objects under the evaluated Prefix, error documents under ErrorOutputPrefix
 *   --> per-shard checkpoints (only after every object of the round is stored: S3 answered 200).
 *
 * At least once, like Firehose: a crash (kill -9 included) loses buffers, never records; on restart the shards are
 * read again from their checkpoints, so records whose object was stored but not checkpointed are delivered twice.
 * One loop does everything in order, so records of one shard are transformed and delivered in stream order.
 */
import { randomUUID } from "node:crypto";
import { promisify } from "node:util";
import { gzip as gzipCallback } from "node:zlib";
import type { KinesisClient } from "@aws-sdk/client-kinesis";
import type { ObjectStore } from "@eventlake/core/ports";
import { encodeBase64 } from "@eventlake/core/firehose/base64";
import { PROCESSING_ERRORS, type ProcessingError } from "@eventlake/core/firehose/contract";
import { errorDocumentLine, processingFailedDocument } from "./error-output";
import {
  envelopeBytes,
  eventRecordBytes,
  eventRecordOf,
  recordIdOf,
  transformEvent,
  type InvocationEnvelope,
  type SourceRecord,
} from "@eventlake/core/firehose/invocations";
import { planInvocations } from "./invocation-plan";
import { firehoseObjectKey } from "./object-key";
import { laterOf, type ShardPosition } from "./positions";
import {
  evaluatePrefix,
  PrefixConfigError,
  PrefixEvaluationError,
  randomStringFromUuid,
  resolvePrefixes,
  type ErrorOutputType,
  type ResolvedPrefixes,
} from "./prefix";
import { judgeTransformResponse, responseIsTooLarge, type RecordVerdict, type ResponseJudgement } from "./response";
import { localFirehoseConfigProblems, type LocalFirehoseConfig } from "./config";
import { ShardReader } from "./shard-reader";
import { writeAtomically } from "../small-files";
import { CheckpointStore, readStatsFile, statsFileIn, type CheckpointEntry, type FirehoseStats } from "./state";

const gzip = promisify(gzipCallback);

/** The transform function as Firehose sees it: something to invoke synchronously, and its ARN. */
export interface TransformFunction {
  invoke(event: unknown): Promise<unknown>;
  /** The processor's LambdaArn (with its qualifier), written into error documents. */
  arn: string;
}

export interface LocalFirehoseOptions {
  config: LocalFirehoseConfig;
  kinesis: KinesisClient;
  streamName: string;
  /** The destination bucket (the same S3ObjectStore adapter the functions use). */
  store: ObjectStore;
  bucket: string;
  transform: TransformFunction;
  /** Checkpoints and stats: `<dataDir>/firehose`. */
  stateDir: string;
  region: string;
  accountId?: string;
  log?: (line: string) => void;
  /** Called after each poll of the stream with its GetRecords iterator age (ms), for the stream's metrics. */
  onIteratorAge?: (ageMs: number) => void;
  clock?: () => number;
}

interface Pending {
  record: SourceRecord;
  recordId: string;
}

/** What became of one record's invocation: the transform's verdict, or a failure of the whole invocation. */
type RecordOutcome =
  | { verdict: RecordVerdict; attempts: number; endedAtMs: number }
  | { error: ProcessingError; attempts: number; endedAtMs: number };

interface RawGroup {
  chunks: Uint8Array[];
  bytes: number;
  records: number;
  oldestArrivalMs: number;
  /** Set once the object is named, so a retried put overwrites the same key instead of duplicating it. */
  key?: string;
  written?: boolean;
}

interface ErrorGroup {
  type: ErrorOutputType;
  lines: string[];
  bytes: number;
  oldestArrivalMs: number;
  key?: string;
  written?: boolean;
}

/** Transformed records waiting for delivery, and the shard positions they complete. */
interface DestinationBuffer {
  raw: Map<string, RawGroup>;
  errors: Map<ErrorOutputType, ErrorGroup>;
  rawBytes: number;
  positions: Map<string, ShardPosition>;
  recordsByShard: Map<string, number>;
  dropped: number;
  /** When the first verdict entered the buffer (local clock). */
  startedAtMs?: number;
}

const emptyDestination = (): DestinationBuffer => ({
  raw: new Map(),
  errors: new Map(),
  rawBytes: 0,
  positions: new Map(),
  recordsByShard: new Map(),
  dropped: 0,
});

const zeroStats = (config: LocalFirehoseConfig, streamName: string, bucket: string): FirehoseStats => ({
  version: 1,
  deliveryStreamName: config.deliveryStreamName,
  streamName,
  bucket,
  pid: process.pid,
  running: true,
  startedAt: new Date().toISOString(),
  updatedAtMs: 0,
  oldestUndeliveredArrivalMs: null,
  pendingRecords: 0,
  delivered: { objects: 0, records: 0, bytes: 0, compressedBytes: 0 },
  errorOutput: { objects: 0, records: 0 },
  droppedRecords: 0,
  transform: { invocations: 0, failedInvocations: 0, records: 0 },
  lastDeliveryAt: null,
  lastError: null,
});

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class LocalFirehose {
  readonly config: LocalFirehoseConfig;
  readonly prefixes: ResolvedPrefixes;
  private readonly clock: () => number;
  private readonly log: (line: string) => void;
  private readonly checkpointStore: CheckpointStore;
  private checkpoints: Record<string, CheckpointEntry> = {};
  private reader!: ShardReader;
  private readonly envelope: Omit<InvocationEnvelope, "invocationId">;
  private readonly envelopeSize: number;

  private transformBuffer: Pending[] = [];
  private transformBytes = 0;
  private transformStartedAtMs: number | undefined;
  private destination: DestinationBuffer = emptyDestination();
  /** A delivery whose objects are not all stored yet; retried until they are. */
  private round: DestinationBuffer | undefined;
  private roundRetryAtMs = 0;
  /** Records read and not yet durable, per shard (a shard is finished when it ended and this is 0). */
  private readonly pendingByShard = new Map<string, number>();
  private readonly endedShards = new Set<string>();

  private stats: FirehoseStats;
  private statsDirty = true;
  private running = false;
  private stopping = false;
  /** Set when close() stopped waiting: a still-running invocation gives up instead of retrying. */
  private abandoned = false;
  private loopDone: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private backlog = false;
  /** Resolves after the next completed loop iteration (tests and flush()). */
  private iterationWaiters: (() => void)[] = [];

  constructor(private readonly options: LocalFirehoseOptions) {
    this.config = options.config;
    this.clock = options.clock ?? Date.now;
    this.log = options.log ?? (() => undefined);
    const problems = localFirehoseConfigProblems(this.config);
    let prefixes: ResolvedPrefixes | undefined;
    try {
      prefixes = resolvePrefixes({
        prefix: this.config.prefix,
        errorOutputPrefix: this.config.errorOutputPrefix,
      });
      // A prefix that cannot fit in 512 characters fails now, not at the first delivery.
      this.evaluate(prefixes, "raw", this.clock());
      this.evaluate(prefixes, "processing-failed", this.clock());
    } catch (error) {
      if (error instanceof PrefixConfigError) problems.push(...error.problems);
      else if (error instanceof PrefixEvaluationError) problems.push(error.message);
      else throw error;
    }
    if (problems.length > 0 || !prefixes) throw new Error(`invalid local Firehose configuration:\n- ${problems.join("\n- ")}`);
    this.prefixes = prefixes;
    const account = options.accountId ?? "000000000000";
    this.envelope = {
      deliveryStreamArn: `arn:aws:firehose:${options.region}:${account}:deliverystream/${this.config.deliveryStreamName}`,
      sourceKinesisStreamArn: `arn:aws:kinesis:${options.region}:${account}:stream/${options.streamName}`,
      region: options.region,
    };
    this.envelopeSize = envelopeBytes({ ...this.envelope, invocationId: randomUUID() });
    this.checkpointStore = new CheckpointStore(options.stateDir, { deliveryStreamName: this.config.deliveryStreamName, streamName: options.streamName });
    this.stats = zeroStats(this.config, options.streamName, options.bucket);
  }

  private evaluate(prefixes: ResolvedPrefixes, what: "raw" | ErrorOutputType, arrivalMs: number): string {
    const randomString = () => randomStringFromUuid(randomUUID());
    if (what === "raw") return evaluatePrefix(prefixes.prefix, { arrivalMs, randomString });
    return evaluatePrefix(prefixes.errorOutputPrefix, { arrivalMs, randomString, errorOutputType: what });
  }

  /** Loads the checkpoints and starts reading. */
  async start(): Promise<void> {
    if (this.running) return;
    this.checkpoints = this.checkpointStore.load();
    const previous = readStatsFile(statsFileIn(this.options.stateDir));
    if (previous && previous.deliveryStreamName === this.config.deliveryStreamName) {
      // Counters are cumulative over restarts; pending state is not (it is re-read from the stream).
      this.stats.delivered = previous.delivered;
      this.stats.errorOutput = previous.errorOutput;
      this.stats.droppedRecords = previous.droppedRecords;
      this.stats.transform = previous.transform;
      this.stats.lastDeliveryAt = previous.lastDeliveryAt;
    }
    this.reader = new ShardReader({
      client: this.options.kinesis,
      streamName: this.options.streamName,
      checkpoints: this.checkpoints,
      log: this.log,
      clock: this.clock,
    });
    this.running = true;
    this.stopping = false;
    this.abandoned = false;
    this.writeStats();
    this.loopDone = this.loop();
  }

  /** Counters and freshness as persisted for `eventlake status`. */
  currentStats(): FirehoseStats {
    return { ...this.stats, ...this.pendingSummary() };
  }

  /** Checkpoints as last persisted. */
  currentCheckpoints(): Record<string, CheckpointEntry> {
    return structuredClone(this.checkpoints);
  }

  /**
   * Stops reading. With `flush` (the default), first transforms and delivers what is buffered, once. Whatever is not
   * delivered within `timeoutMs` (a hanging transform, S3 down) is left to be read again from the checkpoints at
   * the next start: nothing is lost, shutdown is not held up.
   */
  async close(options: { flush?: boolean; timeoutMs?: number } = {}): Promise<void> {
    if (!this.running) return;
    this.stopping = true;
    this.wake?.();
    const work = (async () => {
      await this.loopDone;
      if (!(options.flush ?? true)) return;
      try {
        if (this.round) await this.deliverRound();
        if (this.transformBuffer.length > 0) await this.transformAll();
        if (!this.round && this.destinationHasContent()) {
          this.round = this.takeDestination();
          await this.deliverRound();
        }
      } catch (error) {
        this.fail("flush on close", error);
      }
    })();
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      work.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), options.timeoutMs ?? 15_000);
      }),
    ]);
    clearTimeout(timer);
    if (!finished) {
      this.abandoned = true;
      this.log(`firehose ${this.config.deliveryStreamName}: stopped without delivering everything; the rest is read again from the checkpoints at the next start`);
    }
    this.running = false;
    this.stats.running = false;
    this.writeStats();
  }

  /** Resolves after `n` more loop iterations (tests; no timing assumptions). */
  async iterations(n = 1): Promise<void> {
    for (let i = 0; i < n; i++) {
      await new Promise<void>((resolve) => {
        this.iterationWaiters.push(resolve);
        this.wake?.();
      });
    }
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      try {
        await this.step();
      } catch (error) {
        this.fail("loop", error);
      }
      this.writeStatsIfDue();
      const waiters = this.iterationWaiters;
      this.iterationWaiters = [];
      for (const w of waiters) w();
      if (this.stopping) break;
      const delay = this.backlog ? Math.min(200, this.config.pollIntervalMs) : this.config.pollIntervalMs;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.nextDelay(delay));
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
    const waiters = this.iterationWaiters;
    this.iterationWaiters = [];
    for (const w of waiters) w();
  }

  /** Sleeps no longer than until the next buffer falls due. */
  private nextDelay(pollDelay: number): number {
    const now = this.clock();
    let delay = pollDelay;
    if (this.transformStartedAtMs !== undefined) delay = Math.min(delay, this.transformStartedAtMs + this.config.processor.bufferIntervalMs - now);
    if (this.destination.startedAtMs !== undefined) delay = Math.min(delay, this.destination.startedAtMs + this.config.bufferIntervalMs - now);
    if (this.round) delay = Math.min(delay, this.roundRetryAtMs - now);
    return Math.max(0, delay);
  }

  private fail(where: string, error: unknown) {
    const message = `${where}: ${(error as Error)?.message ?? String(error)}`;
    this.stats.lastError = message;
    this.statsDirty = true;
    this.log(`firehose ${this.config.deliveryStreamName}: ${message}`);
  }

  private async step(): Promise<void> {
    if (this.round && this.clock() >= this.roundRetryAtMs) await this.deliverRound();
    if (!this.backpressured()) {
      const polled = await this.reader.poll();
      this.options.onIteratorAge?.(polled.iteratorAgeMs);
      this.backlog = polled.millisBehindLatest > 0;
      for (const shardId of polled.endedShards) this.endedShards.add(shardId);
      if (polled.records.length > 0) {
        this.transformStartedAtMs ??= this.clock();
        for (const record of polled.records) {
          this.transformBuffer.push({ record, recordId: recordIdOf(record) });
          this.transformBytes += record.data.byteLength;
          this.pendingByShard.set(record.shardId, (this.pendingByShard.get(record.shardId) ?? 0) + 1);
        }
        this.statsDirty = true;
      }
      // A shard that ended with nothing pending is finished now (its end adds no record to deliver).
      if (polled.endedShards.some((s) => !this.pendingByShard.get(s)) && !this.round && !this.destinationHasContent()) {
        this.commit(emptyDestination());
      }
    }
    if (this.transformDue()) await this.transformAll();
    if (!this.round && this.destinationDue()) {
      this.round = this.takeDestination();
      await this.deliverRound();
    }
  }

  /** Reading stops while deliveries fail or buffers hold far more than one object's worth. */
  private backpressured(): boolean {
    const limit = 2 * this.config.bufferSizeBytes + 2 * this.config.processor.bufferSizeBytes;
    return this.transformBytes + this.destination.rawBytes + (this.round?.rawBytes ?? 0) > limit;
  }

  private transformDue(): boolean {
    if (this.transformBuffer.length === 0) return false;
    if (this.round && this.backpressured()) return false;
    return (
      this.transformBytes >= this.config.processor.bufferSizeBytes ||
      this.clock() - (this.transformStartedAtMs ?? 0) >= this.config.processor.bufferIntervalMs
    );
  }

  private destinationHasContent(): boolean {
    return this.destination.positions.size > 0;
  }

  private destinationDue(): boolean {
    if (!this.destinationHasContent()) return false;
    const d = this.destination;
    const nothingToWrite = d.raw.size === 0 && d.errors.size === 0;
    return nothingToWrite || d.rawBytes >= this.config.bufferSizeBytes || this.clock() - (d.startedAtMs ?? 0) >= this.config.bufferIntervalMs;
  }

  private takeDestination(): DestinationBuffer {
    const taken = this.destination;
    this.destination = emptyDestination();
    return taken;
  }

  // ------------------------------------------------------------------------------------------------------------
  // Transformation

  /**
   * Transforms everything buffered, in invocations of the processor's buffer size. An invocation whose request
   * reaches Lambda's 6 MB is refused, as Lambda refuses it on AWS (every retry alike): its records go to the error
   * output. The stage's buffer hint keeps requests under it (core/firehose/processor-buffer.ts).
   */
  private async transformAll(): Promise<void> {
    const pending = this.transformBuffer;
    this.transformBuffer = [];
    this.transformBytes = 0;
    this.transformStartedAtMs = undefined;
    const eventRecords = pending.map((p) => eventRecordOf(p.record));
    const plan = planInvocations(
      eventRecords.map(eventRecordBytes),
      pending.map((p) => p.record.data.byteLength),
      { envelopeBytes: this.envelopeSize, bufferSizeBytes: this.config.processor.bufferSizeBytes },
    );
    // Verdicts are applied in input order, so each shard's records reach the destination in stream order.
    const outcomes: RecordOutcome[] = new Array<RecordOutcome>(pending.length);
    for (const refused of plan.tooLarge) {
      this.log(
        `firehose ${this.config.deliveryStreamName}: an invocation request of ${refused.requestBytes} bytes (${refused.records.length} records) ` +
          `is over Lambda's 6 MB limit: refused, its records go to the error output (lower the processor buffer)`,
      );
      const attempts = 1 + this.config.processor.retries;
      for (const index of refused.records) outcomes[index] = { error: PROCESSING_ERRORS.requestTooLarge, attempts, endedAtMs: this.clock() };
    }
    for (const batch of plan.batches) {
      const result = await this.invoke(batch.map((i) => eventRecords[i]!));
      batch.forEach((index, position) => {
        outcomes[index] = result.judgement
          ? { verdict: result.judgement.verdicts[position]!, attempts: result.attempts, endedAtMs: result.endedAtMs }
          : { error: result.error!, attempts: result.attempts, endedAtMs: result.endedAtMs };
      });
    }
    for (let i = 0; i < pending.length; i++) {
      const outcome = outcomes[i]!;
      const item = pending[i]!;
      if ("error" in outcome) this.addError(item, outcome.error, outcome.attempts, outcome.endedAtMs);
      else if (outcome.verdict.outcome === "ok") this.addDelivered(item, outcome.verdict.data);
      else if (outcome.verdict.outcome === "dropped") this.addDropped(item);
      else this.addError(item, outcome.verdict.error, outcome.attempts, outcome.endedAtMs);
    }
    this.stats.transform.records += pending.length;
    this.statsDirty = true;
  }

  /** One invocation with Firehose's retries: a throw, a timeout or an oversize response fails the attempt. */
  private async invoke(records: ReturnType<typeof eventRecordOf>[]): Promise<{ judgement?: ResponseJudgement; error?: ProcessingError; attempts: number; endedAtMs: number }> {
    const ids = records.map((r) => r.recordId);
    const attempts = 1 + this.config.processor.retries;
    let lastFailure = "";
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (this.abandoned) throw new Error("the delivery stream was closed");
      const event = transformEvent({ ...this.envelope, invocationId: randomUUID() }, records);
      this.stats.transform.invocations++;
      try {
        const response = await this.options.transform.invoke(event);
        const responseBytes = Buffer.byteLength(JSON.stringify(response ?? null) ?? "null");
        if (responseIsTooLarge(responseBytes)) {
          throw new Error(`Response payload size (${responseBytes} bytes) exceeded maximum allowed payload size (6291556 bytes).`);
        }
        const judgement = judgeTransformResponse(ids, response);
        if (judgement.malformed || judgement.extraRecordIds.length > 0 || judgement.returnedCount !== judgement.expectedCount) {
          this.log(
            `firehose ${this.config.deliveryStreamName}: transform answered ${judgement.returnedCount} record(s) for ${judgement.expectedCount}` +
              `${judgement.malformed ? ` (${judgement.malformed})` : ""}${judgement.extraRecordIds.length > 0 ? `, ${judgement.extraRecordIds.length} unknown recordId(s) ignored` : ""}`,
          );
        }
        return { judgement, attempts: attempt, endedAtMs: this.clock() };
      } catch (error) {
        this.stats.transform.failedInvocations++;
        lastFailure = (error as Error)?.message ?? String(error);
        this.log(`firehose ${this.config.deliveryStreamName}: transform invocation ${attempt}/${attempts} failed: ${lastFailure}`);
        if (attempt < attempts) await sleep(this.config.processor.retryDelayMs * attempt);
      }
    }
    this.stats.lastError = `transform failed ${attempts} time(s): ${lastFailure}`;
    return { error: PROCESSING_ERRORS.functionError, attempts, endedAtMs: this.clock() };
  }

  private noteVerdict(item: Pending) {
    const d = this.destination;
    d.startedAtMs ??= this.clock();
    const { shardId, sequenceNumber, subsequenceNumber } = item.record;
    d.positions.set(shardId, laterOf(d.positions.get(shardId), { sequenceNumber, subsequenceNumber }));
    d.recordsByShard.set(shardId, (d.recordsByShard.get(shardId) ?? 0) + 1);
  }

  private addDelivered(item: Pending, data: Uint8Array) {
    // Without dynamic partitioning every record of a round goes to the one raw object of the round.
    const groupKey = "";
    this.noteVerdict(item);
    const d = this.destination;
    let group = d.raw.get(groupKey);
    if (!group) {
      group = { chunks: [], bytes: 0, records: 0, oldestArrivalMs: item.record.arrivalMs };
      d.raw.set(groupKey, group);
    }
    group.chunks.push(data);
    group.bytes += data.byteLength;
    group.records++;
    group.oldestArrivalMs = Math.min(group.oldestArrivalMs, item.record.arrivalMs);
    d.rawBytes += data.byteLength;
  }

  private addDropped(item: Pending) {
    this.noteVerdict(item);
    this.destination.dropped++;
  }

  private addError(item: Pending, error: { errorCode: string; errorMessage: string }, attemptsMade: number, attemptEndingTimestamp: number) {
    this.noteVerdict(item);
    const type: ErrorOutputType = "processing-failed";
    const d = this.destination;
    let group = d.errors.get(type);
    if (!group) {
      group = { type, lines: [], bytes: 0, oldestArrivalMs: item.record.arrivalMs };
      d.errors.set(type, group);
    }
    const line = errorDocumentLine(
      processingFailedDocument({
        attemptsMade,
        arrivalTimestamp: item.record.arrivalMs,
        error,
        attemptEndingTimestamp,
        rawData: encodeBase64(item.record.data),
        lambdaArn: this.options.transform.arn,
      }),
    );
    group.lines.push(line);
    group.bytes += Buffer.byteLength(line);
    group.oldestArrivalMs = Math.min(group.oldestArrivalMs, item.record.arrivalMs);
  }

  // ------------------------------------------------------------------------------------------------------------
  // Delivery

  private async body(chunks: readonly (Uint8Array | string)[]): Promise<Uint8Array> {
    const plain = Buffer.concat(chunks.map((c) => (typeof c === "string" ? Buffer.from(c) : c)));
    return this.config.compression === "GZIP" ? await gzip(plain) : plain;
  }

  private objectKey(prefix: string, oldestArrivalMs: number): string {
    return firehoseObjectKey({
      prefix,
      deliveryStreamName: this.config.deliveryStreamName,
      deliveryStreamVersion: this.config.deliveryStreamVersion,
      timeMs: oldestArrivalMs,
      uuid: randomUUID(),
      compression: this.config.compression,
    });
  }

  /** Stores every object of the round not stored yet; commits the checkpoints once all are. */
  private async deliverRound(): Promise<void> {
    const round = this.round!;
    try {
      for (const group of round.raw.values()) {
        if (group.written) continue;
        group.key ??= this.objectKey(this.evaluate(this.prefixes, "raw", group.oldestArrivalMs), group.oldestArrivalMs);
        const body = await this.body(group.chunks);
        await this.options.store.put(group.key, body);
        group.written = true;
        this.stats.delivered.objects++;
        this.stats.delivered.records += group.records;
        this.stats.delivered.bytes += group.bytes;
        this.stats.delivered.compressedBytes += body.byteLength;
      }
      for (const group of round.errors.values()) {
        if (group.written) continue;
        group.key ??= this.objectKey(this.evaluate(this.prefixes, group.type, group.oldestArrivalMs), group.oldestArrivalMs);
        await this.options.store.put(group.key, await this.body(group.lines));
        group.written = true;
        this.stats.errorOutput.objects++;
        this.stats.errorOutput.records += group.lines.length;
      }
    } catch (error) {
      this.roundRetryAtMs = this.clock() + this.config.deliveryRetryDelayMs;
      this.fail("delivery to S3 failed (will retry)", error);
      return;
    }
    this.round = undefined;
    this.commit(round);
  }

  /** Advances the checkpoints past a durable round and persists them. */
  private commit(round: DestinationBuffer): void {
    for (const [shardId, position] of round.positions) {
      const previous = this.checkpoints[shardId];
      const base = previous && "sequenceNumber" in previous ? previous : undefined;
      this.checkpoints[shardId] = { ...laterOf(base, position) };
    }
    for (const [shardId, count] of round.recordsByShard) {
      const left = (this.pendingByShard.get(shardId) ?? 0) - count;
      if (left > 0) this.pendingByShard.set(shardId, left);
      else this.pendingByShard.delete(shardId);
    }
    const finishedNow: string[] = [];
    for (const shardId of this.endedShards) {
      if (this.pendingByShard.has(shardId)) continue;
      const entry = this.checkpoints[shardId];
      this.checkpoints[shardId] = entry && "sequenceNumber" in entry ? { ...entry, finished: true } : { finished: true };
      finishedNow.push(shardId);
    }
    this.checkpointStore.save(this.checkpoints);
    for (const shardId of finishedNow) {
      this.endedShards.delete(shardId);
      this.reader.markFinished(shardId);
    }
    this.stats.droppedRecords += round.dropped;
    if (round.raw.size > 0 || round.errors.size > 0) this.stats.lastDeliveryAt = new Date(this.clock()).toISOString();
    this.statsDirty = true;
    this.writeStats();
  }

  // ------------------------------------------------------------------------------------------------------------
  // Stats

  private pendingSummary(): Pick<FirehoseStats, "oldestUndeliveredArrivalMs" | "pendingRecords"> {
    let oldest = Infinity;
    let pending = 0;
    for (const item of this.transformBuffer) oldest = Math.min(oldest, item.record.arrivalMs);
    for (const buffer of [this.destination, this.round]) {
      if (!buffer) continue;
      for (const g of buffer.raw.values()) oldest = Math.min(oldest, g.oldestArrivalMs);
      for (const g of buffer.errors.values()) oldest = Math.min(oldest, g.oldestArrivalMs);
    }
    for (const count of this.pendingByShard.values()) pending += count;
    return { oldestUndeliveredArrivalMs: Number.isFinite(oldest) ? oldest : null, pendingRecords: pending };
  }

  private lastStatsWriteMs = 0;

  private writeStatsIfDue(): void {
    const now = this.clock();
    // Freshness changes with time while records wait, so pending state is rewritten every second too.
    if (this.statsDirty || (this.pendingByShard.size > 0 && now - this.lastStatsWriteMs >= 1000)) {
      if (now - this.lastStatsWriteMs >= 1000 || !this.running) this.writeStats();
    }
  }

  private writeStats(): void {
    this.stats = { ...this.stats, ...this.pendingSummary(), updatedAtMs: this.clock() };
    try {
      // Not fsynced: the counters are informational; the checkpoints are what must survive a crash.
      writeAtomically(statsFileIn(this.options.stateDir), `${JSON.stringify(this.stats, null, 2)}\n`);
      this.lastStatsWriteMs = this.clock();
      this.statsDirty = false;
    } catch (error) {
      this.log(`firehose: could not write stats: ${(error as Error).message}`);
    }
  }
}
