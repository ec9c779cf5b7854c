/**
 * The curation contract compiled to DuckDB SQL: what the local curator runs on each micro-batch. Same statements,
 * same order and same semantics as the Spark SQL (compile-spark.ts); the conformance suite runs these.
 */
import { CURATION_CONTRACT, SQL_TYPES, type CurationContract, type TableDef } from "./contract";
import { compileCuration, type CompiledCuration, type Dialect } from "./compile";

/** A DuckDB string literal; control characters as chr() so statements stay one readable line. */
function lit(value: string): string {
  const parts: string[] = [];
  let run = "";
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (code < 0x20 || code === 0x7f) {
      if (run) parts.push(`'${run.replace(/'/g, "''")}'`);
      run = "";
      parts.push(`chr(${code})`);
    } else run += ch;
  }
  if (run || parts.length === 0) parts.push(`'${run.replace(/'/g, "''")}'`);
  return parts.length === 1 ? parts[0]! : `(${parts.join(" || ")})`;
}

/** One parse: json_type fails on text that is not JSON, and TRY turns that failure into NULL. */
const isJsonObject = (e: string) => `COALESCE(TRY(json_type(${e})) = 'OBJECT', false)`;

export const DUCKDB_DIALECT: Dialect = {
  engine: "duckdb",
  lit,
  type: (t) => SQL_TYPES[t].duckdb,
  isJsonObject,
  jsonFields: (source, column, keys, alias) => ({
    // One parse per record: json_extract_string with a list of paths returns a list of texts (all NULL for JSON that
    // is not an object); TRY turns the error on text that is not JSON into NULL; valid JSON is an object exactly when
    // its first non-blank character is "{". The record almost always starts with "{" itself: that is tested first,
    // because ltrim copies the whole record text.
    from: `(SELECT p.*, (p.${alias} IS NOT NULL AND (starts_with(p.${column}, '{') OR starts_with(ltrim(p.${column}, ${lit(" \t\n\r")}), '{'))) AS is_object
    FROM (SELECT r.*, TRY(json_extract_string(r.${column}, [${keys.map((k) => lit(`$.${k}`)).join(", ")}])) AS ${alias} FROM ${source} r) p) ${alias}0`,
    columns: keys.map((_, i) => `${alias}0.${alias}[${i + 1}]`),
  }),
  // json_extract_string writes nested values with yyjson: minified, UTF-8 characters unescaped.
  objectText: (e) => e,
  fullMatch: (e, pattern) => `COALESCE(regexp_full_match(${e}, ${lit(pattern)}), false)`,
  parseTimestamp: (e) => `TRY_CAST(${e} AS TIMESTAMPTZ)`,
  toMicros: (e) => `epoch_us(${e})`,
  fromMicros: (e) => `make_timestamptz(CAST(${e} AS BIGINT))`,
  // strftime of a TIMESTAMPTZ goes through ICU's calendar for every row (about 3x the cost, bench/curation.ts); the
  // same instant as a plain TIMESTAMP is its UTC wall time, formatted without ICU.
  datePart: (e, part) => `strftime(make_timestamp(epoch_us(${e})), '${{ year: "%Y", month: "%m", day: "%d" }[part]}')`,
  trimChars: (e, chars) => `trim(${e}, ${lit(chars)})`,
  settings: { TimeZone: "UTC" },
  create: (name, query, materialize) => `CREATE OR REPLACE TEMP ${materialize ? "TABLE" : "VIEW"} ${name} AS ${query}`,
  drop: (name, materialize) => `DROP ${materialize ? "TABLE" : "VIEW"} IF EXISTS ${name}`,
};

/** The contract as DuckDB statements for one micro-batch (run after `SET TimeZone = 'UTC'`). */
export function compileDuckDbSql(contract: CurationContract = CURATION_CONTRACT): CompiledCuration {
  return compileCuration(DUCKDB_DIALECT, contract);
}

/**
 * `COPY` of one output relation into a local directory as Hive-partitioned Parquet, one file per partition named
 * `part-<batchId>-0.parquet` (dataFileName): a re-run of the same batch rewrites the same files.
 */
export function duckDbCopyStatement(options: { relation: string; table: TableDef; directory: string; batchId: number | bigint; orderBy: readonly string[]; contract?: CurationContract }): string {
  const contract = options.contract ?? CURATION_CONTRACT;
  const id = BigInt(options.batchId).toString().padStart(10, "0");
  const partitions = options.table.partitionColumns.map((p) => p.name).join(", ");
  const order = options.orderBy.length ? ` ORDER BY ${options.orderBy.join(", ")}` : "";
  return `COPY (SELECT * FROM ${options.relation}${order}) TO ${lit(options.directory)} (FORMAT parquet, COMPRESSION ${contract.output.compression}, PARTITION_BY (${partitions}), FILENAME_PATTERN ${lit(`part-${id}-{i}`)}, OVERWRITE_OR_IGNORE true)`;
}
