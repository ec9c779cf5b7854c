import { CreateBucketCommand, HeadObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { randomBytes } from "node:crypto";
import * as fsp from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// The local S3 stand-in this adapter talks to in local mode (the real server, real HTTP, default SDK checksums).
import { startLocalS3, type LocalS3 } from "@eventlake/emulators/s3/server";
import { clientConfig } from "../src/aws-config";
import { DELETE_BATCH, S3ObjectStore, S3ObjectStoreError } from "../src/s3-object-store";

const BUCKET = "lake-test";

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

async function failure(p: Promise<unknown>): Promise<S3ObjectStoreError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(S3ObjectStoreError);
    return err as S3ObjectStoreError;
  }
  throw new Error("expected a failure");
}

describe("S3ObjectStore against the local S3 server", () => {
  let dir: string;
  let server: LocalS3;
  let store: S3ObjectStore;
  let raw: S3Client;

  beforeAll(async () => {
    dir = await fsp.mkdtemp(path.join(tmpdir(), "eventlake-s3-adapter-"));
    server = await startLocalS3({ rootDir: dir, buckets: [BUCKET] });
    const target = { region: "us-east-1", endpoint: server.endpoint };
    store = new S3ObjectStore({ bucket: BUCKET, target });
    raw = new S3Client({ ...clientConfig(target), forcePathStyle: true });
  });

  afterAll(async () => {
    store.destroy();
    raw.destroy();
    await server.close();
    await fsp.rm(dir, { recursive: true, force: true });
  });

  it("puts and gets binary and string bodies with content type and encoding", async () => {
    const bytes = new Uint8Array(randomBytes(70_000));
    await store.put("raw/part-0001.bin", bytes, { contentType: "application/octet-stream", contentEncoding: "gzip" });
    expect(Buffer.from((await store.get("raw/part-0001.bin"))!).equals(Buffer.from(bytes))).toBe(true);
    const head = await raw.send(new HeadObjectCommand({ Bucket: BUCKET, Key: "raw/part-0001.bin" }));
    expect([head.ContentType, head.ContentEncoding, head.ContentLength]).toEqual(["application/octet-stream", "gzip", 70_000]);

    await store.put("raw/events.ndjson", '{"a":"ü"}\n', { contentType: "application/x-ndjson" });
    expect(Buffer.from((await store.get("raw/events.ndjson"))!).toString("utf8")).toBe('{"a":"ü"}\n');
    const empty = new Uint8Array(0);
    await store.put("raw/empty", empty);
    expect((await store.get("raw/empty"))?.length).toBe(0);
  });

  it("round-trips a 12 MB object", async () => {
    const big = new Uint8Array(randomBytes(12 * 1024 * 1024));
    await store.put("big/compacted.parquet", big);
    const got = await store.get("big/compacted.parquet");
    expect(got?.length).toBe(big.length);
    expect(Buffer.from(got!).equals(Buffer.from(big))).toBe(true);
  });

  it("handles keys with unicode, spaces, '=' and other special characters", async () => {
    const keys = ["events/year=2024/month=01/päge ü.json", "events/emoji 😀/a+b=c&d", "events/100% done!", "events/a//b", "events/trailing/"];
    for (const key of keys) await store.put(key, `v:${key}`);
    for (const key of keys) expect(Buffer.from((await store.get(key))!).toString()).toBe(`v:${key}`);
    const listed = (await collect(store.list("events/"))).map((o) => o.key);
    expect(listed).toEqual([...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
  });

  it("returns undefined for a missing key but throws for a missing bucket, naming the key", async () => {
    expect(await store.get("does/not/exist")).toBeUndefined();
    const noBucket = new S3ObjectStore({ bucket: "missing-bucket", target: { region: "us-east-1", endpoint: server.endpoint } });
    try {
      const getErr = await failure(noBucket.get("some/key.json"));
      expect(getErr.message).toContain("s3://missing-bucket/some/key.json");
      expect(getErr.message).toContain("NoSuchBucket");
      expect((getErr.cause as Error).name).toBe("NoSuchBucket");
      expect([getErr.operation, getErr.bucket, getErr.keys]).toEqual(["GetObject", "missing-bucket", ["some/key.json"]]);

      const putErr = await failure(noBucket.put("a/b.json", "x"));
      expect(putErr.message).toContain("PutObject s3://missing-bucket/a/b.json");
      expect(putErr.cause).toBeInstanceOf(Error);

      const listErr = await failure(collect(noBucket.list("pre/")));
      expect(listErr.message).toContain("ListObjectsV2 s3://missing-bucket/pre/*");

      const delErr = await failure(noBucket.delete(["x", "y"]));
      expect(delErr.message).toContain("s3://missing-bucket/x (+1 more keys)");
    } finally {
      noBucket.destroy();
    }
  });

  it("wraps transport failures with the key (server unreachable)", async () => {
    const closed = await startLocalS3({ rootDir: path.join(dir, "closed") });
    const endpoint = closed.endpoint;
    await closed.close();
    const unreachable = new S3ObjectStore({ bucket: BUCKET, target: { region: "us-east-1", endpoint }, maxAttempts: 1 });
    try {
      const err = await failure(unreachable.put("k/unreachable.json", "x"));
      expect(err.message).toMatch(/^S3 PutObject s3:\/\/lake-test\/k\/unreachable\.json failed: /);
      expect(err.cause).toBeDefined();
    } finally {
      unreachable.destroy();
    }
  });

  it("lists 2,500 objects in key order across pages, with sizes and dates", async () => {
    const keys = Array.from({ length: 2500 }, (_, i) => `many/${String(i).padStart(4, "0")}.json`);
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < keys.length) {
          const key = keys[next++]!;
          await store.put(key, key);
        }
      }),
    );
    const before = Date.now();
    const listed = await collect(store.list("many/"));
    expect(listed.map((o) => o.key)).toEqual(keys);
    expect(listed.every((o, i) => o.size === keys[i]!.length)).toBe(true);
    expect(listed.every((o) => o.lastModified instanceof Date && o.lastModified.getTime() <= before)).toBe(true);
    expect(await collect(store.list("many/none"))).toEqual([]);

    // Deleting more than one DeleteObjects batch.
    expect(keys.length).toBeGreaterThan(2 * DELETE_BATCH);
    await store.delete(keys);
    expect(await collect(store.list("many/"))).toEqual([]);
  }, 120_000);

  it("deletes keys (missing ones included) and surfaces per-key errors as an exception", async () => {
    await store.put("del/a", "1");
    await store.put("del/b", "2");
    await store.delete(["del/a", "del/b", "del/never-existed"]);
    expect(await store.get("del/a")).toBeUndefined();
    await store.delete([]);

    await store.put("del/kept", "3");
    const tooLong = "del/" + "x".repeat(1100); // the server rejects this one key (KeyTooLongError)
    const err = await failure(store.delete(["del/kept", tooLong]));
    expect(err.operation).toBe("DeleteObjects");
    expect(err.keys).toEqual([tooLong]);
    expect(err.message).toContain("failed for 1 of 2 keys");
    expect(err.message).toContain("KeyTooLongError");
    expect(await store.get("del/kept")).toBeUndefined(); // the other key in the batch was deleted
  });

  it("accepts an existing client", async () => {
    const shared = new S3ObjectStore({ bucket: BUCKET, client: raw });
    await raw.send(new PutObjectCommand({ Bucket: BUCKET, Key: "shared/x", Body: "via raw" }));
    expect(Buffer.from((await shared.get("shared/x"))!).toString()).toBe("via raw");
    shared.destroy(); // does not destroy a client it did not create
    await raw.send(new CreateBucketCommand({ Bucket: "second-bucket" }));
    expect((await collect(new S3ObjectStore({ bucket: "second-bucket", client: raw }).list(""))).length).toBe(0);
  });
});
