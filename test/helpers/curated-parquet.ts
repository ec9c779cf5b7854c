/**
 * Curated-layer Parquet files for compaction tests and the benchmark, written by DuckDB the way the local curator
 * writes them: the contract's columns in order with the contract's DuckDB types (timestamps as TIMESTAMPTZ, i.e.
 * INT64 TIMESTAMP(MICROS, UTC)), zstd. Values are pseudo-random but reproducible (seed + file + row), with
 * sub-millisecond parts in every timestamp so a unit change could not go unnoticed.
 * Also: a row checksum (count + sum of row hashes, so duplicates and losses both show) and column types, via DuckDB.
 */
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { CURATION_CONTRACT, SQL_TYPES, type ColumnDef } from "@eventlake/core/curation/contract";

const EVENT_NAMES = ["product clicked", "product viewed", "checkout started", "order completed", "signed up", "search", "cart viewed"];

/** A SQL expression for a column's value in row `i` (BIGINT) of a file with seed `s`; NULLs where the column allows. */
function expression(column: ColumnDef): string {
  const h = (salt: number) => `hash(s, i, ${salt})`;
  const names = `[${EVENT_NAMES.map((n) => `'${n}'`).join(",")}]`;
  const ts = (offsetMicros: string) => `(TIMESTAMPTZ '2024-03-05 00:00:00+00' + to_microseconds((${offsetMicros})::BIGINT))`;
  switch (column.name) {
    case "message_id":
      return `md5(s::VARCHAR || '-' || i::VARCHAR)`;
    case "event_name":
    case "event":
      return `${names}[1 + (${h(1)} % ${EVENT_NAMES.length})::INTEGER]`;
    case "user_id":
      return `CASE WHEN ${h(2)} % 4 = 0 THEN NULL ELSE 'user-' || (${h(3)} % 50000)::VARCHAR END`;
    case "anonymous_id":
      return `md5('anon' || (${h(4)} % 80000)::VARCHAR)`;
    case "properties":
      return `'{"product_id":"sku-' || (${h(5)} % 5000)::VARCHAR || '","price":' || ((${h(6)} % 20000) / 100.0)::VARCHAR || ',"currency":"USD","quantity":' || (1 + ${h(7)} % 4)::VARCHAR || ',"category":"' || ['footwear','apparel','gear','nutrition'][1 + (${h(8)} % 4)::INTEGER] || '","position":' || (${h(9)} % 48)::VARCHAR || '}'`;
    case "context":
      return `'{"library":{"name":"analytics.js","version":"5.2.1"},"page":{"path":"/p/' || (${h(10)} % 3000)::VARCHAR || '","referrer":"https://www.google.com/"},"locale":"' || ['en-US','de-DE','fr-FR','ja-JP'][1 + (${h(11)} % 4)::INTEGER] || '","userAgent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15"}'`;
    case "event_time":
      return ts(`${h(12)} % 86400000000`);
    case "received_at":
      return ts(`${h(12)} % 86400000000 + 1234 + ${h(13)} % 999`);
    case "original_timestamp":
    case "sent_at":
      return `CASE WHEN ${h(14)} % 3 = 0 THEN NULL ELSE ${ts(`${h(12)} % 86400000000 - 777`)} END`;
    case "source_id":
      return `'src-web'`;
    case "processing_time":
      return ts(`86400000000 + s * 60000000 + 123456`);
    case "batch_id":
      return `s::BIGINT`;
    default:
      break;
  }
  switch (column.type) {
    case "timestamp":
      return column.nullable ? `NULL` : ts(`${h(20)} % 86400000000`);
    case "bigint":
      return column.nullable ? `NULL` : `(${h(21)} % 1000)::BIGINT`;
    case "boolean":
      return column.nullable ? `NULL` : `${h(22)} % 2 = 0`;
    default:
      return column.nullable ? `NULL` : `'x'`;
  }
}

export interface CuratedFileOptions {
  rows: number;
  /** Seeds the values (and is the file's batch_id). */
  seed: number;
  compression?: "zstd" | "snappy";
}

export class CuratedParquet {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {}

  static async open(): Promise<CuratedParquet> {
    const instance = await DuckDBInstance.create(":memory:", { threads: "1" });
    return new CuratedParquet(instance, await instance.connect());
  }

  /** The SELECT producing `rows` curated rows (the contract's columns and DuckDB types, in order). */
  static select(options: CuratedFileOptions): string {
    const columns = CURATION_CONTRACT.tables.events.columns.map((c) => `(${expression(c)})::${SQL_TYPES[c.type].duckdb} AS "${c.name}"`);
    return `SELECT ${columns.join(", ")} FROM (SELECT ${options.seed}::BIGINT AS s, range AS i FROM range(${options.rows}))`;
  }

  async write(path: string, options: CuratedFileOptions): Promise<void> {
    await this.connection.run(
      `COPY (${CuratedParquet.select(options)}) TO '${path.replace(/'/g, "''")}' (FORMAT parquet, COMPRESSION ${options.compression ?? "zstd"})`,
    );
  }

  async query(sql: string): Promise<Record<string, unknown>[]> {
    return (await this.connection.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
  }

  /** Rows and a checksum of every row (count + sum of row hashes: a lost or duplicated row changes it). */
  async checksum(files: readonly string[]): Promise<{ rows: number; sum: string; distinctMessageIds: number }> {
    if (files.length === 0) return { rows: 0, sum: "0", distinctMessageIds: 0 };
    const list = files.map((f) => `'${f.replace(/'/g, "''")}'`).join(",");
    const [row] = await this.query(
      `SELECT count(*)::BIGINT AS n, coalesce(sum(hash(t)::HUGEINT), 0)::VARCHAR AS s, count(DISTINCT message_id)::BIGINT AS d FROM read_parquet([${list}]) t`,
    );
    return { rows: Number(row!.n), sum: String(row!.s), distinctMessageIds: Number(row!.d) };
  }

  /**
   * Column names and DuckDB types, and each leaf column's Parquet annotation: physical type, converted type and, for
   * timestamps, the logical type (unit and UTC adjustment). Writers differ in annotations that mean the same thing:
   * arrow-rs adds the STRING logical type next to UTF8, and leaves plain INT64 (signed by definition) without
   * DuckDB's redundant INT_64; those are normalized away.
   */
  async describe(file: string): Promise<{ columns: string[]; leaves: string[] }> {
    const f = file.replace(/'/g, "''");
    const columns = (await this.query(`DESCRIBE SELECT * FROM read_parquet('${f}')`)).map((r) => `${r.column_name}:${r.column_type}`);
    const leaves = (await this.query(`SELECT name, type, converted_type, logical_type FROM parquet_schema('${f}') WHERE type IS NOT NULL`)).map((r) => {
      const converted = r.type === "INT64" && r.converted_type === "INT_64" ? "" : (r.converted_type ?? "");
      const logical = String(r.logical_type ?? "").startsWith("Timestamp") ? String(r.logical_type) : "";
      return `${r.name}:${r.type}:${converted}:${logical}`;
    });
    return { columns, leaves };
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}
