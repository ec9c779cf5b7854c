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

/** A quoted identifier. */
const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** One parse: json_type fails on text that is not JSON, and TRY turns that failure into NULL. */
const isJsonObject = (e: string) => `COALESCE(TRY(json_type(${e})) = 'OBJECT', false)`;

export const DUCKDB_DIALECT: Dialect = {
  engine: "duckdb",
  lit,
  type: (t) => SQL_TYPES[t].duckdb,
  isJsonObject,
  jsonFields: (source, column, keys, alias, objectKeys) => {
    // One parse per record: json_transform to a struct of every key (TRY: text that is not JSON gives NULL). A VARCHAR
    // field is a string value unquoted and any other value as its JSON text, as json_extract_string gives it. The keys
    // that must hold objects come as JSON text instead (strings quoted), so whether the value is an object is read
    // from its first character rather than by parsing the field again; the text the rules and outputs see is still
    // the unquoted one. Valid JSON is an object exactly when its first non-blank character is "{" (an array or scalar
    // gives a struct of NULLs, so every field is NULL then).
    const objects = new Set(objectKeys);
    const struct = `{${keys.map((k) => `${JSON.stringify(k)}: ${objects.has(k) ? '"JSON"' : '"VARCHAR"'}`).join(", ")}}`;
    const field = (k: string) => `${alias}0.${alias}.${quoteIdent(k)}`;
    const unquote = (json: string) => `CASE WHEN starts_with(${json}, '"') THEN json_extract_string(${json}, '$') ELSE CAST(${json} AS VARCHAR) END`;
    return {
      from: `(SELECT p.*, (p.${alias} IS NOT NULL AND (starts_with(p.${column}, '{') OR starts_with(ltrim(p.${column}, ${lit(" \t\n\r")}), '{'))) AS is_object
    FROM (SELECT r.*, TRY(json_transform(r.${column}, ${lit(struct)})) AS ${alias} FROM ${source} r) p) ${alias}0`,
      columns: keys.map((k) => (objects.has(k) ? unquote(field(k)) : field(k))),
      // Exactly isJsonObject of the unquoted text: an object, or a string whose text is a JSON object.
      objectTests: objectKeys.map(
        (k) => `CASE WHEN starts_with(${field(k)}, '{') THEN true WHEN starts_with(${field(k)}, '"') THEN ${isJsonObject(unquote(field(k)))} ELSE false END`,
      ),
    };
  },
  // DuckDB writes nested values (a JSON field cast to text) with yyjson: minified, UTF-8 characters unescaped.
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
 * zstd level of the curated files (the contract's output compression is zstd). Level 1 against DuckDB's default 3: the events write takes about 12% less time
 * (0.48 s -> 0.42 s per 194k rows) for 2% more bytes (8.36 MB -> 8.51 MB), measured with bench/curation.ts's
 * records; a batch's files are small and short-lived (the compactor rewrites them into larger ones), so the curator's
 * CPU is worth more than those bytes.
 */
const ZSTD_LEVEL = 1;

/**
 * `COPY` of one output relation into a local directory as Hive-partitioned Parquet, one file per partition named
 * `part-<batchId>-0.parquet` (dataFileName): a re-run of the same batch rewrites the same files.
 */
export function duckDbCopyStatement(options: { relation: string; table: TableDef; directory: string; batchId: number | bigint; orderBy: readonly string[]; contract?: CurationContract }): string {
  const contract = options.contract ?? CURATION_CONTRACT;
  const id = BigInt(options.batchId).toString().padStart(10, "0");
  const partitions = options.table.partitionColumns.map((p) => p.name).join(", ");
  const order = options.orderBy.length ? ` ORDER BY ${options.orderBy.join(", ")}` : "";
  return `COPY (SELECT * FROM ${options.relation}${order}) TO ${lit(options.directory)} (FORMAT parquet, COMPRESSION ${contract.output.compression}, COMPRESSION_LEVEL ${ZSTD_LEVEL}, PARTITION_BY (${partitions}), FILENAME_PATTERN ${lit(`part-${id}-{i}`)}, OVERWRITE_OR_IGNORE true)`;
}
