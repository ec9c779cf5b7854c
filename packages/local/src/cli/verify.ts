/**
 * `eventlake verify`: loss accounting across the local lake's layers. Every accepted event must be in the raw archive,
 * every valid one in the curated table exactly once, every rejected one (a bad row) in quarantine; events spilled to
 * fallback/ must have reached the stream too (clients retry after a 503) or be waiting for a replay.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { CURATION_CONTRACT } from "@eventlake/core/curation/contract";
import { LAKE_PREFIXES } from "@eventlake/core/stage-config";
import { resolveDataDir } from "../local-config";
import { n, table } from "./format";
import { lakeViewSql, localLakeDir } from "./query";

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

export interface Reconciliation {
  ok: boolean;
  problems: string[];
  notes: string[];
}

/** The verdict, from the counts (pure). */
export function reconcile(c: LayerCounts): Reconciliation {
  const problems: string[] = [];
  const notes: string[] = [];
  const duplicates = c.curatedRows - c.curatedDistinct;
  if (duplicates > 0) problems.push(`${duplicates} duplicate row(s) in the curated events table`);
  if (c.rawNotCurated > 0) problems.push(`${c.rawNotCurated} event(s) in the raw archive are neither curated nor quarantined (the curator may still be catching up)`);
  if (c.quarantinedRows < c.rawBadRows) problems.push(`${c.rawBadRows - c.quarantinedRows} bad row(s) in the raw archive are missing from quarantine`);
  if (c.spilledNotInRaw > 0) notes.push(`${c.spilledNotInRaw} spilled event(s) are only in fallback/ (their clients did not retry): they wait for a replay`);
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

export async function countLayers(dataDir: string): Promise<LayerCounts> {
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
    return { rawEvents: rawEvents!, rawDistinctEvents: rawDistinctEvents!, rawBadRows: rawBadRows!, curatedRows: curatedRows!, curatedDistinct: curatedDistinct!, quarantinedRows: quarantinedRows!, rawNotCurated: rawNotCurated!, spilledEvents: spilledEvents!, spilledNotInRaw: spilledNotInRaw! };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

export async function runVerify(options: { dataDir?: string; json: boolean }) {
  const dataDir = resolveDataDir(options.dataDir);
  if (!existsSync(localLakeDir(dataDir))) {
    console.error(`eventlake verify: no local lake in ${dataDir} yet. Start the pipeline with \`npm start\` and send events first.`);
    process.exit(1);
  }
  const counts = await countLayers(dataDir);
  const verdict = reconcile(counts);
  if (options.json) {
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
        ],
        ["layer", "count"],
      ),
    );
    for (const note of verdict.notes) console.log(`note: ${note}`);
    for (const problem of verdict.problems) console.log(`PROBLEM: ${problem}`);
    console.log(verdict.ok ? "\nOK: nothing lost, nothing curated twice." : "\nNOT OK: see the problems above.");
  }
  if (!verdict.ok) process.exitCode = 2;
}
