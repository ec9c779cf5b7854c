/**
 * A local lake for compaction tests: the real file-backed S3 stand-in, the compactor's S3 store over it, curated
 * Parquet files written by DuckDB (test/helpers/curated-parquet.ts), and the reader's view (what a query engine
 * listing the table sees right now) with a row checksum.
 */
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { S3CompactionStore } from "@eventlake/adapters/compaction/s3-compaction-store";
import { S3ObjectStore } from "@eventlake/adapters/s3-object-store";
import { COMPACTED_TABLE, INTENTS_PREFIX, parseDataKey } from "@eventlake/core/compaction/layout";
import { startLocalS3, type LocalS3 } from "@eventlake/emulators/s3/server";
import { CuratedParquet } from "./curated-parquet";
import { tempDir } from "./temp-dir";

export const BUCKET = "lake-test";
export const PARTITION = `${COMPACTED_TABLE.prefix}year=2024/month=03/day=05/event_type=track/`;

export interface TestLake {
  s3: LocalS3;
  objects: S3ObjectStore;
  store: S3CompactionStore;
  parquet: CuratedParquet;
  /** Writes a curated file with DuckDB and PUTs it at `key`. */
  putCurated(key: string, rows: number, seed: number): Promise<void>;
  putBytes(key: string, bytes: Uint8Array | string): Promise<void>;
  /** Visible data files of the table or one of its partitions (what a reader listing it sees), by key. */
  visibleKeys(prefix?: string): Promise<string[]>;
  /** The checksum of every row a reader listing the table (or a partition) sees now. */
  readerChecksum(prefix?: string): Promise<{ rows: number; sum: string; distinctMessageIds: number }>;
  intents(): Promise<string[]>;
  /** The local file behind an object (DuckDB reads local files, as `eventlake query` does). */
  fileOf(key: string): string;
  close(): Promise<void>;
}

export async function startTestLake(prefix: string): Promise<TestLake> {
  const tmp = tempDir(prefix);
  const root = join(tmp.dir, "s3");
  const s3 = await startLocalS3({ rootDir: root, buckets: [BUCKET], durable: false });
  const objects = new S3ObjectStore({ bucket: BUCKET, target: { region: "us-east-1", endpoint: s3.endpoint } });
  const store = new S3CompactionStore(objects);
  const parquet = await CuratedParquet.open();
  const staging = join(tmp.dir, "staging");
  mkdirSync(staging, { recursive: true });
  let n = 0;
  const fileOf = (key: string) => {
    const parts = key.split("/");
    return join(root, BUCKET, ...parts.slice(0, -1), `@${parts[parts.length - 1]}`);
  };
  const visibleKeys = async (prefix = COMPACTED_TABLE.prefix) => {
    const keys: string[] = [];
    for await (const o of objects.list(prefix)) if (parseDataKey(o.key)) keys.push(o.key);
    return keys;
  };
  return {
    s3,
    objects,
    store,
    parquet,
    async putCurated(key, rows, seed) {
      const path = join(staging, `f${++n}.parquet`);
      await parquet.write(path, { rows, seed });
      await objects.put(key, readFileSync(path));
    },
    async putBytes(key, bytes) {
      await objects.put(key, bytes);
    },
    visibleKeys,
    async readerChecksum(prefix) {
      return parquet.checksum((await visibleKeys(prefix)).map(fileOf));
    },
    async intents() {
      const keys: string[] = [];
      for await (const o of objects.list(INTENTS_PREFIX)) keys.push(o.key);
      return keys;
    },
    fileOf,
    async close() {
      parquet.close();
      objects.destroy();
      await s3.close();
      tmp.remove();
    },
  };
}
