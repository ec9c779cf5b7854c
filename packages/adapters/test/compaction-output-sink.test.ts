import { randomBytes } from "node:crypto";
import * as fsp from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ObjectChangedError } from "@eventlake/core/ports";
// The local S3 stand-in the adapter talks to in local mode (multipart with S3's 5 MiB minimum part size).
import { startLocalS3, type LocalS3 } from "@eventlake/emulators/s3/server";
import { MIN_PART_BYTES, OutputSink } from "../src/compaction/output-sink";
import { S3CompactionStore } from "../src/compaction/s3-compaction-store";
import { S3ObjectStore } from "../src/s3-object-store";

const BUCKET = "sink-test";
let dir: string;
let server: LocalS3;
let objects: S3ObjectStore;
let store: S3CompactionStore;

beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(tmpdir(), "eventlake-sink-"));
  server = await startLocalS3({ rootDir: dir, buckets: [BUCKET], durable: false });
  objects = new S3ObjectStore({ bucket: BUCKET, target: { region: "us-east-1", endpoint: server.endpoint } });
  store = new S3CompactionStore(objects);
});
afterAll(async () => {
  objects.destroy();
  await server.close();
  await fsp.rm(dir, { recursive: true, force: true });
});

/** Byte equality (vitest's deep equality walks a buffer element by element: minutes for megabytes). */
const same = (a: Uint8Array | undefined, b: Uint8Array) => a !== undefined && Buffer.from(a).equals(Buffer.from(b));

async function writeAll(sink: OutputSink, bytes: Uint8Array, chunk = 700_001) {
  for (let i = 0; i < bytes.length; i += chunk) await sink.write(bytes.subarray(i, i + chunk));
}

describe("OutputSink (multipart in bounded memory, create-only commit)", () => {
  it("uploads parts while writing, shows nothing until commit, then the exact bytes", async () => {
    const bytes = randomBytes(2 * MIN_PART_BYTES + 123_457);
    const sink = new OutputSink(store, "curated/big.parquet", { partBytes: MIN_PART_BYTES, tailBytes: 1000 });
    await writeAll(sink, bytes);
    await sink.finish();
    expect(sink.parts).toBeGreaterThanOrEqual(2);
    expect(await objects.get("curated/big.parquet")).toBeUndefined();
    expect(same(sink.tail(), bytes.subarray(bytes.length - 1000))).toBe(true);
    expect(await sink.commit()).toBe("created");
    expect(same(await objects.get("curated/big.parquet"), bytes)).toBe(true);
  });

  it("uses one create-only PUT for an output smaller than a part", async () => {
    const bytes = randomBytes(10_000);
    const sink = new OutputSink(store, "curated/small.parquet", { partBytes: MIN_PART_BYTES, tailBytes: 64 });
    await writeAll(sink, bytes, 999);
    await sink.finish();
    expect(sink.parts).toBe(0);
    expect(await sink.commit()).toBe("created");
    expect(same(await objects.get("curated/small.parquet"), bytes)).toBe(true);
  });

  it("never overwrites: a second writer of the same key finds it created (single PUT and multipart alike)", async () => {
    for (const size of [5_000, MIN_PART_BYTES + 1]) {
      const key = `curated/once-${size}.parquet`;
      const first = randomBytes(size);
      const second = randomBytes(size);
      for (const [bytes, expected] of [[first, "created"], [second, "exists"]] as const) {
        const sink = new OutputSink(store, key, { partBytes: MIN_PART_BYTES, tailBytes: 8 });
        await writeAll(sink, bytes);
        await sink.finish();
        expect(await sink.commit()).toBe(expected);
      }
      expect(same(await objects.get(key), first)).toBe(true);
    }
  });

  it("abort leaves nothing behind", async () => {
    const sink = new OutputSink(store, "curated/aborted.parquet", { partBytes: MIN_PART_BYTES, tailBytes: 8 });
    await writeAll(sink, randomBytes(MIN_PART_BYTES + 10));
    await sink.abort();
    expect(await objects.get("curated/aborted.parquet")).toBeUndefined();
    await expect(sink.write(new Uint8Array(1))).rejects.toThrow(/finished/);
  });

  it("refuses parts smaller than S3 allows", () => {
    expect(() => new OutputSink(store, "k", { partBytes: 1024, tailBytes: 8 })).toThrow(/5242880/);
  });
});

describe("S3CompactionStore reads pinned to an ETag", () => {
  it("reads a range of the listed version, and fails clearly once the object is replaced or deleted", async () => {
    await objects.put("curated/pinned", "0123456789");
    const [listed] = await (async () => {
      const out = [];
      for await (const o of store.list("curated/pinned")) out.push(o);
      return out;
    })();
    expect(new TextDecoder().decode(await store.readRange("curated/pinned", 2, 5, listed!.etag))).toBe("234");
    await objects.put("curated/pinned", "abcdefghij");
    await expect(store.readRange("curated/pinned", 2, 5, listed!.etag)).rejects.toEqual(new ObjectChangedError("curated/pinned", "replaced"));
    await objects.delete(["curated/pinned"]);
    await expect(store.read("curated/pinned", listed!.etag)).rejects.toEqual(new ObjectChangedError("curated/pinned", "missing"));
    expect(await store.read("curated/pinned")).toBeUndefined();
    expect(await store.putIfAbsent("curated/pinned", "x", "text/plain")).toBe(true);
    expect(await store.putIfAbsent("curated/pinned", "y", "text/plain")).toBe(false);
  });

  it("downloads an object to a file, pinned to its ETag", async () => {
    const bytes = randomBytes(300_000);
    await objects.put("curated/file", bytes);
    const head = (await store.head("curated/file"))!;
    const file = path.join(dir, "downloaded");
    expect(await store.download("curated/file", file, head.etag)).toBe(bytes.length);
    expect(same(await fsp.readFile(file), bytes)).toBe(true);
  });
});
