import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketLocationCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListMultipartUploadsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  S3Client,
  UploadPartCommand,
  type ChecksumAlgorithm,
  type ListObjectsV2CommandOutput,
} from "@aws-sdk/client-s3";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import * as fsp from "node:fs/promises";
import { request, type IncomingHttpHeaders } from "node:http";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createChecksum } from "../src/s3/checksums";
import { FsBucketStore } from "../src/s3/fs-bucket-store";
import { compareKeys, decodeSegment, encodeSegment, keyToPath } from "../src/s3/key-codec";
import { startLocalS3, type LocalS3 } from "../src/s3/server";
import { parseXml } from "../src/s3/xml";

const BUCKET = "lake";

function makeClient(endpoint: string): S3Client {
  // Default SDK settings (checksums WHEN_SUPPORTED), as the adapters use them; only the local plumbing differs.
  return new S3Client({
    region: "us-east-1",
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    requestHandler: new NodeHttpHandler({ connectionTimeout: 2_000, requestTimeout: 30_000 }),
  });
}

function md5(data: Uint8Array): string {
  return createHash("md5").update(data).digest("hex");
}

function utf8Sort(keys: Iterable<string>): string[] {
  return [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

async function getBytes(client: S3Client, bucket: string, key: string, extra: { Range?: string } = {}) {
  const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key, ...extra }));
  return { out, bytes: Buffer.from(await out.Body!.transformToByteArray()) };
}

async function errorOf(p: Promise<unknown>): Promise<{ name: string; status?: number; message: string }> {
  try {
    await p;
  } catch (err) {
    const e = err as Error & { $metadata?: { httpStatusCode?: number } };
    return { name: e.name, status: e.$metadata?.httpStatusCode, message: e.message };
  }
  throw new Error("expected the call to fail");
}

async function listAll(client: S3Client, bucket: string, input: { Prefix?: string; MaxKeys?: number } = {}) {
  const keys: string[] = [];
  const pages: ListObjectsV2CommandOutput[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token, ...input }));
    pages.push(page);
    for (const c of page.Contents ?? []) keys.push(c.Key!);
    token = page.NextContinuationToken;
  } while (token);
  return { keys, pages };
}

async function mapLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

/** All files below a directory, relative paths. */
async function walkFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fsp.readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(path.relative(dir, path.join(e.parentPath, e.name)));
  }
  return out.sort();
}

/** A raw HTTP request (exact path, headers and body bytes as given). */
function rawRequest(
  endpoint: string,
  method: string,
  rawPath: string,
  headers: Record<string, string> = {},
  body?: Buffer | string,
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  const url = new URL(endpoint);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path: rawPath, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

function errorCode(xml: string): string | undefined {
  return /<Code>([^<]*)<\/Code>/.exec(xml)?.[1];
}

describe("local S3 server", () => {
  let parent: string;
  let root: string;
  let server: LocalS3;
  let client: S3Client;

  beforeAll(async () => {
    parent = await fsp.mkdtemp(path.join(tmpdir(), "eventlake-s3-test-"));
    root = path.join(parent, "data");
    server = await startLocalS3({ rootDir: root, buckets: [BUCKET, "keys-bucket"] });
    client = makeClient(server.endpoint);
  });

  afterAll(async () => {
    client.destroy();
    await server.close();
    await fsp.rm(parent, { recursive: true, force: true });
  });

  describe("buckets", () => {
    it("creates and heads buckets with S3's error codes", async () => {
      await client.send(new CreateBucketCommand({ Bucket: "scratch-1" }));
      expect((await errorOf(client.send(new CreateBucketCommand({ Bucket: "scratch-1" })))).name).toBe("BucketAlreadyOwnedByYou");
      await client.send(new HeadBucketCommand({ Bucket: "scratch-1" }));
      expect(existsSync(path.join(root, "scratch-1"))).toBe(true);
      expect((await errorOf(client.send(new HeadBucketCommand({ Bucket: "scratch-never" })))).status).toBe(404);
      const bad = await rawRequest(server.endpoint, "PUT", "/Bad_Name");
      expect([bad.status, errorCode(bad.body)]).toEqual([400, "InvalidBucketName"]);
    });

    it("answers 404 NoSuchBucket for a missing bucket on every object call", async () => {
      const missing = "no-such-bucket";
      for (const call of [
        () => client.send(new GetObjectCommand({ Bucket: missing, Key: "k" })),
        () => client.send(new PutObjectCommand({ Bucket: missing, Key: "k", Body: "x" })),
        () => client.send(new ListObjectsV2Command({ Bucket: missing })),
        () => client.send(new DeleteObjectCommand({ Bucket: missing, Key: "k" })),
      ]) {
        const e = await errorOf(call());
        expect([e.name, e.status]).toEqual(["NoSuchBucket", 404]);
      }
    });
  });

  describe("what none of its clients call", () => {
    // ARCHITECTURE.md, "The AWS stand-ins": refused rather than answered with a guess.
    it("answers 501 NotImplemented and changes nothing", async () => {
      const bucket = "scratch-unimplemented";
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: "kept/object", Body: "kept", ContentType: "text/plain" }));
      const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: "kept/upload" }));
      for (const call of [
        () => client.send(new ListBucketsCommand({})),
        () => client.send(new DeleteBucketCommand({ Bucket: bucket })),
        () => client.send(new GetBucketLocationCommand({ Bucket: bucket })),
        () => client.send(new GetBucketVersioningCommand({ Bucket: bucket })),
        () => client.send(new ListObjectsCommand({ Bucket: bucket, Prefix: "kept/" })),
        () => client.send(new ListPartsCommand({ Bucket: bucket, Key: "kept/upload", UploadId })),
        () => client.send(new ListMultipartUploadsCommand({ Bucket: bucket })),
        () => client.send(new GetObjectCommand({ Bucket: bucket, Key: "kept/object", ResponseContentType: "application/json" })),
      ]) {
        const e = await errorOf(call());
        expect([e.name, e.status]).toEqual(["NotImplemented", 501]);
      }
      await client.send(new HeadBucketCommand({ Bucket: bucket }));
      const { out, bytes } = await getBytes(client, bucket, "kept/object");
      expect([bytes.toString(), out.ContentType]).toEqual(["kept", "text/plain"]);
      await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: "kept/upload", UploadId }));
    });
  });

  describe("objects", () => {
    it("round-trips binary data with metadata, ETag = MD5, and checksum validation on GET", async () => {
      const data = randomBytes(1024 * 1024 + 17);
      const put = await client.send(
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: "bin/random.bin",
          Body: data,
          ContentType: "application/x-test",
          ContentEncoding: "gzip",
          CacheControl: "max-age=60",
          Metadata: { origin: "unit-test", "two-words": "a b" },
        }),
      );
      expect(put.ETag).toBe(`"${md5(data)}"`);
      const { out, bytes } = await getBytes(client, BUCKET, "bin/random.bin");
      expect(bytes.equals(data)).toBe(true);
      expect(out.ETag).toBe(`"${md5(data)}"`);
      expect(out.ContentType).toBe("application/x-test");
      expect(out.ContentEncoding).toBe("gzip");
      expect(out.CacheControl).toBe("max-age=60");
      expect(out.Metadata).toEqual({ origin: "unit-test", "two-words": "a b" });
      expect(out.ContentLength).toBe(data.length);
      // The SDK asked for checksums (x-amz-checksum-mode) and validated the body against this one.
      expect(out.ChecksumCRC32).toBe(crc32b64(data));
      const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: "bin/random.bin" }));
      expect([head.ContentLength, head.ETag, head.ContentType]).toEqual([data.length, `"${md5(data)}"`, "application/x-test"]);
      expect(Math.abs(head.LastModified!.getTime() - Date.now())).toBeLessThan(60_000);
      // On disk: the exact bytes, at a readable path.
      expect((await fsp.readFile(path.join(root, BUCKET, "bin", "@random.bin"))).equals(data)).toBe(true);
    });

    it("stores zero-byte objects and string bodies", async () => {
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: "empty", Body: new Uint8Array(0) }));
      const { out, bytes } = await getBytes(client, BUCKET, "empty");
      expect(bytes.length).toBe(0);
      expect(out.ETag).toBe(`"${md5(new Uint8Array(0))}"`);
      expect(out.ContentType).toBe("application/octet-stream"); // the SDK sends this for binary bodies
      const raw = await rawRequest(server.endpoint, "PUT", `/${BUCKET}/no-type`, { "content-length": "1" }, "x");
      expect(raw.status).toBe(200);
      expect((await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: "no-type" }))).ContentType).toBe("binary/octet-stream");
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: "text", Body: "héllo wörld" }));
      expect((await getBytes(client, BUCKET, "text")).bytes.toString("utf8")).toBe("héllo wörld");
    });

    it("round-trips a 12 MB body (Expect: 100-continue) and a streamed body (aws-chunked with a CRC32 trailer)", async () => {
      const big = randomBytes(12 * 1024 * 1024);
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: "big/12mb.bin", Body: big }));
      const got = await getBytes(client, BUCKET, "big/12mb.bin");
      expect(got.bytes.equals(big)).toBe(true);

      // A Readable body makes the SDK switch to aws-chunked framing with the checksum in a trailer.
      const pieces = [big.subarray(0, 1), big.subarray(1, 70_000), big.subarray(70_000, 5_000_000), big.subarray(5_000_000)];
      const put = await client.send(
        new PutObjectCommand({ Bucket: BUCKET, Key: "big/streamed.bin", Body: Readable.from(pieces), ContentLength: big.length }),
      );
      expect(put.ETag).toBe(`"${md5(big)}"`);
      const streamed = await getBytes(client, BUCKET, "big/streamed.bin");
      expect(streamed.bytes.equals(big)).toBe(true);
      expect(streamed.out.ChecksumCRC32).toBe(crc32b64(big));
      // No framing leaked into the stored object.
      expect((await fsp.stat(path.join(root, BUCKET, "big", "@streamed.bin"))).size).toBe(big.length);
    });

    it.each(["CRC32C", "CRC64NVME", "SHA1", "SHA256"] as const)(
      "verifies %s checksums from the SDK, in a header and in an aws-chunked trailer",
      async (algorithm: ChecksumAlgorithm) => {
        const data = randomBytes(300_000);
        const key = `checksums/${algorithm}`;
        await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${key}-header`, Body: data, ChecksumAlgorithm: algorithm }));
        await client.send(
          new PutObjectCommand({
            Bucket: BUCKET,
            Key: `${key}-trailer`,
            Body: Readable.from([data.subarray(0, 1000), data.subarray(1000)]),
            ContentLength: data.length,
            ChecksumAlgorithm: algorithm,
          }),
        );
        for (const suffix of ["header", "trailer"]) {
          const { out, bytes } = await getBytes(client, BUCKET, `${key}-${suffix}`);
          expect(bytes.equals(data)).toBe(true);
          const field = `Checksum${algorithm}` as const;
          expect(out[field]).toBe(createChecksumB64(algorithm, data));
        }
      },
    );

    it("rejects a body whose checksum or Content-MD5 does not match, and keeps the previous version", async () => {
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: "guarded", Body: "original" }));
      const wrongCrc = await errorOf(
        client.send(new PutObjectCommand({ Bucket: BUCKET, Key: "guarded", Body: "tampered", ChecksumCRC32: crc32b64(Buffer.from("other")) })),
      );
      expect([wrongCrc.name, wrongCrc.status]).toEqual(["BadDigest", 400]);
      const wrongMd5 = await errorOf(
        client.send(
          new PutObjectCommand({
            Bucket: BUCKET,
            Key: "guarded",
            Body: "tampered",
            ContentMD5: createHash("md5").update("other").digest("base64"),
          }),
        ),
      );
      expect(wrongMd5.name).toBe("BadDigest");
      await client.send(
        new PutObjectCommand({ Bucket: BUCKET, Key: "guarded", Body: "right", ContentMD5: createHash("md5").update("right").digest("base64") }),
      );
      expect((await getBytes(client, BUCKET, "guarded")).bytes.toString()).toBe("right");
      expect((await walkFiles(path.join(root, BUCKET))).filter((f) => f.includes("%tmp-"))).toEqual([]);
    });

    it("rejects malformed aws-chunked framing and a wrong trailer checksum (raw requests)", async () => {
      const payload = Buffer.from("hello chunked world");
      const frame = (trailerValue: string, declared = payload.length) =>
        Buffer.concat([
          Buffer.from(`${declared.toString(16)}\r\n`),
          payload,
          Buffer.from(`\r\n0\r\nx-amz-checksum-crc32:${trailerValue}\r\n\r\n`),
        ]);
      const headers = (body: Buffer) => ({
        "content-encoding": "aws-chunked",
        "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        "x-amz-decoded-content-length": String(payload.length),
        "x-amz-trailer": "x-amz-checksum-crc32",
        "content-length": String(body.length),
      });
      const good = frame(crc32b64(payload));
      const ok = await rawRequest(server.endpoint, "PUT", `/${BUCKET}/raw/chunked`, headers(good), good);
      expect(ok.status).toBe(200);
      expect((await getBytes(client, BUCKET, "raw/chunked")).bytes.equals(payload)).toBe(true);

      const badSum = frame(crc32b64(Buffer.from("nope")));
      const r1 = await rawRequest(server.endpoint, "PUT", `/${BUCKET}/raw/bad-sum`, headers(badSum), badSum);
      expect([r1.status, errorCode(r1.body)]).toEqual([400, "BadDigest"]);

      const badFrame = frame(crc32b64(payload), payload.length - 3);
      const r2 = await rawRequest(server.endpoint, "PUT", `/${BUCKET}/raw/bad-frame`, headers(badFrame), badFrame);
      expect([r2.status, errorCode(r2.body)]).toEqual([400, "IncompleteBody"]);

      const noLength = { ...headers(good) } as Record<string, string>;
      delete noLength["x-amz-decoded-content-length"];
      const r3 = await rawRequest(server.endpoint, "PUT", `/${BUCKET}/raw/no-length`, noLength, good);
      expect([r3.status, errorCode(r3.body)]).toEqual([411, "MissingContentLength"]);

      for (const k of ["raw/bad-sum", "raw/bad-frame", "raw/no-length"]) {
        expect((await errorOf(client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: k })))).status).toBe(404);
      }
    });

    it("serves byte ranges and answers unsatisfiable ones with 416 InvalidRange", async () => {
      const data = Buffer.from("0123456789abcdefghij");
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: "range.txt", Body: data }));
      const cases: [string, string, string][] = [
        ["bytes=0-9", "0123456789", "bytes 0-9/20"],
        ["bytes=10-", "abcdefghij", "bytes 10-19/20"],
        ["bytes=-5", "fghij", "bytes 15-19/20"],
        ["bytes=15-100", "fghij", "bytes 15-19/20"],
        ["bytes=-100", data.toString(), "bytes 0-19/20"],
      ];
      for (const [range, body, contentRange] of cases) {
        const { out, bytes } = await getBytes(client, BUCKET, "range.txt", { Range: range });
        expect([bytes.toString(), out.ContentRange, out.ContentLength]).toEqual([body, contentRange, body.length]);
        expect(out.ChecksumCRC32).toBeUndefined(); // whole-object checksums are not sent for ranges
      }
      const e = await errorOf(getBytes(client, BUCKET, "range.txt", { Range: "bytes=20-30" }));
      expect([e.name, e.status]).toEqual(["InvalidRange", 416]);
      const raw = await rawRequest(server.endpoint, "GET", `/${BUCKET}/range.txt`, { range: "bytes=25-" });
      expect([raw.status, raw.headers["content-range"]]).toEqual([416, "bytes */20"]);
    });

    it("answers conditional requests (If-None-Match, If-Match, conditional PUT)", async () => {
      const put = await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: "cond", Body: "v1" }));
      expect((await errorOf(client.send(new GetObjectCommand({ Bucket: BUCKET, Key: "cond", IfNoneMatch: put.ETag })))).status).toBe(304);
      expect((await errorOf(client.send(new GetObjectCommand({ Bucket: BUCKET, Key: "cond", IfMatch: '"nope"' })))).status).toBe(412);
      const createOnly = await errorOf(client.send(new PutObjectCommand({ Bucket: BUCKET, Key: "cond", Body: "v2", IfNoneMatch: "*" })));
      expect([createOnly.name, createOnly.status]).toEqual(["PreconditionFailed", 412]);
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: "cond-new", Body: "v1", IfNoneMatch: "*" }));
      expect((await getBytes(client, BUCKET, "cond")).bytes.toString()).toBe("v1");
    });

    it("returns NoSuchKey / 404 for missing keys", async () => {
      const get = await errorOf(client.send(new GetObjectCommand({ Bucket: BUCKET, Key: "missing/key" })));
      expect([get.name, get.status]).toEqual(["NoSuchKey", 404]);
      const head = await errorOf(client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: "missing/key" })));
      expect([head.name, head.status]).toEqual(["NotFound", 404]);
      // Deleting a missing key succeeds, as on S3.
      await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: "missing/key" }));
      const raw = await rawRequest(server.endpoint, "GET", `/${BUCKET}/missing`);
      expect(raw.body).toContain("<Code>NoSuchKey</Code>");
      expect(raw.body).toContain("<Key>missing</Key>");
    });

    it("answers sub-resources it does not implement with 501 instead of overwriting the object", async () => {
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: "tagged", Body: "keep me" }));
      const e = await errorOf(
        client.send(new PutObjectTaggingCommand({ Bucket: BUCKET, Key: "tagged", Tagging: { TagSet: [{ Key: "a", Value: "b" }] } })),
      );
      expect([e.name, e.status]).toEqual(["NotImplemented", 501]);
      expect((await getBytes(client, BUCKET, "tagged")).bytes.toString()).toBe("keep me");
    });
  });

  describe("keys", () => {
    const tricky = [
      "unicode/日本語/ファイル.txt",
      "unicode/emoji-😀.json",
      "unicode/\uFF5E-fullwidth",
      "spaces/a b/c d.txt",
      "hive/year=2024/month=01/part=0.parquet",
      "chars/!$&'()*+,;=:@",
      "chars/percent%20literal%",
      "chars/question?hash#bracket[]{}",
      "chars/quote\"backslash\\pipe|tilde~caret^`",
      "chars/<xml>&amp;</xml>",
      "chars/tab\tnewline\ncr\r",
      "chars/trailing-space ",
      "slashes//double",
      "slashes/trailing/",
      "/leading-slash",
      "dots/./single",
      "dots/../double",
      "dots/...",
      "dots/.hidden",
      "case/A",
      "case/a",
      "@at/@file",
      "%tmp-looks-like-temp",
      "x",
      "x/y",
      "x/y/z",
      "x-y",
      "x0",
    ];

    it("round-trips keys with any characters and lists them in UTF-8 binary order", async () => {
      await mapLimit(tricky, 8, (key) => client.send(new PutObjectCommand({ Bucket: "keys-bucket", Key: key, Body: `body of ${key}` })));
      for (const key of tricky) {
        expect((await getBytes(client, "keys-bucket", key)).bytes.toString()).toBe(`body of ${key}`);
      }
      const { keys } = await listAll(client, "keys-bucket");
      expect(keys).toEqual(utf8Sort(tricky));
      // encoding-type=url returns the same keys, URL-encoded.
      const encoded = await client.send(new ListObjectsV2Command({ Bucket: "keys-bucket", EncodingType: "url" }));
      expect(encoded.Contents?.map((c) => decodeURIComponent(c.Key!.replace(/\+/g, " ")))).toEqual(utf8Sort(tricky));
    });

    it("keeps keys inside the bucket directory: '..' segments and encoded traversal are contained", async () => {
      const escaping = ["../../outside.txt", "a/../../../etc/passwd", "..", "../"];
      for (const key of escaping) {
        await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: "contained" }));
        expect((await getBytes(client, BUCKET, key)).bytes.toString()).toBe("contained");
      }
      for (const raw of [`/${BUCKET}/..%2F..%2Fraw-escape`, `/${BUCKET}/../../raw-escape-2`, `/${BUCKET}/%2e%2e/%2e%2e/raw-escape-3`]) {
        const r = await rawRequest(server.endpoint, "PUT", raw, { "content-length": "9" }, "contained");
        expect(r.status).toBe(200);
      }
      // Nothing was written next to the data directory or next to the bucket.
      expect(await fsp.readdir(parent)).toEqual(["data"]);
      const rootEntries = (await fsp.readdir(root)).filter((e) => !e.startsWith("."));
      expect(rootEntries.every((e) => existsSync(path.join(root, e)) && /^[a-z0-9.-]+$/.test(e))).toBe(true);
      const r = await rawRequest(server.endpoint, "GET", `/${BUCKET}/..%2F..%2Fraw-escape`);
      expect(r.body).toBe("contained");
      const listed = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: ".." }));
      expect(listed.Contents?.map((c) => c.Key)).toEqual(utf8Sort(["..", "../", "../../outside.txt", "../../raw-escape", "../../raw-escape-2", "../../raw-escape-3"]));
    });

    it("rejects keys over 1024 bytes with KeyTooLongError", async () => {
      const e = await errorOf(client.send(new PutObjectCommand({ Bucket: BUCKET, Key: "k".repeat(1025), Body: "x" })));
      expect([e.name, e.status]).toEqual(["KeyTooLongError", 400]);
    });

    it("encodes path segments reversibly and canonically", () => {
      const opts = { foldSafe: false };
      const fold = { foldSafe: true };
      for (const s of ["", ".", "..", "...", "a b", "%", "%41", "@x", "A", "日本", "😀", "x=1", "a\u0000b"]) {
        for (const o of [opts, fold]) expect(decodeSegment(encodeSegment(s, o), o)).toBe(s);
      }
      expect(encodeSegment("year=2024", opts)).toBe("year=2024");
      expect(encodeSegment("..", opts)).toBe("%2E%2E");
      expect(encodeSegment("A", fold)).toBe("%41");
      expect(decodeSegment("%41", opts)).toBeUndefined(); // not canonical here: would alias "A"
      expect(decodeSegment("%2e%2e", opts)).toBeUndefined();
      expect(decodeSegment("a%2", opts)).toBeUndefined();
      expect(keyToPath("a/b/c.txt", opts)).toEqual({ dirs: ["a", "b"], file: "@c.txt", sidecar: "@c.txt%meta" });
      expect(() => keyToPath("x".repeat(300), opts)).toThrow(RangeError);
      // UTF-8 order, including characters outside the BMP (UTF-16 order differs there).
      expect(["\uFF5E", "😀", "a"].sort(compareKeys)).toEqual(utf8Sort(["\uFF5E", "😀", "a"]));
    });
  });

  describe("listing", () => {
    const PAGED = "paged-bucket";
    const keys = Array.from({ length: 2500 }, (_, i) => `items/${String(i).padStart(5, "0")}-${i % 7}.json`);

    // A separate server without fsync (writes stay atomic) keeps the 2,500-object setup quick on a busy machine.
    let listRoot: string;
    let listServer: LocalS3;
    let client: S3Client;

    beforeAll(async () => {
      listRoot = path.join(parent, "listing");
      listServer = await startLocalS3({ rootDir: listRoot, durable: false });
      client = makeClient(listServer.endpoint);
      await client.send(new CreateBucketCommand({ Bucket: PAGED }));
      await mapLimit(keys, 16, (key) => client.send(new PutObjectCommand({ Bucket: PAGED, Key: key, Body: key })));
      const extra = ["tree/a/1", "tree/a/2", "tree/b/c/3", "tree/b.txt", "tree/c", "tree/d/", "tree/e-f/4", "top"];
      for (const key of extra) await client.send(new PutObjectCommand({ Bucket: PAGED, Key: key, Body: "x" }));
    }, 120_000);

    afterAll(async () => {
      client.destroy();
      await listServer.close();
    });

    it("paginates 2,500 keys in pages of 1,000 with continuation tokens", async () => {
      const { keys: listed, pages } = await listAll(client, PAGED, { Prefix: "items/", MaxKeys: 1000 });
      expect(pages.map((p) => p.KeyCount)).toEqual([1000, 1000, 500]);
      expect(pages.map((p) => p.IsTruncated)).toEqual([true, true, false]);
      expect(listed).toEqual(utf8Sort(keys));
      const page = pages[0]!.Contents![0]!;
      expect([page.Size, page.ETag]).toEqual([keys[0]!.length, `"${md5(Buffer.from(keys[0]!))}"`]);
    });

    it("defaults to 1,000 keys per page and honours StartAfter and small MaxKeys", async () => {
      const first = await client.send(new ListObjectsV2Command({ Bucket: PAGED, Prefix: "items/" }));
      expect([first.KeyCount, first.IsTruncated]).toEqual([1000, true]);
      const after = await client.send(new ListObjectsV2Command({ Bucket: PAGED, Prefix: "items/", StartAfter: keys[2497], MaxKeys: 5 }));
      expect(after.Contents?.map((c) => c.Key)).toEqual([keys[2498], keys[2499]]);
      expect(after.IsTruncated).toBe(false);
      const small = await listAll(client, PAGED, { Prefix: "items/0001", MaxKeys: 3 });
      expect(small.keys).toEqual(keys.filter((k) => k.startsWith("items/0001")));
      expect(small.pages.length).toBe(4);
    });

    it("rolls keys up into CommonPrefixes with a delimiter, across pages", async () => {
      const out = await client.send(new ListObjectsV2Command({ Bucket: PAGED, Prefix: "tree/", Delimiter: "/" }));
      expect(out.Contents?.map((c) => c.Key)).toEqual(["tree/b.txt", "tree/c"]);
      expect(out.CommonPrefixes?.map((p) => p.Prefix)).toEqual(["tree/a/", "tree/b/", "tree/d/", "tree/e-f/"]);

      const root = await client.send(new ListObjectsV2Command({ Bucket: PAGED, Delimiter: "/" }));
      expect(root.CommonPrefixes?.map((p) => p.Prefix)).toEqual(["items/", "tree/"]);
      expect(root.Contents?.map((c) => c.Key)).toEqual(["top"]);

      // One entry per page: prefixes and keys interleave in key order and none repeats.
      const seen: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({ Bucket: PAGED, Prefix: "tree/", Delimiter: "/", MaxKeys: 1, ContinuationToken: token }),
        );
        seen.push(...(page.CommonPrefixes ?? []).map((p) => p.Prefix!), ...(page.Contents ?? []).map((c) => c.Key!));
        token = page.NextContinuationToken;
      } while (token);
      // "tree/b.txt" sorts before "tree/b/": "." is 0x2E, "/" is 0x2F.
      expect(seen).toEqual(["tree/a/", "tree/b.txt", "tree/b/", "tree/c", "tree/d/", "tree/e-f/"]);

      const partial = await client.send(new ListObjectsV2Command({ Bucket: PAGED, Prefix: "tree/b", Delimiter: "/" }));
      expect(partial.CommonPrefixes?.map((p) => p.Prefix)).toEqual(["tree/b/"]);
      expect(partial.Contents?.map((c) => c.Key)).toEqual(["tree/b.txt"]);

      const otherDelimiter = await client.send(new ListObjectsV2Command({ Bucket: PAGED, Prefix: "tree/", Delimiter: "-" }));
      expect(otherDelimiter.CommonPrefixes?.map((p) => p.Prefix)).toEqual(["tree/e-"]);
    });

    it("never lists temp files, sidecars or stray files", async () => {
      const dir = path.join(listRoot, PAGED, "tree");
      await fsp.writeFile(path.join(dir, "%tmp-deadbeef"), "partial");
      await fsp.writeFile(path.join(dir, "stray.txt"), "not an object");
      await fsp.mkdir(path.join(dir, "Not Canonical"), { recursive: true });
      await fsp.writeFile(path.join(dir, "Not Canonical", "@x"), "hidden");
      const out = await client.send(new ListObjectsV2Command({ Bucket: PAGED, Prefix: "tree/" }));
      expect(out.Contents?.map((c) => c.Key)).toEqual(["tree/a/1", "tree/a/2", "tree/b.txt", "tree/b/c/3", "tree/c", "tree/d/", "tree/e-f/4"]);
      await fsp.rm(path.join(dir, "%tmp-deadbeef"));
      await fsp.rm(path.join(dir, "stray.txt"));
      await fsp.rm(path.join(dir, "Not Canonical"), { recursive: true });
    });
  });

  describe("listing matches a reference model (property)", () => {
    /** S3's ListObjectsV2 semantics, computed the obvious way: sort, filter, roll up. */
    function model(keys: readonly string[], prefix: string, delimiter: string): string[] {
      const out: string[] = [];
      for (const key of utf8Sort(new Set(keys))) {
        if (!key.startsWith(prefix)) continue;
        const at = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
        const entry = at >= 0 ? key.slice(0, at + delimiter.length) : key;
        if (out[out.length - 1] !== entry) out.push(entry);
      }
      return out;
    }

    it("returns the same entries, in order, for any keys, prefix, delimiter and page size", async () => {
      const store = await FsBucketStore.open(path.join(parent, "model"), { durable: false });
      const segment = fc.stringMatching(/^[-ab0.]{0,2}$/).map((s) => s.replace("0", "é").replace(".", "😀").replace("b", "."));
      const key = fc.array(segment, { minLength: 1, maxLength: 4 }).map((segs) => segs.join("/")).filter((k) => k !== "");
      let run = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.uniqueArray(key, { minLength: 0, maxLength: 25 }),
          fc.constantFrom("", "a", "a/", "/", "é", "a/a", "."),
          fc.constantFrom("", "/", "a", "/a", "é"),
          fc.integer({ min: 1, max: 6 }),
          async (keys, prefix, delimiter, maxKeys) => {
            const bucket = `model-${run++}`;
            await store.createBucket(bucket);
            for (const k of keys) await store.putObject(bucket, k, { userMetadata: {} }, { body: [Buffer.from(k)] });
            const seen: string[] = [];
            let startAfter: string | undefined;
            let skipPrefix: string | undefined;
            for (let page = 0; page < 100; page++) {
              const res = await store.list(bucket, { prefix, delimiter, maxKeys, startAfter, skipPrefix });
              const entries = [...res.contents.map((c) => c.key), ...res.commonPrefixes].sort(compareKeys);
              expect(entries.length).toBeLessThanOrEqual(maxKeys);
              seen.push(...entries);
              if (!res.isTruncated) break;
              expect(entries.length).toBe(maxKeys);
              startAfter = res.last!.value;
              skipPrefix = res.last!.isPrefix ? res.last!.value : undefined;
            }
            expect(seen).toEqual(model(keys, prefix, delimiter));
          },
        ),
        { numRuns: 150 },
      );
    }, 120_000);
  });

  describe("deletes and copies", () => {
    it("deletes one key, prunes empty directories, and DeleteObjects reports every key", async () => {
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: "del/deep/er/one", Body: "1" }));
      await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: "del/deep/er/one" }));
      expect(existsSync(path.join(root, BUCKET, "del"))).toBe(false);

      const keys = Array.from({ length: 30 }, (_, i) => `del/many/${i}`);
      await mapLimit(keys, 8, (Key) => client.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body: Key })));
      const out = await client.send(
        new DeleteObjectsCommand({
          Bucket: BUCKET,
          Delete: { Objects: [...keys, "del/never-existed", "del/" + "k".repeat(1100)].map((Key) => ({ Key })) },
        }),
      );
      expect(out.Deleted?.map((d) => d.Key).sort()).toEqual([...keys, "del/never-existed"].sort());
      expect(out.Errors?.map((e) => [e.Key?.length, e.Code])).toEqual([[1104, "KeyTooLongError"]]);
      expect((await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: "del/" }))).KeyCount).toBe(0);
      expect(existsSync(path.join(root, BUCKET, "del"))).toBe(false);

      const quiet = await client.send(
        new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: [{ Key: "del/x" }], Quiet: true } }),
      );
      expect([quiet.Deleted, quiet.Errors]).toEqual([undefined, undefined]);
    });

    it("copies objects with COPY and REPLACE metadata directives", async () => {
      const data = randomBytes(200_000);
      await client.send(
        new PutObjectCommand({ Bucket: BUCKET, Key: "copy/src bin", Body: data, ContentType: "app/one", Metadata: { m: "1" } }),
      );
      const copied = await client.send(
        new CopyObjectCommand({ Bucket: BUCKET, Key: "copy/dst/ü bin", CopySource: `${BUCKET}/${encodeURIComponent("copy/src bin")}` }),
      );
      expect(copied.CopyObjectResult?.ETag).toBe(`"${md5(data)}"`);
      const dst = await getBytes(client, BUCKET, "copy/dst/ü bin");
      expect(dst.bytes.equals(data)).toBe(true);
      expect([dst.out.ContentType, dst.out.Metadata]).toEqual(["app/one", { m: "1" }]);

      await client.send(
        new CopyObjectCommand({
          Bucket: "keys-bucket",
          Key: "copied-here",
          CopySource: `/${BUCKET}/copy/src%20bin`,
          MetadataDirective: "REPLACE",
          ContentType: "app/two",
          Metadata: { n: "2" },
        }),
      );
      const replaced = await getBytes(client, "keys-bucket", "copied-here");
      expect([replaced.out.ContentType, replaced.out.Metadata, replaced.bytes.equals(data)]).toEqual(["app/two", { n: "2" }, true]);

      const self = await errorOf(client.send(new CopyObjectCommand({ Bucket: BUCKET, Key: "copy/src bin", CopySource: `${BUCKET}/copy/src%20bin` })));
      expect(self.name).toBe("InvalidRequest");
      const missing = await errorOf(client.send(new CopyObjectCommand({ Bucket: BUCKET, Key: "copy/x", CopySource: `${BUCKET}/copy/none` })));
      expect([missing.name, missing.status]).toEqual(["NoSuchKey", 404]);
      const cond = await errorOf(
        client.send(new CopyObjectCommand({ Bucket: BUCKET, Key: "copy/y", CopySource: `${BUCKET}/copy/src%20bin`, CopySourceIfMatch: '"x"' })),
      );
      expect(cond.status).toBe(412);
    });
  });

  describe("concurrency", () => {
    it("survives concurrent puts and deletes in one directory (pruning races) without errors or leftovers", async () => {
      const ops = Array.from({ length: 300 }, (_, i) => ({ put: i % 3 !== 2, key: `race/dir/sub/k${i % 4}`, body: `v${i}` }));
      await mapLimit(ops, 16, (op) =>
        op.put
          ? client.send(new PutObjectCommand({ Bucket: BUCKET, Key: op.key, Body: op.body }))
          : client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: op.key })),
      );
      const listed = (await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: "race/" }))).Contents ?? [];
      for (const o of listed) {
        const { out, bytes } = await getBytes(client, BUCKET, o.Key!);
        expect(out.ETag).toBe(`"${md5(bytes)}"`);
        expect(bytes.toString()).toMatch(/^v\d+$/);
      }
      const files = existsSync(path.join(root, BUCKET, "race")) ? await walkFiles(path.join(root, BUCKET, "race")) : [];
      expect(files.filter((f) => f.includes("%tmp-"))).toEqual([]);
      expect(files.filter((f) => !f.endsWith("%meta")).length).toBe(listed.length);
      await client.send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: listed.map((o) => ({ Key: o.Key })) } }));
      expect(existsSync(path.join(root, BUCKET, "race"))).toBe(false);
    });
  });

  describe("multipart uploads", () => {
    it("uploads parts and completes them into one object", async () => {
      const part1 = randomBytes(5 * 1024 * 1024);
      const part2 = randomBytes(1234567);
      const key = "mp/big object.bin";
      const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key, ContentType: "app/mp" }));
      const e1 = await client.send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId, PartNumber: 1, Body: part1 }));
      // A streamed part exercises aws-chunked on UploadPart too.
      const e2 = await client.send(
        new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId, PartNumber: 2, Body: Readable.from([part2]), ContentLength: part2.length }),
      );

      const wrongEtag = await errorOf(
        client.send(
          new CompleteMultipartUploadCommand({
            Bucket: BUCKET,
            Key: key,
            UploadId,
            MultipartUpload: { Parts: [{ PartNumber: 1, ETag: e1.ETag }, { PartNumber: 2, ETag: '"0000"' }] },
          }),
        ),
      );
      expect(wrongEtag.name).toBe("InvalidPart");
      const done = await client.send(
        new CompleteMultipartUploadCommand({
          Bucket: BUCKET,
          Key: key,
          UploadId,
          MultipartUpload: { Parts: [{ PartNumber: 1, ETag: e1.ETag }, { PartNumber: 2, ETag: e2.ETag }] },
        }),
      );
      const partMd5s = Buffer.concat([createHash("md5").update(part1).digest(), createHash("md5").update(part2).digest()]);
      expect(done.ETag).toBe(`"${md5(partMd5s)}-2"`);
      const { out, bytes } = await getBytes(client, BUCKET, key);
      expect(bytes.equals(Buffer.concat([part1, part2]))).toBe(true);
      expect([out.ContentType, out.ETag, out.PartsCount]).toEqual(["app/mp", done.ETag, 2]);
      // The completed upload is gone: no more parts, nothing left under .s3-multipart.
      const after = await errorOf(client.send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId, PartNumber: 3, Body: "x" })));
      expect([after.name, after.status]).toEqual(["NoSuchUpload", 404]);
      expect(existsSync(path.join(root, ".s3-multipart", UploadId!))).toBe(false);
    });

    it("enforces the 5 MiB minimum part size and aborts cleanly", async () => {
      const key = "mp/small";
      const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }));
      const a = await client.send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId, PartNumber: 1, Body: "tiny" }));
      const b = await client.send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId, PartNumber: 2, Body: "tiny" }));
      const small = await errorOf(
        client.send(
          new CompleteMultipartUploadCommand({
            Bucket: BUCKET,
            Key: key,
            UploadId,
            MultipartUpload: { Parts: [{ PartNumber: 1, ETag: a.ETag }, { PartNumber: 2, ETag: b.ETag }] },
          }),
        ),
      );
      expect(small.name).toBe("EntityTooSmall");
      await client.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId }));
      const again = await errorOf(client.send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId, PartNumber: 3, Body: "x" })));
      expect([again.name, again.status]).toEqual(["NoSuchUpload", 404]);
      expect((await errorOf(client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })))).status).toBe(404);
      expect(await fsp.readdir(path.join(root, ".s3-multipart"))).toEqual([]);
    });
  });

  describe("durability", () => {
    let other: LocalS3 | undefined;
    afterEach(async () => {
      await other?.close();
      other = undefined;
    });

    it("keeps everything across a restart on the same directory", async () => {
      const dir = path.join(parent, "restart");
      const first = await startLocalS3({ rootDir: dir, buckets: ["persist"] });
      const c1 = makeClient(first.endpoint);
      const data = randomBytes(100_000);
      await c1.send(new PutObjectCommand({ Bucket: "persist", Key: "a/b/c.bin", Body: data, ContentType: "x/y", Metadata: { k: "v" } }));
      await c1.send(new PutObjectCommand({ Bucket: "persist", Key: "unicode ü/😀", Body: "u" }));
      c1.destroy();
      await first.close();

      other = await startLocalS3({ rootDir: dir });
      const c2 = makeClient(other.endpoint);
      const { out, bytes } = await getBytes(c2, "persist", "a/b/c.bin");
      expect([bytes.equals(data), out.ContentType, out.Metadata, out.ETag]).toEqual([true, "x/y", { k: "v" }, `"${md5(data)}"`]);
      expect((await listAll(c2, "persist")).keys).toEqual(["a/b/c.bin", "unicode ü/😀"]);
      c2.destroy();
    });

    it("repairs metadata when the data file changed behind the sidecar (crash between the two renames)", async () => {
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: "repair/me", Body: "old contents", ContentType: "text/x" }));
      // Simulate: new data renamed into place, crash before its sidecar was.
      const file = path.join(root, BUCKET, "repair", "@me");
      await fsp.writeFile(file + ".new", "new contents!");
      await fsp.rename(file + ".new", file);
      const { out, bytes } = await getBytes(client, BUCKET, "repair/me"); // checksum validation would fail on a stale CRC
      expect([bytes.toString(), out.ETag, out.ContentType, out.ChecksumCRC32]).toEqual([
        "new contents!",
        `"${md5(Buffer.from("new contents!"))}"`,
        "text/x",
        undefined,
      ]);
      const listed = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: "repair/" }));
      expect(listed.Contents?.[0]?.Size).toBe(13);
    });

    it("discards the temp file when a client disconnects mid-upload", async () => {
      const url = new URL(server.endpoint);
      await new Promise<void>((resolve) => {
        const req = request({
          host: url.hostname,
          port: url.port,
          method: "PUT",
          path: `/${BUCKET}/aborted/upload.bin`,
          headers: { "content-length": String(1024 * 1024) },
        });
        req.on("error", () => resolve());
        req.write(randomBytes(100_000), () => setTimeout(() => req.destroy(), 100));
        req.on("close", () => resolve());
      });
      let files: string[] = [];
      for (let i = 0; i < 50; i++) {
        await new Promise((r) => setTimeout(r, 20));
        files = existsSync(path.join(root, BUCKET, "aborted")) ? await walkFiles(path.join(root, BUCKET, "aborted")) : [];
        if (files.length === 0) break;
      }
      expect(files).toEqual([]);
      expect((await errorOf(client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: "aborted/upload.bin" })))).status).toBe(404);
    });

    it("never exposes a partial object when the server is killed (SIGKILL) mid-upload", async () => {
      const dir = path.join(parent, "killed");
      const serverModule = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../src/s3/server.ts");
      const script =
        `const { startLocalS3 } = await import(${JSON.stringify(serverModule)});` +
        `const s = await startLocalS3({ rootDir: ${JSON.stringify(dir)}, buckets: ["crash"] });` +
        `console.log(s.endpoint);`;
      const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      try {
        const endpoint = await new Promise<string>((resolve, reject) => {
          child.stdout.once("data", (d: Buffer) => resolve(d.toString().trim()));
          child.once("exit", (code) => reject(new Error(`child exited ${code}`)));
        });
        const c = makeClient(endpoint);
        await c.send(new PutObjectCommand({ Bucket: "crash", Key: "committed", Body: "safe" }));
        c.destroy();
        // Start a 4 MB upload, send half, then kill the server process.
        const url = new URL(endpoint);
        const req = request({
          host: url.hostname,
          port: url.port,
          method: "PUT",
          path: "/crash/partial",
          headers: { "content-length": String(4 * 1024 * 1024) },
        });
        req.on("error", () => undefined);
        req.write(randomBytes(2 * 1024 * 1024));
        await new Promise((r) => setTimeout(r, 300));
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGKILL");
        await exited;
        req.destroy();
      } finally {
        if (child.exitCode === null) child.kill("SIGKILL");
      }
      const files = await walkFiles(path.join(dir, "crash"));
      expect(files.filter((f) => !f.includes("%tmp-"))).toEqual(["@committed", "@committed%meta"]);
      other = await startLocalS3({ rootDir: dir });
      const c2 = makeClient(other.endpoint);
      expect((await errorOf(c2.send(new HeadObjectCommand({ Bucket: "crash", Key: "partial" })))).status).toBe(404);
      expect((await getBytes(c2, "crash", "committed")).bytes.toString()).toBe("safe");
      expect((await listAll(c2, "crash")).keys).toEqual(["committed"]);
      c2.destroy();
    }, 30_000);
  });

  describe("checksums and request parsing", () => {
    it("computes the standard check values", () => {
      const check = (alg: "crc32" | "crc32c" | "crc64nvme") => {
        const c = createChecksum(alg);
        c.update(Buffer.from("12345"));
        c.update(Buffer.from("6789"));
        return c.digest().toString("hex");
      };
      expect(check("crc32")).toBe("cbf43926");
      expect(check("crc32c")).toBe("e3069283");
      expect(check("crc64nvme")).toBe("ae8b14860a799888");
    });

    it("parses request XML strictly (entities, CR via references, no DTDs)", () => {
      const doc = parseXml('<?xml version="1.0"?>\r\n<Delete><Object><Key> a&amp;b&#x0D;&#10;&#x1F600; </Key></Object><Quiet>true</Quiet></Delete>');
      expect(doc.children[0]?.children[0]?.text).toBe(" a&b\r\n😀 ");
      expect(() => parseXml('<!DOCTYPE x [<!ENTITY e "boom">]><x>&e;</x>')).toThrow();
      expect(() => parseXml("<a><b></a>")).toThrow();
    });
  });
});

function crc32b64(data: Uint8Array): string {
  const c = createChecksum("crc32");
  c.update(data);
  return c.digest().toString("base64");
}

function createChecksumB64(algorithm: ChecksumAlgorithm, data: Uint8Array): string {
  if (algorithm === "SHA1" || algorithm === "SHA256") {
    return createHash(algorithm === "SHA1" ? "sha1" : "sha256").update(data).digest("base64");
  }
  const c = createChecksum(algorithm.toLowerCase() as "crc32" | "crc32c" | "crc64nvme");
  c.update(data);
  return c.digest().toString("base64");
}

describe("fault injection", () => {
  it("answers what the hook returns (SlowDown 503 the SDK retries, InternalError 500), and serves normally otherwise", async () => {
    const root = await fsp.mkdtemp(path.join(tmpdir(), "s3-faults-"));
    let failNext = 0;
    const seen: string[] = [];
    const { S3Error } = await import("../src/s3/errors");
    const server = await startLocalS3({
      rootDir: root,
      buckets: [BUCKET],
      faults: ({ method, key }) => {
        seen.push(`${method} ${key ?? ""}`);
        if (failNext <= 0) return undefined;
        failNext--;
        return new S3Error(failNext % 2 === 0 ? "SlowDown" : "InternalError");
      },
    });
    const client = makeClient(server.endpoint);
    try {
      // Two failures, then success: the SDK's standard retries (3 attempts) absorb them; the object is stored once.
      failNext = 2;
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: "a.txt", Body: "hello" }));
      expect(seen.filter((s) => s === "PUT a.txt")).toHaveLength(3);
      const body = await (await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: "a.txt" }))).Body!.transformToString();
      expect(body).toBe("hello");
      // More failures than attempts: the caller sees S3's error, and nothing is written.
      failNext = 3;
      const error = await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: "b.txt", Body: "lost?" })).catch((e: unknown) => e as { name: string; $metadata: { httpStatusCode: number } });
      expect(error).toMatchObject({ name: "SlowDown", $metadata: { httpStatusCode: 503 } });
      await expect(client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: "b.txt" }))).rejects.toMatchObject({ name: "NotFound" });
    } finally {
      client.destroy();
      await server.close();
      await fsp.rm(root, { recursive: true, force: true });
    }
  });
});
