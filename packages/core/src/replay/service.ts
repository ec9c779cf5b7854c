/**
 * `eventlake replay`: fallback spills or raw archive objects back into the stream, over the ports (ObjectStore,
 * StreamWriter), so the same code serves the local lake and an AWS stage. Downstream the curator removes what was
 * already curated (by messageId, within its dedup window), so a replay never duplicates curated rows inside it.
 *
 * Each object is re-sent whole; when every one of its records was written (or spilled again, durably, to a new
 * fallback object), a ledger marker is stored for it, and later replays skip it unless `again` is set. An object
 * that fails part-way gets no marker: the next replay re-sends it whole (duplicates, never loss).
 *
 * Fallback records whose messageId is already in the raw archive (their client retried after the 503 and got
 * through) are not re-sent when `archived` can tell: the curator's dedup state only reaches back its window (an
 * hour), so re-sending an event curated long ago would curate it twice (and a bad row would be quarantined twice).
 */
import { gunzipSync } from "node:zlib";
import type { ObjectStore, StreamWriter } from "../ports";
import type { BadRow } from "../ingest/events";
import { REPLAY_SOURCES, inReplayRange, ledgerKeyOf, ndjsonLines, replayRecordOf, type ReplayRecord, type ReplaySource } from "./records";
import { rejudgeBadRow, type RejudgeContext } from "./rejudge";

export interface ReplayOptions {
  source: ReplaySource;
  /** Only objects of hours overlapping [sinceMs, untilMs). */
  sinceMs?: number;
  untilMs?: number;
  /** Re-send objects a previous replay already re-sent. */
  again?: boolean;
  /** Count what would be re-sent, send nothing, mark nothing. */
  dryRun?: boolean;
  /** Time given to each write of up to `chunkRecords` records (the writer retries within it, then spills). */
  writeBudgetMs?: number;
  chunkRecords?: number;
  now?: () => number;
  onObject?: (progress: ReplayObjectResult) => void;
  /**
   * For fallback and quarantine replays: which of these records (by kind and messageId) the raw archive already
   * holds; they are not re-sent (for quarantine: an event accepted since under the same messageId). Answers keys
   * made by `archiveKeyOf`.
   */
  archived?: (records: readonly { kind: "event" | "bad_row"; messageId: string }[]) => Promise<ReadonlySet<string>>;
  /** For quarantine replays (required there): today's validation config and schemas. */
  rejudge?: RejudgeContext;
}

export interface ReplayObjectResult {
  key: string;
  records: number;
  written: number;
  spilled: number;
  failed: number;
  refused: number;
  /** Records not re-sent because the raw archive already holds their messageId (as the same kind). */
  alreadyArchived: number;
  /** Skipped: a previous replay re-sent it (see `again`). */
  alreadyReplayed: boolean;
}

export interface ReplayReport {
  source: ReplaySource;
  dryRun: boolean;
  objects: number;
  alreadyReplayed: number;
  records: number;
  events: number;
  badRows: number;
  written: number;
  spilled: number;
  failed: number;
  /** Fallback records not re-sent because the raw archive already holds them (their clients retried). */
  alreadyArchived: number;
  /** Quarantine replays: bad rows still rejected today, by reason (not re-sent). */
  stillRejected: number;
  stillRejectedReasons: Record<string, number>;
  /** Lines that were not records the pipeline writes (not JSON, unknown kind): never sent. */
  refused: number;
  refusedReasons: Record<string, number>;
  /** Objects not fully re-sent (no marker stored): run the replay again. */
  incompleteObjects: string[];
}

/** The key `archived` answers with: a record's kind and messageId. */
export const archiveKeyOf = (kind: "event" | "bad_row", messageId: string) => `${kind} ${messageId}`;

function decode(key: string, bytes: Uint8Array): Uint8Array {
  return key.endsWith(".gz") ? gunzipSync(bytes) : bytes;
}

export async function replay(store: ObjectStore, writer: StreamWriter, options: ReplayOptions): Promise<ReplayReport> {
  const now = options.now ?? Date.now;
  const chunkRecords = options.chunkRecords ?? 500;
  const budget = options.writeBudgetMs ?? 30_000;
  const report: ReplayReport = {
    source: options.source, dryRun: options.dryRun ?? false, objects: 0, alreadyReplayed: 0, records: 0, events: 0, badRows: 0,
    written: 0, spilled: 0, failed: 0, refused: 0, alreadyArchived: 0, stillRejected: 0, stillRejectedReasons: {}, refusedReasons: {}, incompleteObjects: [],
  };
  if (options.source === "quarantine" && !options.rejudge) throw new Error("a quarantine replay needs the validation context (rejudge)");
  const range = { ...(options.sinceMs !== undefined ? { sinceMs: options.sinceMs } : {}), ...(options.untilMs !== undefined ? { untilMs: options.untilMs } : {}) };

  // Listed first, then replayed: spills a replay makes land in fallback/ and are not picked up by this same run.
  const keys: string[] = [];
  for await (const object of store.list(REPLAY_SOURCES[options.source])) {
    if (inReplayRange(object.key, range)) keys.push(object.key);
  }

  // 1. Read what is to be re-sent (objects not replayed before), then ask once which events the archive holds.
  const pending: { key: string; result: ReplayObjectResult; records: ReplayRecord[] }[] = [];
  for (const key of keys) {
    const result: ReplayObjectResult = { key, records: 0, written: 0, spilled: 0, failed: 0, refused: 0, alreadyArchived: 0, alreadyReplayed: false };
    report.objects++;
    if (!options.again && (await store.get(ledgerKeyOf(options.source, key))) !== undefined) {
      result.alreadyReplayed = true;
      report.alreadyReplayed++;
      options.onObject?.(result);
      continue;
    }
    const bytes = await store.get(key);
    if (bytes === undefined) continue; // removed since the listing: nothing to send
    const records: ReplayRecord[] = [];
    for (const line of ndjsonLines(decode(key, bytes))) {
      const record = replayRecordOf(line);
      if ("refused" in record) {
        result.refused++;
        report.refusedReasons[record.refused] = (report.refusedReasons[record.refused] ?? 0) + 1;
      } else if (options.source !== "quarantine") records.push(record);
      else if (record.kind === "bad_row") {
        // Judged again: re-sent as an event if it passes today, left in quarantine otherwise.
        const judged = rejudgeBadRow(JSON.parse(Buffer.from(record.data).toString("utf8")) as BadRow, options.rejudge!);
        if (judged.ok) records.push(judged.record);
        else {
          report.stillRejected++;
          report.stillRejectedReasons[judged.reason] = (report.stillRejectedReasons[judged.reason] ?? 0) + 1;
        }
      }
    }
    pending.push({ key, result, records });
  }
  const identified = options.source !== "raw" && options.archived
    ? pending.flatMap((p) => p.records.filter((r) => r.messageId !== undefined).map((r) => ({ kind: r.kind, messageId: r.messageId! })))
    : [];
  const archived = identified.length ? await options.archived!(identified) : new Set<string>();

  // 2. Re-send object by object; mark each one that nothing failed in.
  for (const { key, result, records: all } of pending) {
    const records = all.filter((r) => r.messageId === undefined || !archived.has(archiveKeyOf(r.kind, r.messageId)));
    result.alreadyArchived = all.length - records.length;
    result.records = records.length;
    for (const r of records) {
      if (r.kind === "event") report.events++;
      else report.badRows++;
    }
    if (!options.dryRun) {
      for (let i = 0; i < records.length; i += chunkRecords) {
        const written = await writer.write(records.slice(i, i + chunkRecords), now() + budget);
        for (const outcome of written.outcomes) result[outcome]++;
      }
      if (result.failed === 0) {
        await store.put(ledgerKeyOf(options.source, key), JSON.stringify({ replayedAt: new Date(now()).toISOString(), records: result.records, written: result.written, spilled: result.spilled, alreadyArchived: result.alreadyArchived }), { contentType: "application/json" });
      } else report.incompleteObjects.push(key);
    }
    report.records += result.records;
    report.written += result.written;
    report.spilled += result.spilled;
    report.failed += result.failed;
    report.refused += result.refused;
    report.alreadyArchived += result.alreadyArchived;
    options.onObject?.(result);
  }
  return report;
}
