/**
 * The curation conformance fixtures (test/conformance/fixtures/*.json): stream records in, and the curated rows,
 * quarantined rows and aggregates each micro-batch must produce, with state carried from batch to batch. Any engine
 * that runs the compiled contract must reproduce them exactly: the DuckDB engine runs them in duckdb.test.ts; the
 * Glue side uses the same loader to check its Spark SQL for the same contract.
 *
 * Fixture format (JSON):
 *   { "description", "defaults"?: {fields merged under every "event" input},
 *     "batches": [ { "processingTime", "arrivalTime" (default for the batch's records), "batchId"? (default: index),
 *       "records": [ { "event": {...} (defaults merged, then "omit": [keys] removed, JSON.stringify'd)
 *                    | "json": any (JSON.stringify'd as is) | "text": "raw line" | "base64": "bytes",
 *                    "arrivalTime"?: ISO } ],
 *       "expected": { "events": [row], "quarantine": [row], "aggregates": [row], "stats"?: {...} } } ] }
 * Expected rows are exact: a column not given must be NULL, except processing_time and batch_id (the batch's), and
 * for quarantine rows, which name their record with "input": <index>: payload / payload_encoding (the record's text,
 * or base64 when not UTF-8), arrival_time, payload_truncated (false), stage ("curation") and year/month/day (of the
 * arrival time) default from it. Timestamps are ISO-8601 UTC with up to 6 fractional digits (compared at micros).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CURATION_CONTRACT, type CuratedTableName, type LogicalType } from "@eventlake/core/curation/contract";

export type Row = Record<string, string | number | boolean | null>;

export interface FixtureRecordInput {
  event?: Record<string, unknown>;
  omit?: string[];
  json?: unknown;
  text?: string;
  base64?: string;
  arrivalTime?: string;
}

export interface FixtureBatchSpec {
  batchId?: number;
  processingTime: string;
  arrivalTime: string;
  records: FixtureRecordInput[];
  expected: {
    events: Row[];
    quarantine: (Row & { input?: number })[];
    aggregates: Row[];
    stats?: Partial<Record<"records" | "curated" | "duplicates" | "quarantined" | "lateEvents" | "aggregates", number>>;
  };
}

export interface FixtureSpec {
  description: string;
  defaults?: Record<string, unknown>;
  batches: FixtureBatchSpec[];
}

/** A record as an engine receives it. */
export interface ResolvedRecord {
  bytes: Buffer;
  arrivalTime: string;
}

export interface ResolvedBatch {
  batchId: number;
  processingTime: string;
  records: ResolvedRecord[];
  /** Expected rows, complete (every column of the table, in canonical form) and sorted. */
  expected: Record<CuratedTableName, Row[]>;
  expectedStats: FixtureBatchSpec["expected"]["stats"];
}

export interface ConformanceFixture {
  name: string;
  description: string;
  batches: ResolvedBatch[];
}

export const FIXTURES_DIR = fileURLToPath(new URL("./fixtures/", import.meta.url));

const TS = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?Z$/;

/** ISO-8601 UTC with up to 6 fractional digits -> the canonical form with exactly 6 ("...:SS.ffffffZ"). */
export function canonicalTimestamp(value: string): string {
  const m = TS.exec(value);
  if (!m) throw new Error(`fixture: not an ISO-8601 UTC timestamp with at most 6 fractional digits: ${value}`);
  return `${m[1]}.${(m[2] ?? "").padEnd(6, "0")}Z`;
}

function columnsOf(table: CuratedTableName): { name: string; type: LogicalType | "partition" }[] {
  const t = CURATION_CONTRACT.tables[table];
  return [...t.columns.map((c) => ({ name: c.name, type: c.type })), ...t.partitionColumns.map((c) => ({ name: c.name, type: "partition" as const }))];
}

/** Puts a row in canonical form: every column of the table present, timestamps at micros; unknown columns rejected. */
export function canonicalRow(table: CuratedTableName, row: Row, where: string): Row {
  const columns = columnsOf(table);
  const known = new Set(columns.map((c) => c.name));
  for (const k of Object.keys(row)) if (!known.has(k)) throw new Error(`${where}: unknown ${table} column "${k}"`);
  const out: Row = {};
  for (const c of columns) {
    const v = row[c.name] ?? null;
    if (v === null) out[c.name] = null;
    else if (c.type === "timestamp") out[c.name] = canonicalTimestamp(String(v));
    else if (c.type === "bigint") out[c.name] = Number(v);
    else if (c.type === "boolean") out[c.name] = Boolean(v);
    else out[c.name] = String(v);
  }
  return out;
}

export function sortRows(rows: Row[]): Row[] {
  return rows.map((r) => [JSON.stringify(r), r] as const).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([, r]) => r);
}

function resolveRecord(spec: FixtureSpec, batch: FixtureBatchSpec, r: FixtureRecordInput, where: string): ResolvedRecord {
  const forms = ["event", "json", "text", "base64"].filter((k) => k in r);
  if (forms.length !== 1) throw new Error(`${where}: a record needs exactly one of event, json, text, base64`);
  let bytes: Buffer;
  if (r.event !== undefined) {
    const merged: Record<string, unknown> = { ...spec.defaults, ...r.event };
    for (const k of r.omit ?? []) delete merged[k];
    bytes = Buffer.from(JSON.stringify(merged), "utf8");
  } else if ("json" in r) bytes = Buffer.from(JSON.stringify(r.json), "utf8");
  else if (r.text !== undefined) bytes = Buffer.from(r.text, "utf8");
  else bytes = Buffer.from(r.base64!, "base64");
  return { bytes, arrivalTime: canonicalTimestamp(r.arrivalTime ?? batch.arrivalTime) };
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function resolveBatch(spec: FixtureSpec, batch: FixtureBatchSpec, index: number, where: string): ResolvedBatch {
  const batchId = batch.batchId ?? index;
  const records = batch.records.map((r, i) => resolveRecord(spec, batch, r, `${where} record ${i}`));
  const common = { processing_time: batch.processingTime, batch_id: batchId };
  const events = batch.expected.events.map((row, i) => canonicalRow("events", { ...common, ...row }, `${where} events[${i}]`));
  const aggregates = batch.expected.aggregates.map((row, i) => canonicalRow("aggregates", { ...common, ...row }, `${where} aggregates[${i}]`));
  const quarantine = batch.expected.quarantine.map((q, i) => {
    const { input, ...row } = q;
    const defaults: Row = { ...common, payload_truncated: false, stage: "curation" };
    if (input !== undefined) {
      const rec = records[input];
      if (!rec) throw new Error(`${where} quarantine[${i}]: no record ${input}`);
      let text: string | undefined;
      try {
        text = strictUtf8.decode(rec.bytes);
      } catch {
        text = undefined;
      }
      Object.assign(defaults, {
        payload: text ?? rec.bytes.toString("base64"),
        payload_encoding: text === undefined ? "base64" : "text",
        arrival_time: rec.arrivalTime,
        year: rec.arrivalTime.slice(0, 4),
        month: rec.arrivalTime.slice(5, 7),
        day: rec.arrivalTime.slice(8, 10),
      });
    }
    return canonicalRow("quarantine", { ...defaults, ...row }, `${where} quarantine[${i}]`);
  });
  return {
    batchId,
    processingTime: canonicalTimestamp(batch.processingTime),
    records,
    expected: { events: sortRows(events), quarantine: sortRows(quarantine), aggregates: sortRows(aggregates) },
    expectedStats: batch.expected.stats,
  };
}

/** Every fixture in the folder, resolved (records as bytes, expected rows complete and sorted). */
export function loadConformanceFixtures(dir: string = FIXTURES_DIR): ConformanceFixture[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((file) => {
      const spec = JSON.parse(readFileSync(join(dir, file), "utf8")) as FixtureSpec;
      const name = file.replace(/\.json$/, "");
      return { name, description: spec.description, batches: spec.batches.map((b, i) => resolveBatch(spec, b, i, `${name} batch ${i}`)) };
    });
}
