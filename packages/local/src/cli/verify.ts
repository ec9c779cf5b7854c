/**
 * `eventlake verify`: loss accounting across the local lake's layers. Every accepted event must be in the raw archive,
 * every valid one in the curated table exactly once, every rejected one (a bad row) in quarantine; events spilled to
 * fallback/ must have reached the stream too (clients retry after a 503) or be waiting for a replay.
 *
 * With `--expect <file>` (what `eventlake send --record <file>` writes: one `message_id,outcome` line per event the
 * pipeline answered, outcome `accepted` or `rejected`) it also checks those exact events: nothing answered 2xx may be
 * missing anywhere.
 */
import { appendFileSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { CURATION_CONTRACT } from "@eventlake/core/curation/contract";
import { archiveKeyOf } from "@eventlake/core/replay/service";
import { LAKE_PREFIXES } from "@eventlake/core/stage-config";
import { resolveDataDir } from "../local-config";
import { n, table } from "./format";
import { lakeViewSql, localLakeDir } from "./query";
import { mirrorStageLake } from "./stage-lake-mirror";
import { runOnStage, stageLake } from "./stage-target";
import { parseTimeOption } from "./time-option";

export interface LayerCounts {
  rawEvents: number;
  rawDistinctEvents: number;
  rawBadRows: number;
  curatedRows: number;
  curatedDistinct: number;
  quarantinedRows: number;
  /** Events in the raw archive whose messageId is neither curated nor quarantined. */
  rawNotCurated: number;
  spilledEvents: number;
  /** Spilled events whose messageId never reached the raw archive. */
  spilledNotInRaw: number;
}

/** The events a sender knows it was answered about (from an expectations file). */
export interface ExpectedCounts {
  accepted: number;
  rejected: number;
  /** Accepted events whose messageId is not in the raw archive. */
  acceptedNotInRaw: number;
  /** Accepted events in neither the curated table nor quarantine. */
  acceptedNotCurated: number;
  /** Accepted (valid) events the curator quarantined instead: ingest and curation disagree. */
  acceptedQuarantined: number;
  /** Rows beyond one per accepted event in the curated table. */
  acceptedCuratedDuplicates: number;
  /** Rejected events not in the raw archive as bad rows. */
  rejectedNotInRaw: number;
  /** Rejected events missing from quarantine. */
  rejectedNotQuarantined: number;
}

export interface Reconciliation {
  ok: boolean;
  problems: string[];
  notes: string[];
}

/** The verdict, from the counts (pure). */
export function reconcile(c: LayerCounts, expected?: ExpectedCounts): Reconciliation {
  const problems: string[] = [];
  const notes: string[] = [];
  if (expected) {
    if (expected.acceptedNotInRaw > 0) problems.push(`${expected.acceptedNotInRaw} accepted event(s) are not in the raw archive`);
    if (expected.acceptedNotCurated > 0) problems.push(`${expected.acceptedNotCurated} accepted event(s) are neither curated nor quarantined`);
    if (expected.acceptedQuarantined > 0) problems.push(`${expected.acceptedQuarantined} accepted event(s) were quarantined by the curator instead of curated`);
    if (expected.acceptedCuratedDuplicates > 0) problems.push(`${expected.acceptedCuratedDuplicates} accepted event(s) are curated more than once`);
    if (expected.rejectedNotInRaw > 0) problems.push(`${expected.rejectedNotInRaw} rejected event(s) are not in the raw archive as bad rows`);
    if (expected.rejectedNotQuarantined > 0) problems.push(`${expected.rejectedNotQuarantined} rejected event(s) are missing from quarantine`);
  }
  const duplicates = c.curatedRows - c.curatedDistinct;
  if (duplicates > 0) problems.push(`${duplicates} duplicate row(s) in the curated events table`);
  if (c.rawNotCurated > 0) problems.push(`${c.rawNotCurated} event(s) in the raw archive are neither curated nor quarantined (the curator may still be catching up)`);
  if (c.quarantinedRows < c.rawBadRows) problems.push(`${c.rawBadRows - c.quarantinedRows} bad row(s) in the raw archive are missing from quarantine`);
  if (c.spilledNotInRaw > 0) notes.push(`${c.spilledNotInRaw} spilled event(s) are only in fallback/ (their clients did not retry): \`npx eventlake replay --from fallback\` re-sends them`);
  if (c.rawEvents > c.rawDistinctEvents) notes.push(`${c.rawEvents - c.rawDistinctEvents} duplicate event(s) in the raw archive (at-least-once; removed at curation)`);
  return { ok: problems.length === 0, problems, notes };
}

function hasFiles(dir: string, suffix: string): boolean {
  if (!existsSync(dir)) return false;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory() && hasFiles(join(dir, e.name), suffix)) return true;
    if (e.isFile() && e.name.startsWith("@") && e.name.endsWith(suffix)) return true;
  }
  return false;
}

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** A view of (kind, message_id) over NDJSON objects in the local S3 (gzip or plain). */
function recordsView(name: string, dir: string, suffix: string): string {
  if (!hasFiles(dir, suffix)) return `CREATE OR REPLACE VIEW ${name} AS SELECT CAST(NULL AS VARCHAR) AS kind, CAST(NULL AS VARCHAR) AS message_id WHERE false`;
  // The local S3 stores object `a/b/c.gz` as the file a/b/@c.gz, under year=/month=/day=/hour= folders.
  const glob = join(dir, "*", "*", "*", "*", `@*${suffix}`);
  return `CREATE OR REPLACE VIEW ${name} AS SELECT kind, "messageId" AS message_id FROM read_json(${quote(glob)},
    format = 'newline_delimited', columns = {kind: 'VARCHAR', messageId: 'VARCHAR'}, ignore_errors = true)`;
}

/** Writes (or appends to) an expectations file: one `message_id,outcome` line per event a sender was answered about. */
export function recordOutcomes(file: string, outcome: { accepted: readonly string[]; rejected: readonly string[] }, options: { create?: boolean } = {}) {
  if (options.create || !existsSync(file)) writeFileSync(file, "message_id,outcome\n");
  const lines = [...outcome.accepted.map((id) => `${id},accepted`), ...outcome.rejected.map((id) => `${id},rejected`)];
  if (lines.length) appendFileSync(file, `${lines.join("\n")}\n`);
}

const EXPECTED_SQL = `
  SELECT
    (SELECT count(*) FROM expected WHERE outcome = 'accepted'),
    (SELECT count(*) FROM expected WHERE outcome = 'rejected'),
    (SELECT count(*) FROM expected e WHERE outcome = 'accepted'
       AND NOT EXISTS (SELECT 1 FROM raw_records r WHERE r.kind = 'event' AND r.message_id = e.message_id)),
    (SELECT count(*) FROM expected e WHERE outcome = 'accepted'
       AND NOT EXISTS (SELECT 1 FROM events c WHERE c.message_id = e.message_id)
       AND NOT EXISTS (SELECT 1 FROM quarantine q WHERE q.message_id = e.message_id)),
    (SELECT count(*) FROM expected e WHERE outcome = 'accepted'
       AND NOT EXISTS (SELECT 1 FROM events c WHERE c.message_id = e.message_id)
       AND EXISTS (SELECT 1 FROM quarantine q WHERE q.message_id = e.message_id)),
    (SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM events c JOIN expected e USING (message_id)
       WHERE e.outcome = 'accepted' GROUP BY message_id HAVING count(*) > 1)),
    (SELECT count(*) FROM expected e WHERE outcome = 'rejected'
       AND NOT EXISTS (SELECT 1 FROM raw_records r WHERE r.kind = 'bad_row' AND r.message_id = e.message_id)),
    (SELECT count(*) FROM expected e WHERE outcome = 'rejected'
       AND NOT EXISTS (SELECT 1 FROM quarantine q WHERE q.message_id = e.message_id))`;

/** Which of these records (kind and messageId) the local raw archive holds, as `archiveKeyOf` keys (for replay). */
export async function archivedRecords(dataDir: string, records: readonly { kind: "event" | "bad_row"; messageId: string }[]): Promise<Set<string>> {
  const raw = join(localLakeDir(dataDir), LAKE_PREFIXES.raw);
  if (records.length === 0 || !hasFiles(raw, ".gz")) return new Set();
  const instance = await DuckDBInstance.create(":memory:", { threads: "2" });
  const connection = await instance.connect();
  const idsFile = join(dataDir, `replay-ids-${process.pid}.csv`);
  try {
    // CSV-quoted: messageIds are client strings.
    const csv = (v: string) => `"${v.replace(/"/g, '""')}"`;
    writeFileSync(idsFile, `kind,message_id\n${records.map((r) => `${r.kind},${csv(r.messageId)}`).join("\n")}\n`);
    await connection.run(recordsView("raw_records", raw, ".gz"));
    const reader = await connection.runAndReadAll(`
      SELECT DISTINCT r.kind, r.message_id FROM raw_records r
        JOIN read_csv(${quote(idsFile)}, header = true, quote = '"', escape = '"', columns = {kind: 'VARCHAR', message_id: 'VARCHAR'}) w
        ON r.kind = w.kind AND r.message_id = w.message_id`);
    return new Set(reader.getRows().map((r) => archiveKeyOf(String(r[0]) as "event" | "bad_row", String(r[1]))));
  } finally {
    rmSync(idsFile, { force: true });
    connection.closeSync();
    instance.closeSync();
  }
}

export async function countLayers(dataDir: string): Promise<LayerCounts>;
export async function countLayers(dataDir: string, expectFile: string): Promise<LayerCounts & { expected: ExpectedCounts }>;
export async function countLayers(dataDir: string, expectFile?: string): Promise<LayerCounts & { expected?: ExpectedCounts }> {
  const lake = localLakeDir(dataDir);
  const instance = await DuckDBInstance.create(":memory:", { threads: "2" });
  const connection = await instance.connect();
  try {
    for (const t of Object.values(CURATION_CONTRACT.tables)) await connection.run(lakeViewSql(lake, t));
    await connection.run(recordsView("raw_records", join(lake, LAKE_PREFIXES.raw), ".gz"));
    await connection.run(recordsView("fallback_records", join(lake, LAKE_PREFIXES.fallback), ".ndjson"));
    const reader = await connection.runAndReadAll(`
      SELECT
        (SELECT count(*) FROM raw_records WHERE kind = 'event'),
        (SELECT count(DISTINCT message_id) FROM raw_records WHERE kind = 'event'),
        (SELECT count(*) FROM raw_records WHERE kind = 'bad_row'),
        (SELECT count(*) FROM events),
        (SELECT count(DISTINCT message_id) FROM events),
        (SELECT count(*) FROM quarantine),
        (SELECT count(DISTINCT message_id) FROM raw_records r WHERE kind = 'event'
           AND message_id NOT IN (SELECT message_id FROM events WHERE message_id IS NOT NULL)
           AND message_id NOT IN (SELECT message_id FROM quarantine WHERE message_id IS NOT NULL)),
        (SELECT count(*) FROM fallback_records WHERE kind = 'event'),
        (SELECT count(DISTINCT message_id) FROM fallback_records WHERE kind = 'event'
           AND message_id NOT IN (SELECT message_id FROM raw_records WHERE message_id IS NOT NULL))`);
    const row = reader.getRows()[0]!.map((v) => Number(v));
    const [rawEvents, rawDistinctEvents, rawBadRows, curatedRows, curatedDistinct, quarantinedRows, rawNotCurated, spilledEvents, spilledNotInRaw] = row as number[];
    const counts: LayerCounts = { rawEvents: rawEvents!, rawDistinctEvents: rawDistinctEvents!, rawBadRows: rawBadRows!, curatedRows: curatedRows!, curatedDistinct: curatedDistinct!, quarantinedRows: quarantinedRows!, rawNotCurated: rawNotCurated!, spilledEvents: spilledEvents!, spilledNotInRaw: spilledNotInRaw! };
    if (expectFile === undefined) return counts;
    await connection.run(`CREATE TABLE expected AS SELECT DISTINCT message_id, outcome FROM read_csv(${quote(expectFile)}, header = true, columns = {message_id: 'VARCHAR', outcome: 'VARCHAR'})`);
    const bad = await connection.runAndReadAll("SELECT count(*) FROM expected WHERE outcome NOT IN ('accepted', 'rejected') OR message_id IS NULL");
    if (Number(bad.getRows()[0]![0]) > 0) throw new Error(`${expectFile}: every line must be "<messageId>,accepted" or "<messageId>,rejected"`);
    const e = (await connection.runAndReadAll(EXPECTED_SQL)).getRows()[0]!.map((v) => Number(v));
    const [accepted, rejected, acceptedNotInRaw, acceptedNotCurated, acceptedQuarantined, acceptedCuratedDuplicates, rejectedNotInRaw, rejectedNotQuarantined] = e as number[];
    return {
      ...counts,
      expected: { accepted: accepted!, rejected: rejected!, acceptedNotInRaw: acceptedNotInRaw!, acceptedNotCurated: acceptedNotCurated!, acceptedQuarantined: acceptedQuarantined!, acceptedCuratedDuplicates: acceptedCuratedDuplicates!, rejectedNotInRaw: rejectedNotInRaw!, rejectedNotQuarantined: rejectedNotQuarantined! },
    };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

export interface VerifyCliOptions {
  dataDir?: string;
  json: boolean;
  expect?: string;
  /** A deployed stage instead of the local lake (resources from SST's outputs). */
  stage?: string;
  outputs?: string;
  region?: string;
  /** On a stage: reconcile objects written since this time (ISO UTC or relative 6h / 2d; default 1h). */
  since?: string;
}

export async function runVerify(options: VerifyCliOptions) {
  if (options.expect !== undefined && !existsSync(options.expect)) {
    console.error(`eventlake verify: --expect ${options.expect}: no such file (write one with \`eventlake send --record <file>\`)`);
    process.exit(1);
  }
  if (options.stage !== undefined) {
    process.exitCode = await verifyStage({ ...options, stage: options.stage });
    return;
  }
  const dataDir = resolveDataDir(options.dataDir);
  if (!existsSync(localLakeDir(dataDir))) {
    console.error(`eventlake verify: no local lake in ${dataDir} yet. Start the pipeline with \`npm start\` and send events first.`);
    process.exit(1);
  }
  const counts: LayerCounts & { expected?: ExpectedCounts } = options.expect === undefined ? await countLayers(dataDir) : await countLayers(dataDir, options.expect);
  process.exitCode = printVerification(counts, options.json);
}

/**
 * `verify --stage`: the stage's lake objects of a time window copied into a temporary local lake
 * (./stage-lake-mirror.ts), then the same reconciliation as locally.
 */
async function verifyStage(options: VerifyCliOptions & { stage: string }): Promise<number> {
  let sinceMs: number;
  try {
    sinceMs = parseTimeOption(options.since ?? "1h")!;
  } catch (error) {
    console.error(`eventlake verify: --since: ${(error as Error).message}`);
    return 1;
  }
  return runOnStage("verify", options, async ({ resources, region }) => {
    const dir = mkdtempSync(join(tmpdir(), "eventlake-verify-"));
    const lake = stageLake(resources, region);
    try {
      const copied = await mirrorStageLake(lake, dir, { sinceMs, nowMs: Date.now() });
      if (!options.json) {
        console.error(`copied ${n(copied.objects)} object(s), ${n(copied.bytes)} bytes, of stage "${resources.stage}" written since ${new Date(sinceMs).toISOString()} (raw/ and fallback/; curated/ and quarantine/ from 30 min earlier)`);
      }
      const counts: LayerCounts & { expected?: ExpectedCounts } = options.expect === undefined ? await countLayers(dir) : await countLayers(dir, options.expect);
      return printVerification(counts, options.json);
    } finally {
      lake.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

/** Prints the counts and the verdict; returns the exit code (2 when something is lost or duplicated). */
function printVerification(counts: LayerCounts & { expected?: ExpectedCounts }, json: boolean): number {
  const verdict = reconcile(counts, counts.expected);
  if (json) {
    console.log(JSON.stringify({ ...counts, ...verdict }, null, 2));
  } else {
    console.log(
      table(
        [
          ["raw archive", `${n(counts.rawEvents)} events (${n(counts.rawDistinctEvents)} distinct messageIds), ${n(counts.rawBadRows)} bad rows`],
          ["curated events", `${n(counts.curatedRows)} rows, ${n(counts.curatedDistinct)} distinct messageIds`],
          ["quarantine", `${n(counts.quarantinedRows)} rows`],
          ["fallback", `${n(counts.spilledEvents)} spilled events, ${n(counts.spilledNotInRaw)} not (yet) in the raw archive`],
          ["raw, not curated", n(counts.rawNotCurated)],
          ...(counts.expected
            ? [
                ["expected: accepted", `${n(counts.expected.accepted)}: ${n(counts.expected.acceptedNotInRaw)} not in raw, ${n(counts.expected.acceptedNotCurated)} not curated, ${n(counts.expected.acceptedCuratedDuplicates)} curated twice`],
                ["expected: rejected", `${n(counts.expected.rejected)}: ${n(counts.expected.rejectedNotInRaw)} not in raw, ${n(counts.expected.rejectedNotQuarantined)} not quarantined`],
              ]
            : []),
        ],
        ["layer", "count"],
      ),
    );
    for (const note of verdict.notes) console.log(`note: ${note}`);
    for (const problem of verdict.problems) console.log(`PROBLEM: ${problem}`);
    console.log(verdict.ok ? "\nOK: nothing lost, nothing curated twice." : "\nNOT OK: see the problems above.");
  }
  return verdict.ok ? 0 : 2;
}
