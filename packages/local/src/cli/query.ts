/**
 * `eventlake query "<SQL>"`: DuckDB over the local lake. The tables of the curation contract (events, quarantine,
 * aggregates) are views over the Parquet files the curator wrote into the local S3 bucket (Hive partitions, read as
 * strings like the Glue catalog declares them); `--athena` prints the same query against the stage's Glue database
 * instead of running it.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { DuckDBInstance, DuckDBTimestampTZValue, DuckDBTimestampValue, type DuckDBValue } from "@duckdb/node-api";
import { CURATION_CONTRACT, SQL_TYPES, glueDatabaseName, type TableDef } from "@eventlake/core/curation/contract";
import { LOCAL_BUCKET, resolveDataDir } from "../local-config";
import { table as formatTable } from "./format";

const OBJECT_FILE = "@*.parquet"; // the local S3 stores an object `a/b/c.parquet` as the file a/b/@c.parquet

function hasParquet(dir: string): boolean {
  if (!existsSync(dir)) return false;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory() && hasParquet(join(dir, e.name))) return true;
    if (e.isFile() && e.name.startsWith("@") && e.name.endsWith(".parquet")) return true;
  }
  return false;
}

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** The CREATE VIEW statement for one contract table over a lake directory (an empty view when it has no files yet). */
export function lakeViewSql(lakeDir: string, table: TableDef): string {
  const dir = join(lakeDir, table.prefix);
  const partitions = table.partitionColumns.map((p) => p.name);
  if (!hasParquet(dir)) {
    const cols = [
      ...table.columns.map((c) => `CAST(NULL AS ${SQL_TYPES[c.type].duckdb}) AS ${c.name}`),
      ...partitions.map((p) => `CAST(NULL AS VARCHAR) AS ${p}`),
    ];
    return `CREATE OR REPLACE VIEW ${table.name} AS SELECT ${cols.join(", ")} WHERE false`;
  }
  const glob = join(dir, ...partitions.map(() => "*"), OBJECT_FILE);
  const hiveTypes = partitions.map((p) => `${quote(p)}: 'VARCHAR'`).join(", ");
  return `CREATE OR REPLACE VIEW ${table.name} AS SELECT * FROM read_parquet(${quote(glob)}, hive_partitioning = true, hive_types = {${hiveTypes}}, union_by_name = true)`;
}

/** Where the local S3 stand-in keeps the lake bucket's objects. */
export function localLakeDir(dataDir: string): string {
  return join(dataDir, "s3", LOCAL_BUCKET);
}

/** A JSON-friendly form of a DuckDB value: timestamps as ISO-8601 UTC (microseconds), BIGINTs as numbers when exact. */
export function jsonValue(value: DuckDBValue): unknown {
  if (value === null || typeof value === "string" || typeof value === "boolean" || typeof value === "number") return value;
  if (typeof value === "bigint") return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
  if (value instanceof DuckDBTimestampTZValue || value instanceof DuckDBTimestampValue) {
    const us = value.micros;
    const ms = us / 1000n;
    const frac = ((us % 1_000_000n) + 1_000_000n) % 1_000_000n;
    return `${new Date(Number(ms)).toISOString().slice(0, 19)}.${frac.toString().padStart(6, "0")}Z`;
  }
  if (Array.isArray(value)) return value.map((v) => jsonValue(v as DuckDBValue));
  if (value instanceof Uint8Array) return Buffer.from(value).toString("base64");
  const items = (value as { items?: unknown }).items;
  if (Array.isArray(items)) return items.map((v) => jsonValue(v as DuckDBValue));
  const entries = (value as { entries?: unknown }).entries;
  if (entries && typeof entries === "object" && !Array.isArray(entries))
    return Object.fromEntries(Object.entries(entries as Record<string, DuckDBValue>).map(([k, v]) => [k, jsonValue(v)]));
  return String(value);
}

export interface QueryResult {
  columns: string[];
  rows: unknown[][];
}

/** Runs one SQL query over the local lake's tables. Throws QueryError with DuckDB's message for bad SQL. */
export async function queryLocalLake(dataDir: string, sql: string): Promise<QueryResult> {
  const instance = await DuckDBInstance.create(":memory:", { threads: "2" });
  const connection = await instance.connect();
  try {
    await connection.run("SET TimeZone = 'UTC'");
    const lake = localLakeDir(dataDir);
    for (const t of Object.values(CURATION_CONTRACT.tables)) await connection.run(lakeViewSql(lake, t));
    let reader;
    try {
      reader = await connection.runAndReadAll(sql);
    } catch (error) {
      throw new QueryError((error as Error).message);
    }
    return { columns: reader.columnNames(), rows: reader.getRows().map((r) => r.map(jsonValue)) };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

export class QueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "QueryError";
  }
}

/**
 * The query for Athena: the contract's table names qualified with a stage's Glue database (its `glueDatabase`
 * output: on AWS the name carries a hash of the stage's lake bucket, stacks/catalog.ts). Only table references
 * (after FROM, JOIN, or a comma in a FROM list) are rewritten; strings, quoted identifiers and comments are left as
 * they are. DuckDB-only functions are not translated.
 */
export function toAthenaSql(sql: string, database: string): string {
  const tables = new Set(Object.values(CURATION_CONTRACT.tables).map((t) => t.name));
  const clauseWords = new Set(["select", "from", "where", "group", "order", "having", "limit", "on", "using", "union", "join", "with", "as", "by"]);
  let out = "";
  let i = 0;
  let previous = ""; // previous significant token, lower-cased
  let clause = ""; // the last clause keyword seen
  while (i < sql.length) {
    const ch = sql[i]!;
    const rest = sql.slice(i);
    let m: RegExpExecArray | null;
    if (ch === "'" && (m = /^'(?:[^']|'')*'?/.exec(rest))) {
      out += m[0];
      previous = "'";
    } else if (ch === '"' && (m = /^"(?:[^"]|"")*"?/.exec(rest))) {
      out += m[0];
      previous = m[0];
    } else if ((m = /^--[^\n]*/.exec(rest))) {
      out += m[0];
    } else if ((m = /^\/\*[\s\S]*?(?:\*\/|$)/.exec(rest))) {
      out += m[0];
    } else if ((m = /^[A-Za-z_][A-Za-z0-9_$]*/.exec(rest))) {
      const word = m[0];
      const lower = word.toLowerCase();
      const isTableRef = tables.has(lower) && (previous === "from" || previous === "join" || (previous === "," && clause === "from"));
      out += isTableRef ? `"${database}"."${lower}"` : word;
      if (clauseWords.has(lower) && lower !== "as" && lower !== "by" && lower !== "on" && lower !== "using") clause = lower === "join" ? "from" : lower;
      previous = lower;
    } else if ((m = /^\s+/.exec(rest))) {
      out += m[0];
    } else {
      out += ch;
      if (ch === "(" || ch === ")") clause = ch === "(" ? "" : clause;
      previous = ch;
      m = null;
    }
    i += m ? m[0].length : 1;
  }
  return out;
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return "NULL";
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

export async function runQuery(options: { dataDir?: string; sql: string; json: boolean; athena: boolean; stage: string; database?: string }) {
  if (!options.sql.trim()) {
    console.error('eventlake query: give a SQL query, e.g. eventlake query "select event_type, count(*) from events group by 1"');
    process.exit(1);
  }
  if (options.athena) {
    if (!options.database) {
      console.error(
        `eventlake query --athena: give the stage's Glue database with --database (the \`glueDatabase\` output of \`npx sst deploy --stage ${options.stage}\`, ${glueDatabaseName(options.stage)}_<8 hex characters>)`,
      );
      process.exit(1);
    }
    console.log(toAthenaSql(options.sql, options.database));
    return;
  }
  const dataDir = resolveDataDir(options.dataDir);
  if (!existsSync(localLakeDir(dataDir))) {
    console.error(`eventlake query: no local lake in ${dataDir} (start the pipeline with \`npm start\`, or pass --data-dir).`);
    process.exit(1);
  }
  let result: QueryResult;
  try {
    result = await queryLocalLake(dataDir, options.sql);
  } catch (error) {
    if (error instanceof QueryError) {
      console.error(`eventlake query: ${error.message}`);
      console.error("tables: events, quarantine, aggregates (see `eventlake query --help`)");
      process.exit(1);
    }
    throw error;
  }
  if (options.json) {
    const lines = result.rows.map((r) => JSON.stringify(Object.fromEntries(result.columns.map((c, i) => [c, r[i]]))));
    if (lines.length) process.stdout.write(`${lines.join("\n")}\n`);
    return;
  }
  console.log(formatTable(result.rows.map((r) => r.map(cell)), result.columns));
  console.log(`(${result.rows.length} row${result.rows.length === 1 ? "" : "s"})`);
}
