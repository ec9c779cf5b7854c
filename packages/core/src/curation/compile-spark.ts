/**
 * The curation contract compiled to Spark SQL (Spark 3.3, Glue 4.0): what the Glue streaming job's runner executes
 * in forEachBatch. Same statements, same order and same semantics as the DuckDB SQL (compile-duckdb.ts).
 *
 * Runner duties: apply `settings` (UTC session time zone, non-ANSI casts, microsecond Parquet timestamps, zstd),
 * register the input relations as temp views, run the statements in order (persist the `materialize` ones), write
 * the outputs, keep the state outputs for the next batch, then run `cleanup`.
 */
import { CURATION_CONTRACT, SQL_TYPES, type CurationContract } from "./contract";
import { compileCuration, type CompiledCuration, type Dialect } from "./compile";

/** A Spark SQL string literal (backslash escapes are on by default: spark.sql.parser.escapedStringLiterals=false). */
function lit(value: string): string {
  const escaped = value
    .replace(/\\/g, "\\\\")
    .replace(/'/g, "\\'")
    .replace(/\t/g, "\\t")
    .replace(/\n/g, "\\n")
    .replace(/\r/g, "\\r");
  return `'${escaped}'`;
}

/**
 * Jackson's UTF-8 writer (Spark 3.x, Jackson 2.13-2.15: json_tuple copies a nested value through it) escapes each
 * half of a surrogate pair (`\uD83D\uDE00` for U+1F600) where the record had the character itself. The text is
 * split into tokens (an escaped surrogate pair, any other escape, a run without backslashes) so that an escaped
 * backslash followed by "uD83D..." is never taken for an escape, and each pair is decoded from UTF-16.
 */
function unescapeSurrogatePairs(e: string): string {
  const pair = String.raw`\\uD[89ABab][0-9A-Fa-f]{2}\\uD[C-Fc-f][0-9A-Fa-f]{2}`;
  const tokens = `regexp_extract_all(${e}, ${lit(String.raw`${pair}|\\.|[^\\]+`)}, 0)`;
  const decoded = `CASE WHEN length(t) = 12 AND left(t, 1) = ${lit("\\")} THEN decode(unhex(concat(substr(t, 3, 4), substr(t, 9, 4))), 'UTF-16BE') ELSE t END`;
  return `CASE WHEN instr(${e}, ${lit(String.raw`\uD`)}) = 0 THEN ${e} ELSE array_join(transform(${tokens}, t -> ${decoded}), '') END`;
}

export const SPARK_DIALECT: Dialect = {
  engine: "spark",
  lit,
  type: (t) => SQL_TYPES[t].spark,
  // json_object_keys: NULL for invalid JSON and for any JSON that is not an object.
  isJsonObject: (e) => `(json_object_keys(${e}) IS NOT NULL)`,
  jsonFields: (source, column, keys, alias) => ({
    // json_tuple parses each record once; it returns strings unquoted and other values as JSON text.
    from: `(SELECT r.*, json_object_keys(r.${column}) IS NOT NULL AS is_object FROM ${source} r) ${alias}0
  LATERAL VIEW OUTER json_tuple(${alias}0.${column}, ${keys.map((k) => lit(k)).join(", ")}) ${alias} AS ${keys.map((_, i) => `${alias}_${i}`).join(", ")}`,
    columns: keys.map((_, i) => `CASE WHEN ${alias}0.is_object THEN ${alias}.${alias}_${i} END`),
  }),
  objectText: unescapeSurrogatePairs,
  fullMatch: (e, pattern) => `COALESCE(${e} RLIKE ${lit(`^(${pattern})$`)}, false)`,
  // Non-ANSI CAST: NULL for dates that do not exist (2023-02-29); the pattern was checked first.
  parseTimestamp: (e) => `CAST(${e} AS TIMESTAMP)`,
  toMicros: (e) => `unix_micros(${e})`,
  fromMicros: (e) => `timestamp_micros(CAST(${e} AS BIGINT))`,
  datePart: (e, part) => `date_format(${e}, '${{ year: "yyyy", month: "MM", day: "dd" }[part]}')`,
  trimChars: (e, chars) => `trim(BOTH ${lit(chars)} FROM ${e})`,
  settings: {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.ansi.enabled": "false",
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    "spark.sql.parquet.compression.codec": "zstd",
    "spark.sql.sources.partitionOverwriteMode": "dynamic",
  },
  create: (name, query) => `CREATE OR REPLACE TEMPORARY VIEW ${name} AS ${query}`,
  drop: () => "",
};

/** The contract as Spark SQL statements for one micro-batch. */
export function compileSparkSql(contract: CurationContract = CURATION_CONTRACT): CompiledCuration {
  const compiled = compileCuration(SPARK_DIALECT, contract);
  // Temp views are replaced by the next batch; persisted DataFrames are unpersisted by the runner.
  return { ...compiled, cleanup: compiled.statements.map((s) => `DROP VIEW IF EXISTS ${s.name}`) };
}
