/**
 * Reading the local raw archive the way a user would: the object files under <dataDir>/s3/<bucket>/raw/ (the local
 * S3 keeps objects as plain files, `@<name>` inside one directory per key segment), gunzipped, or through DuckDB's
 * read_json over the same files.
 */
import { DuckDBInstance } from "@duckdb/node-api";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { gunzipSync } from "node:zlib";

export interface RawObject {
  /** The object key (the path below the bucket, without the local S3's "@" file marker). */
  key: string;
  path: string;
  lines: string[];
}

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return walk(path);
    return entry.name.startsWith("@") && entry.name.endsWith(".gz") ? [path] : [];
  });
}

/** Every object under `<prefix>` (raw/ or raw-errors/) with its NDJSON lines. */
export function readArchiveObjects(dataDir: string, bucket: string, prefix = "raw"): RawObject[] {
  const bucketDir = join(dataDir, "s3", bucket);
  return walk(join(bucketDir, prefix)).map((path) => {
    const text = gunzipSync(readFileSync(path)).toString("utf8");
    if (!text.endsWith("\n")) throw new Error(`${path} does not end with a newline`);
    return { key: relative(bucketDir, path).replace(/(^|\/)@/, "$1"), path, lines: text.slice(0, -1).split("\n") };
  });
}

/** Runs a query over the raw archive's files, available as the view `raw` (hive partition columns included). */
export async function queryRawArchive(dataDir: string, bucket: string, sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(":memory:", { threads: "1" });
  try {
    const connection = await instance.connect();
    // read_json infers ISO-8601 strings as timestamps: render them in UTC.
    await connection.run("SET TimeZone = 'UTC'");
    const glob = join(dataDir, "s3", bucket, "raw", "**", "*.gz").replace(/'/g, "''");
    await connection.run(
      `CREATE VIEW raw AS SELECT * FROM read_json('${glob}', format = 'newline_delimited', hive_partitioning = true, union_by_name = true)`,
    );
    const reader = await connection.runAndReadAll(sql);
    const rows = reader.getRowObjectsJson() as Record<string, unknown>[];
    connection.closeSync();
    return rows;
  } finally {
    instance.closeSync();
  }
}
