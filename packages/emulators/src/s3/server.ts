/**
 * A local, S3-compatible HTTP server backed by the file system (FsBucketStore), for the local mode and for tests.
 * Path-style requests only (`http://127.0.0.1:<port>/<bucket>/<key>`): clients set `forcePathStyle: true`.
 * Signatures are not checked; any credentials work. One IAM rule is applied per caller when `callers` is given
 * (./access.ts): a missing key answers 403 AccessDenied, not 404, to a caller without s3:ListBucket on the bucket.
 *
 * Supported: the operations the clients we run against it call (the AWS SDK for JavaScript in the product and its
 * tools, hadoop-aws's S3A in the local Spark job, boto3 in the job's runner; ARCHITECTURE.md, "The AWS stand-ins"):
 * CreateBucket, HeadBucket, ListObjectsV2, PutObject, GetObject (Range, conditional headers), HeadObject,
 * DeleteObject, DeleteObjects, CopyObject, CreateMultipartUpload, UploadPart, CompleteMultipartUpload,
 * AbortMultipartUpload. Anything else (ListBuckets, DeleteBucket, ?location, ?versioning, ListObjects v1, ListParts,
 * ListMultipartUploads, response-* overrides, ?acl, ?tagging, ...) is answered with 501 NotImplemented, rather than
 * being mistaken for a plain object request or answered with a guess.
 */

import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { pipeline } from "node:stream/promises";
import { AwsChunkedDecoder, isAwsChunked, storedContentEncoding } from "./aws-chunked";
import {
  CHECKSUM_ALGORITHMS,
  createChecksum,
  isChecksumAlgorithm,
  isValidChecksumValue,
  type ChecksumAlgorithm,
} from "./checksums";
import { accessKeyIdOf, type S3Caller, type S3CallerResolver } from "./access";
import { S3Error } from "./errors";
import type { BodyDigests, WriteOptions } from "./durable-files";
import { FsBucketStore } from "./fs-bucket-store";
import { MAX_PART_NUMBER } from "./multipart";
import type { ObjectAttributes, Preconditions, StoredObject } from "./stored-object";
import { childrenNamed, childText, el, parseXml, S3_NS, XML_DECL } from "./xml";

export interface LocalS3Options {
  /** Directory holding the buckets; created when missing. */
  rootDir: string;
  /** Interface to bind; default 127.0.0.1. */
  host?: string;
  /** Port; default 0 (a free port, see the returned `port`). */
  port?: number;
  /** Buckets to create at start-up when they do not exist yet. */
  buckets?: readonly string[];
  /**
   * fsync before acknowledging writes (default true). False keeps writes atomic but not power-loss durable; see
   * FsBucketStoreOptions.durable.
   */
  durable?: boolean;
  /**
   * Fault injection for tests: called for every request (after its target is parsed); an S3Error returned is the
   * answer instead of handling the request (e.g. SlowDown, InternalError), the request body is drained unread.
   */
  faults?: (request: { method: string; bucket?: string; key?: string }) => S3Error | undefined;
  /** Called with unexpected (500) errors; default console.error. */
  onError?: (err: unknown) => void;
  /**
   * Who a request comes from, by its access key id (./access.ts); a known caller without s3:ListBucket on the
   * bucket gets 403 for a missing key, as on AWS. Unknown callers (and no resolver) get 404 as before.
   */
  callers?: S3CallerResolver;
}

export interface LocalS3 {
  /** e.g. http://127.0.0.1:43125, for `endpoint` in the S3 client config (with forcePathStyle: true). */
  endpoint: string;
  port: number;
  /** Stops accepting connections, lets in-flight requests finish (up to 2 s), then closes everything. */
  close(): Promise<void>;
}

export async function startLocalS3(options: LocalS3Options): Promise<LocalS3> {
  const store = await FsBucketStore.open(options.rootDir, { durable: options.durable ?? true });
  for (const bucket of options.buckets ?? []) {
    if (await store.bucketExists(bucket)) continue;
    await store.createBucket(bucket).catch((err: unknown) => {
      if (!(err instanceof S3Error && err.code === "BucketAlreadyOwnedByYou")) throw err;
    });
  }
  const onError = options.onError ?? ((err: unknown) => console.error("local S3 internal error:", err));
  const server = createServer((req, res) => {
    handleRequest(store, req, res, onError, options.faults, options.callers).catch((err: unknown) => {
      onError(err);
      res.destroy();
    });
  });
  server.keepAliveTimeout = 30_000;
  server.requestTimeout = 0; // large uploads may take longer than Node's 5-minute default
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    endpoint: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), 2_000);
        force.unref();
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}

// ------------------------------------------------------------------------------------------------ request plumbing

interface Target {
  rawPath: string;
  bucket?: string;
  key?: string;
  query: URLSearchParams;
}

function decodePathPart(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new S3Error("InvalidURI", "Couldn't parse the specified URI.");
  }
}

function parseTarget(url: string): Target {
  const q = url.indexOf("?");
  const rawPath = q < 0 ? url : url.slice(0, q);
  const query = new URLSearchParams(q < 0 ? "" : url.slice(q + 1));
  if (!rawPath.startsWith("/")) throw new S3Error("InvalidURI", "Couldn't parse the specified URI.");
  const rest = rawPath.slice(1);
  if (rest === "") return { rawPath, query };
  const slash = rest.indexOf("/");
  const bucket = decodePathPart(slash < 0 ? rest : rest.slice(0, slash));
  const rawKey = slash < 0 ? "" : rest.slice(slash + 1);
  return { rawPath, bucket, key: rawKey === "" ? undefined : decodePathPart(rawKey), query };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v.join(",") : v;
}

const COMMON_PARAMS = new Set(["x-id"]);

/** Rejects sub-resources this server does not implement, instead of treating them as a plain request. */
function allowParams(query: URLSearchParams, allowed: readonly string[]): void {
  for (const name of query.keys()) {
    if (COMMON_PARAMS.has(name) || allowed.includes(name) || name.toLowerCase().startsWith("x-amz-")) continue;
    throw new S3Error("NotImplemented", `The ${name} sub-resource or parameter is not implemented by the local S3 server`);
  }
}

function requireNullVersion(query: URLSearchParams): void {
  const v = query.get("versionId");
  if (v !== null && v !== "null") throw new S3Error("InvalidArgument", "Invalid version id specified");
}

const REQUEST_ID_PREFIX = randomBytes(4).toString("hex").toUpperCase();
const HOST_ID = randomBytes(24).toString("base64");
let requestCounter = 0;

async function handleRequest(
  store: FsBucketStore,
  req: IncomingMessage,
  res: ServerResponse,
  onError: (err: unknown) => void,
  faults?: LocalS3Options["faults"],
  callers?: S3CallerResolver,
): Promise<void> {
  const requestId = `${REQUEST_ID_PREFIX}${(requestCounter++).toString(16).toUpperCase().padStart(8, "0")}`;
  res.setHeader("x-amz-request-id", requestId);
  res.setHeader("x-amz-id-2", HOST_ID);
  res.setHeader("Server", "EventlakeLocalS3");
  let resource = req.url ?? "/";
  try {
    const target = parseTarget(req.url ?? "/");
    resource = target.rawPath;
    const injected = faults?.({ method: req.method ?? "GET", ...(target.bucket ? { bucket: target.bucket } : {}), ...(target.key ? { key: target.key } : {}) });
    if (injected) {
      req.resume();
      await new Promise<void>((resolve) => (req.readableEnded ? resolve() : req.once("end", resolve).once("error", () => resolve())));
      throw injected;
    }
    const accessKeyId = callers ? accessKeyIdOf(req, target.query) : undefined;
    await route(store, req, res, target, accessKeyId !== undefined ? callers?.(accessKeyId) : undefined);
  } catch (err) {
    sendError(req, res, err, resource, requestId, onError);
  }
}

function sendError(
  req: IncomingMessage,
  res: ServerResponse,
  err: unknown,
  resource: string,
  requestId: string,
  onError: (err: unknown) => void,
): void {
  let e: S3Error;
  if (err instanceof S3Error) {
    e = err;
  } else {
    const clientGone = req.destroyed || (err as { code?: string } | undefined)?.code === "ECONNRESET";
    if (!clientGone) onError(err);
    e = new S3Error("InternalError");
  }
  if (res.headersSent) {
    res.destroy();
    return;
  }
  for (const [k, v] of Object.entries(e.headers)) res.setHeader(k, v);
  if (req.method === "HEAD" || e.status === 304) {
    res.writeHead(e.status);
    res.end();
    return;
  }
  const details = Object.entries(e.details)
    .map(([k, v]) => el(k, v))
    .join("");
  sendXml(
    res,
    e.status,
    `<Error>${el("Code", e.code)}${el("Message", e.message)}${details}${el("Resource", resource)}${el("RequestId", requestId)}</Error>`,
  );
}

function sendXml(res: ServerResponse, status: number, xml: string, headers: Record<string, string> = {}): void {
  const body = Buffer.from(XML_DECL + xml, "utf8");
  res.writeHead(status, { ...headers, "Content-Type": "application/xml", "Content-Length": String(body.length) });
  res.end(body);
}

function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...headers, "Content-Length": "0" });
  res.end();
}

/** Reads and discards a request body we do not use (CreateBucket configuration, CopyObject). */
async function drain(req: IncomingMessage): Promise<void> {
  for await (const _chunk of req.iterator({ destroyOnReturn: false })) {
    // discard
  }
}

// ------------------------------------------------------------------------------------------------ bodies

interface BodyPlan extends WriteOptions {
  algorithms: ChecksumAlgorithm[];
  storeChecksums: ChecksumAlgorithm[];
  verify: (result: BodyDigests) => void;
}

/**
 * How to read and check a request body: aws-chunked framing is decoded; x-amz-checksum-* headers and trailers,
 * Content-MD5 and a hex x-amz-content-sha256 are verified after the body ends and before anything is committed.
 */
function planBody(req: IncomingMessage, requireLength: boolean): BodyPlan {
  const contentSha256 = header(req, "x-amz-content-sha256");
  const chunked = isAwsChunked(header(req, "content-encoding"), contentSha256);
  const lengthHeader = chunked ? header(req, "x-amz-decoded-content-length") : header(req, "content-length");
  let expectedLength: number | undefined;
  if (lengthHeader !== undefined && /^\d+$/.test(lengthHeader.trim())) {
    expectedLength = Number(lengthHeader.trim());
  } else if (requireLength || lengthHeader !== undefined) {
    throw new S3Error("MissingContentLength");
  }

  const provided = new Map<ChecksumAlgorithm, string>();
  for (const alg of CHECKSUM_ALGORITHMS) {
    const v = header(req, `x-amz-checksum-${alg}`);
    if (v === undefined) continue;
    if (!isValidChecksumValue(alg, v)) throw new S3Error("InvalidRequest", `Value for x-amz-checksum-${alg} header is invalid.`);
    provided.set(alg, v);
  }
  const trailerAlgorithms: ChecksumAlgorithm[] = [];
  if (chunked) {
    for (const name of (header(req, "x-amz-trailer") ?? "").split(",")) {
      const n = name.trim().toLowerCase();
      const alg = n.startsWith("x-amz-checksum-") ? n.slice("x-amz-checksum-".length) : "";
      if (isChecksumAlgorithm(alg)) trailerAlgorithms.push(alg);
    }
  }
  const sdkAlgorithm = header(req, "x-amz-sdk-checksum-algorithm")?.toLowerCase() ?? "";
  const store = new Set<ChecksumAlgorithm>([...provided.keys(), ...trailerAlgorithms]);
  if (isChecksumAlgorithm(sdkAlgorithm)) store.add(sdkAlgorithm);
  const sha256Hex = contentSha256 && /^[0-9a-f]{64}$/i.test(contentSha256) ? contentSha256.toLowerCase() : undefined;
  const compute = new Set(store);
  if (sha256Hex) compute.add("sha256");

  const md5Header = header(req, "content-md5");
  let md5: Buffer | undefined;
  if (md5Header !== undefined) {
    md5 = Buffer.from(md5Header, "base64");
    if (md5.length !== 16 || !/^[A-Za-z0-9+/]{22}==$/.test(md5Header)) {
      throw new S3Error("InvalidDigest", "The Content-MD5 you specified was not valid.");
    }
  }

  const source = req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>;
  const decoder = chunked ? new AwsChunkedDecoder() : undefined;
  const mismatch = (alg: ChecksumAlgorithm) =>
    new S3Error("BadDigest", `The ${alg.toUpperCase()} you specified did not match the calculated checksum.`);

  return {
    body: decoder ? decoder.decode(source) : source,
    algorithms: [...compute],
    storeChecksums: [...store],
    verify(result) {
      if (expectedLength !== undefined && result.size !== expectedLength) {
        throw new S3Error("IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header", {
          NumberBytesExpected: String(expectedLength),
          NumberBytesProvided: String(result.size),
        });
      }
      for (const [alg, value] of provided) {
        if (result.digests[alg]?.toString("base64") !== value) throw mismatch(alg);
      }
      if (decoder) {
        for (const alg of trailerAlgorithms) {
          const value = decoder.trailers.get(`x-amz-checksum-${alg}`);
          if (value === undefined) {
            throw new S3Error("InvalidRequest", `The x-amz-checksum-${alg} trailer was declared in x-amz-trailer but not sent.`);
          }
          if (!isValidChecksumValue(alg, value)) {
            throw new S3Error("InvalidRequest", `Value for x-amz-checksum-${alg} trailing header is invalid.`);
          }
          if (result.digests[alg]?.toString("base64") !== value) throw mismatch(alg);
        }
      }
      if (md5 && !md5.equals(result.md5)) {
        throw new S3Error("BadDigest", "The Content-MD5 you specified did not match what we received.");
      }
      if (sha256Hex && result.digests.sha256?.toString("hex") !== sha256Hex) {
        throw new S3Error("XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.");
      }
    },
  };
}

/** Reads a small request body (XML) completely, with the same framing and checksum handling as uploads. */
async function readSmallBody(req: IncomingMessage, limit = 2 * 1024 * 1024): Promise<Buffer> {
  const plan = planBody(req, false);
  const chunks: Buffer[] = [];
  const md5 = createChecksum("md5");
  const hashers = plan.algorithms.map((a) => [a, createChecksum(a)] as const);
  let size = 0;
  for await (const chunk of plan.body) {
    size += chunk.length;
    if (size > limit) throw new S3Error("MalformedXML", "The XML you provided was too large");
    const buf = Buffer.from(chunk);
    chunks.push(buf);
    md5.update(buf);
    for (const [, h] of hashers) h.update(buf);
  }
  const digests: BodyDigests["digests"] = {};
  for (const [a, h] of hashers) digests[a] = h.digest();
  plan.verify({ size, md5: md5.digest(), digests });
  return Buffer.concat(chunks);
}

function attributesFromHeaders(req: IncomingMessage): ObjectAttributes {
  const userMetadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.startsWith("x-amz-meta-") && value !== undefined) {
      userMetadata[name.slice("x-amz-meta-".length)] = Array.isArray(value) ? value.join(",") : value;
    }
  }
  return {
    contentType: header(req, "content-type"),
    contentEncoding: storedContentEncoding(header(req, "content-encoding")),
    cacheControl: header(req, "cache-control"),
    contentDisposition: header(req, "content-disposition"),
    contentLanguage: header(req, "content-language"),
    expires: header(req, "expires"),
    userMetadata,
  };
}

function quoted(etag: string): string {
  return `"${etag}"`;
}

function checksumHeaders(checksums: StoredObject["checksums"]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [alg, value] of Object.entries(checksums)) out[`x-amz-checksum-${alg}`] = value;
  if (Object.keys(out).length > 0) out["x-amz-checksum-type"] = "FULL_OBJECT";
  return out;
}

function httpDate(ms: number): string {
  return new Date(ms).toUTCString();
}

function isoDate(ms: number): string {
  return new Date(ms).toISOString();
}

// ------------------------------------------------------------------------------------------------ routing

async function route(store: FsBucketStore, req: IncomingMessage, res: ServerResponse, t: Target, caller?: S3Caller): Promise<void> {
  const method = req.method ?? "GET";
  const q = t.query;
  if (t.bucket === undefined) {
    if (method === "GET") throw new S3Error("NotImplemented", "ListBuckets is not implemented by the local S3 server");
    throw new S3Error("MethodNotAllowed", "The specified method is not allowed against this resource.");
  }
  const bucket = t.bucket;

  if (t.key === undefined) {
    switch (method) {
      case "PUT":
        allowParams(q, []);
        await drain(req);
        await store.createBucket(bucket);
        return sendEmpty(res, 200, { Location: `/${bucket}` });
      case "HEAD":
        allowParams(q, []);
        if (!(await store.bucketExists(bucket))) throw new S3Error("NoSuchBucket", undefined, { BucketName: bucket });
        return sendEmpty(res, 200, { "x-amz-bucket-region": "us-east-1" });
      case "DELETE":
        allowParams(q, []);
        throw new S3Error("NotImplemented", "DeleteBucket is not implemented by the local S3 server");
      case "GET":
        if (q.get("list-type") === "2") return listObjectsV2(store, res, bucket, q);
        // ?location, ?versioning, ?uploads (ListMultipartUploads) and the rest are refused as not implemented.
        allowParams(q, ["list-type"]);
        throw new S3Error("NotImplemented", "ListObjects (v1) is not implemented by the local S3 server; use ListObjectsV2");
      case "POST":
        if (q.has("delete")) return deleteObjects(store, req, res, bucket, q);
        throw new S3Error("NotImplemented", "This bucket POST request is not implemented by the local S3 server");
      default:
        throw new S3Error("MethodNotAllowed", "The specified method is not allowed against this resource.");
    }
  }

  const key = t.key;
  switch (method) {
    case "PUT":
      if (q.has("uploadId") || q.has("partNumber")) {
        if (header(req, "x-amz-copy-source") !== undefined) {
          throw new S3Error("NotImplemented", "UploadPartCopy is not implemented by the local S3 server");
        }
        return uploadPart(store, req, res, bucket, key, q);
      }
      if (header(req, "x-amz-copy-source") !== undefined) return copyObject(store, req, res, bucket, key, q);
      return putObject(store, req, res, bucket, key, q);
    case "GET":
      return getObject(store, req, res, bucket, key, q, false, caller);
    case "HEAD":
      return getObject(store, req, res, bucket, key, q, true, caller);
    case "DELETE":
      if (q.has("uploadId")) {
        allowParams(q, ["uploadId"]);
        await store.uploads.abort(bucket, key, q.get("uploadId") ?? "");
        return sendEmpty(res, 204);
      }
      allowParams(q, ["versionId"]);
      requireNullVersion(q);
      await store.deleteObject(bucket, key);
      return sendEmpty(res, 204);
    case "POST":
      if (q.has("uploads")) return createMultipartUpload(store, req, res, bucket, key, q);
      if (q.has("uploadId")) return completeMultipartUpload(store, req, res, bucket, key, q);
      throw new S3Error("NotImplemented", "This object POST request is not implemented by the local S3 server");
    default:
      throw new S3Error("MethodNotAllowed", "The specified method is not allowed against this resource.");
  }
}

async function requireBucket(store: FsBucketStore, bucket: string): Promise<void> {
  if (!(await store.bucketExists(bucket))) throw new S3Error("NoSuchBucket", undefined, { BucketName: bucket });
}

const OWNER = "<Owner><ID>local</ID><DisplayName>local</DisplayName></Owner>";

// ------------------------------------------------------------------------------------------------ objects

function preconditionsFromHeaders(req: IncomingMessage): Preconditions {
  return { ifMatch: header(req, "if-match"), ifNoneMatch: header(req, "if-none-match") };
}

async function putObject(
  store: FsBucketStore,
  req: IncomingMessage,
  res: ServerResponse,
  bucket: string,
  key: string,
  q: URLSearchParams,
): Promise<void> {
  allowParams(q, []);
  // Fail fast (before reading the body) on a missing bucket.
  await requireBucket(store, bucket);
  const plan = planBody(req, true);
  const meta = await store.putObject(bucket, key, attributesFromHeaders(req), plan, preconditionsFromHeaders(req));
  sendEmpty(res, 200, { ETag: quoted(meta.etag), ...checksumHeaders(meta.checksums) });
}

function etagListMatches(headerValue: string, etag: string): boolean {
  return headerValue
    .split(",")
    .map((t) => t.trim().replace(/^W\//, "").replace(/^"|"$/g, ""))
    .some((t) => t === "*" || t === etag);
}

function parseHttpDate(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/** RFC 7232 evaluation order, as S3 applies it to GetObject/HeadObject. */
function checkConditions(
  get: (name: string) => string | undefined,
  meta: StoredObject,
  names = { ifMatch: "if-match", ifNoneMatch: "if-none-match", ifModifiedSince: "if-modified-since", ifUnmodifiedSince: "if-unmodified-since" },
  notModifiedCode = "NotModified",
): void {
  const lastModifiedSec = Math.floor(meta.lastModified / 1000) * 1000;
  const ifMatch = get(names.ifMatch);
  const ifNoneMatch = get(names.ifNoneMatch);
  if (ifMatch !== undefined) {
    if (!etagListMatches(ifMatch, meta.etag)) throw new S3Error("PreconditionFailed", undefined, { Condition: "If-Match" });
  } else {
    const since = parseHttpDate(get(names.ifUnmodifiedSince));
    if (since !== undefined && lastModifiedSec > since) {
      throw new S3Error("PreconditionFailed", undefined, { Condition: "If-Unmodified-Since" });
    }
  }
  const notModified = () =>
    notModifiedCode === "NotModified"
      ? new S3Error("NotModified", "Not Modified", {}, { ETag: quoted(meta.etag), "Last-Modified": httpDate(meta.lastModified) })
      : new S3Error("PreconditionFailed", undefined, { Condition: names.ifNoneMatch });
  if (ifNoneMatch !== undefined) {
    if (etagListMatches(ifNoneMatch, meta.etag)) throw notModified();
  } else {
    const since = parseHttpDate(get(names.ifModifiedSince));
    if (since !== undefined && lastModifiedSec <= since) throw notModified();
  }
}

/** Parses a single `bytes=` range; undefined means "serve the whole object" (absent or not understood). */
function parseRange(value: string | undefined, size: number): { start: number; end: number } | undefined {
  if (value === undefined) return undefined;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(value);
  if (!m) return undefined; // multiple ranges or other units: S3 ignores the header
  const [, a = "", b = ""] = m;
  const unsatisfiable = () =>
    new S3Error("InvalidRange", undefined, { RangeRequested: value.trim(), ActualObjectSize: String(size) }, { "Content-Range": `bytes */${size}` });
  if (a === "" && b === "") return undefined;
  if (a === "") {
    const suffix = Number(b);
    if (suffix === 0 || size === 0) throw unsatisfiable();
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(a);
  if (b !== "" && Number(b) < start) return undefined; // syntactically invalid: ignored, as S3 does
  if (start >= size) throw unsatisfiable();
  return { start, end: b === "" ? size - 1 : Math.min(Number(b), size - 1) };
}

async function getObject(
  store: FsBucketStore,
  req: IncomingMessage,
  res: ServerResponse,
  bucket: string,
  key: string,
  q: URLSearchParams,
  head: boolean,
  caller?: S3Caller,
): Promise<void> {
  allowParams(q, ["versionId"]);
  requireNullVersion(q);
  const opened = await store.openObject(bucket, key);
  if (!opened) {
    // AWS: 404 only to a caller allowed s3:ListBucket on the bucket (./access.ts).
    if (caller && !caller.canListBucket(bucket)) throw new S3Error("AccessDenied");
    throw new S3Error("NoSuchKey", undefined, { Key: key });
  }
  const { handle, meta } = opened;
  let streaming = false;
  try {
    checkConditions((n) => header(req, n), meta);
    const range = parseRange(header(req, "range"), meta.size);
    const headers: Record<string, string> = {
      "Accept-Ranges": "bytes",
      "Content-Type": meta.contentType ?? "binary/octet-stream",
      ETag: quoted(meta.etag),
      "Last-Modified": httpDate(meta.lastModified),
    };
    if (meta.contentEncoding) headers["Content-Encoding"] = meta.contentEncoding;
    if (meta.cacheControl) headers["Cache-Control"] = meta.cacheControl;
    if (meta.contentDisposition) headers["Content-Disposition"] = meta.contentDisposition;
    if (meta.contentLanguage) headers["Content-Language"] = meta.contentLanguage;
    if (meta.expires) headers.Expires = meta.expires;
    if (meta.partCount !== undefined) headers["x-amz-mp-parts-count"] = String(meta.partCount);
    for (const [name, value] of Object.entries(meta.userMetadata)) headers[`x-amz-meta-${name}`] = value;
    if (!range && header(req, "x-amz-checksum-mode")?.toUpperCase() === "ENABLED") {
      Object.assign(headers, checksumHeaders(meta.checksums));
    }
    const start = range?.start ?? 0;
    const end = range?.end ?? meta.size - 1;
    const length = meta.size === 0 ? 0 : end - start + 1;
    headers["Content-Length"] = String(length);
    if (range) headers["Content-Range"] = `bytes ${start}-${end}/${meta.size}`;
    for (const [name, value] of Object.entries(headers)) {
      try {
        res.setHeader(name, value);
      } catch {
        throw new S3Error("InvalidArgument", `Header value for ${name} contains characters that cannot be sent`);
      }
    }
    res.writeHead(range ? 206 : 200);
    if (head || length === 0) {
      res.end();
      return;
    }
    streaming = true;
    const stream = handle.createReadStream({ start, end, highWaterMark: 256 * 1024 });
    await pipeline(stream, res).catch((err: unknown) => {
      if (!res.destroyed) res.destroy(err as Error);
    });
  } finally {
    if (!streaming) await handle.close();
  }
}

function parseCopySource(value: string): { bucket: string; key: string } {
  let raw = value.trim();
  const q = raw.indexOf("?");
  if (q >= 0) {
    const params = new URLSearchParams(raw.slice(q + 1));
    const versionId = params.get("versionId");
    if (versionId !== null && versionId !== "null") throw new S3Error("InvalidArgument", "Invalid version id specified");
    raw = raw.slice(0, q);
  }
  const decoded = decodePathPart(raw.replace(/^\//, ""));
  const slash = decoded.indexOf("/");
  if (slash <= 0 || slash === decoded.length - 1) {
    throw new S3Error("InvalidArgument", "Copy Source must mention the source bucket and key: sourcebucket/sourcekey");
  }
  return { bucket: decoded.slice(0, slash), key: decoded.slice(slash + 1) };
}

async function copyObject(
  store: FsBucketStore,
  req: IncomingMessage,
  res: ServerResponse,
  bucket: string,
  key: string,
  q: URLSearchParams,
): Promise<void> {
  allowParams(q, []);
  await drain(req);
  const source = parseCopySource(header(req, "x-amz-copy-source") ?? "");
  const directive = (header(req, "x-amz-metadata-directive") ?? "COPY").toUpperCase();
  if (directive !== "COPY" && directive !== "REPLACE") {
    throw new S3Error("InvalidArgument", "Unknown metadata directive.");
  }
  if (source.bucket === bucket && source.key === key && directive === "COPY") {
    throw new S3Error(
      "InvalidRequest",
      "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
    );
  }
  const replaced = directive === "REPLACE" ? attributesFromHeaders(req) : undefined;
  const meta = await store.copyObject(
    source,
    { bucket, key },
    (src) =>
      replaced ?? {
        contentType: src.contentType,
        contentEncoding: src.contentEncoding,
        cacheControl: src.cacheControl,
        contentDisposition: src.contentDisposition,
        contentLanguage: src.contentLanguage,
        expires: src.expires,
        userMetadata: src.userMetadata,
      },
    (src) =>
      checkConditions(
        (n) => header(req, n),
        src,
        {
          ifMatch: "x-amz-copy-source-if-match",
          ifNoneMatch: "x-amz-copy-source-if-none-match",
          ifModifiedSince: "x-amz-copy-source-if-modified-since",
          ifUnmodifiedSince: "x-amz-copy-source-if-unmodified-since",
        },
        "PreconditionFailed",
      ),
  );
  sendXml(
    res,
    200,
    `<CopyObjectResult xmlns="${S3_NS}">${el("LastModified", isoDate(meta.lastModified))}${el("ETag", quoted(meta.etag))}</CopyObjectResult>`,
    checksumHeaders(meta.checksums),
  );
}

async function deleteObjects(
  store: FsBucketStore,
  req: IncomingMessage,
  res: ServerResponse,
  bucket: string,
  q: URLSearchParams,
): Promise<void> {
  allowParams(q, ["delete"]);
  await requireBucket(store, bucket);
  const root = parseXml((await readSmallBody(req)).toString("utf8"));
  if (root.name !== "Delete") throw new S3Error("MalformedXML");
  const quiet = childText(root, "Quiet")?.trim().toLowerCase() === "true";
  const objects = childrenNamed(root, "Object").map((o) => {
    const key = childText(o, "Key");
    if (key === undefined) throw new S3Error("MalformedXML");
    return { key, versionId: childText(o, "VersionId") };
  });
  if (objects.length === 0 || objects.length > 1000) throw new S3Error("MalformedXML");
  const outcomes = new Array<string>(objects.length);
  let next = 0;
  const worker = async () => {
    while (next < objects.length) {
      const i = next++;
      const { key, versionId } = objects[i]!;
      try {
        if (versionId !== undefined && versionId !== "null") throw new S3Error("NoSuchVersion", "The specified version does not exist.");
        await store.deleteObject(bucket, key);
        outcomes[i] = quiet ? "" : `<Deleted>${el("Key", key)}${el("VersionId", versionId)}</Deleted>`;
      } catch (err) {
        const e = err instanceof S3Error ? err : new S3Error("InternalError");
        outcomes[i] = `<Error>${el("Key", key)}${el("VersionId", versionId)}${el("Code", e.code)}${el("Message", e.message)}</Error>`;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, objects.length) }, worker));
  sendXml(res, 200, `<DeleteResult xmlns="${S3_NS}">${outcomes.join("")}</DeleteResult>`);
}

// ------------------------------------------------------------------------------------------------ listing

/** encoding-type=url: keys percent-encoded (space as "+", "/" kept), as S3 does. */
function urlEncodeKey(value: string): string {
  return encodeURIComponent(value).replace(/%2F/g, "/").replace(/%20/g, "+");
}

function parseMaxKeys(value: string | null, name = "max-keys"): number {
  if (value === null) return 1000;
  if (!/^\d+$/.test(value)) throw new S3Error("InvalidArgument", `Provided ${name} not an integer or within integer range`);
  return Math.min(Number(value), 1000);
}

function encoder(q: URLSearchParams): (s: string) => string {
  const encodingType = q.get("encoding-type");
  if (encodingType === null) return (s) => s;
  if (encodingType.toLowerCase() !== "url") throw new S3Error("InvalidArgument", "Invalid Encoding Method specified in Request");
  return urlEncodeKey;
}

function contentsXml(meta: StoredObject, enc: (s: string) => string, owner: boolean): string {
  const algorithms = Object.keys(meta.checksums)
    .map((a) => el("ChecksumAlgorithm", a.toUpperCase()))
    .join("");
  return (
    "<Contents>" +
    el("Key", enc(meta.key)) +
    el("LastModified", isoDate(meta.lastModified)) +
    el("ETag", quoted(meta.etag)) +
    algorithms +
    (algorithms ? el("ChecksumType", "FULL_OBJECT") : "") +
    el("Size", meta.size) +
    (owner ? OWNER : "") +
    el("StorageClass", "STANDARD") +
    "</Contents>"
  );
}

interface ContinuationToken {
  a: string;
  p: 0 | 1;
}

function encodeToken(last: { value: string; isPrefix: boolean }): string {
  const token: ContinuationToken = { a: last.value, p: last.isPrefix ? 1 : 0 };
  return Buffer.from(JSON.stringify(token), "utf8").toString("base64url");
}

function decodeToken(value: string): ContinuationToken {
  try {
    const token = JSON.parse(Buffer.from(value, "base64url").toString("utf8")) as ContinuationToken;
    if (typeof token.a === "string" && (token.p === 0 || token.p === 1)) return token;
  } catch {
    // fall through
  }
  throw new S3Error("InvalidArgument", "The continuation token provided is incorrect");
}

async function listObjectsV2(store: FsBucketStore, res: ServerResponse, bucket: string, q: URLSearchParams): Promise<void> {
  allowParams(q, ["list-type", "prefix", "delimiter", "max-keys", "continuation-token", "start-after", "encoding-type", "fetch-owner"]);
  const enc = encoder(q);
  const prefix = q.get("prefix") ?? "";
  const delimiter = q.get("delimiter") ?? "";
  const maxKeys = parseMaxKeys(q.get("max-keys"));
  const startAfter = q.get("start-after") ?? "";
  const tokenParam = q.get("continuation-token");
  const token = tokenParam !== null ? decodeToken(tokenParam) : undefined;
  const fetchOwner = q.get("fetch-owner") === "true";
  const result = await store.list(bucket, {
    prefix,
    delimiter,
    maxKeys,
    startAfter: token ? token.a : startAfter,
    skipPrefix: token?.p ? token.a : undefined,
  });
  const next = result.isTruncated && result.last ? encodeToken(result.last) : undefined;
  const xml =
    `<ListBucketResult xmlns="${S3_NS}">` +
    el("Name", bucket) +
    el("Prefix", enc(prefix)) +
    (delimiter ? el("Delimiter", enc(delimiter)) : "") +
    el("MaxKeys", maxKeys) +
    el("KeyCount", result.contents.length + result.commonPrefixes.length) +
    el("IsTruncated", result.isTruncated) +
    (tokenParam !== null ? el("ContinuationToken", tokenParam) : "") +
    (next ? el("NextContinuationToken", next) : "") +
    (startAfter ? el("StartAfter", enc(startAfter)) : "") +
    (q.get("encoding-type") !== null ? el("EncodingType", "url") : "") +
    result.contents.map((m) => contentsXml(m, enc, fetchOwner)).join("") +
    result.commonPrefixes.map((p) => `<CommonPrefixes>${el("Prefix", enc(p))}</CommonPrefixes>`).join("") +
    "</ListBucketResult>";
  sendXml(res, 200, xml);
}

// ------------------------------------------------------------------------------------------------ multipart

async function createMultipartUpload(
  store: FsBucketStore,
  req: IncomingMessage,
  res: ServerResponse,
  bucket: string,
  key: string,
  q: URLSearchParams,
): Promise<void> {
  allowParams(q, ["uploads"]);
  await drain(req);
  const alg = header(req, "x-amz-checksum-algorithm")?.toLowerCase();
  const checksumAlgorithm = alg !== undefined && isChecksumAlgorithm(alg) ? alg : undefined;
  if (alg !== undefined && checksumAlgorithm === undefined) throw new S3Error("InvalidRequest", "Checksum algorithm not supported");
  const info = await store.uploads.create(bucket, key, attributesFromHeaders(req), checksumAlgorithm);
  sendXml(
    res,
    200,
    `<InitiateMultipartUploadResult xmlns="${S3_NS}">${el("Bucket", bucket)}${el("Key", key)}${el("UploadId", info.uploadId)}</InitiateMultipartUploadResult>`,
    checksumAlgorithm ? { "x-amz-checksum-algorithm": checksumAlgorithm.toUpperCase() } : {},
  );
}

async function uploadPart(
  store: FsBucketStore,
  req: IncomingMessage,
  res: ServerResponse,
  bucket: string,
  key: string,
  q: URLSearchParams,
): Promise<void> {
  allowParams(q, ["uploadId", "partNumber"]);
  const partNumberRaw = q.get("partNumber") ?? "";
  const partNumber = Number(partNumberRaw);
  if (!/^\d+$/.test(partNumberRaw) || partNumber < 1 || partNumber > MAX_PART_NUMBER) {
    throw new S3Error("InvalidArgument", `Part number must be an integer between 1 and ${MAX_PART_NUMBER}, inclusive`);
  }
  const uploadId = q.get("uploadId") ?? "";
  await store.uploads.get(bucket, key, uploadId);
  const plan = planBody(req, true);
  const part = await store.uploads.uploadPart(bucket, key, uploadId, partNumber, plan);
  sendEmpty(res, 200, { ETag: quoted(part.etag), ...checksumHeaders(part.checksums) });
}

async function completeMultipartUpload(
  store: FsBucketStore,
  req: IncomingMessage,
  res: ServerResponse,
  bucket: string,
  key: string,
  q: URLSearchParams,
): Promise<void> {
  allowParams(q, ["uploadId"]);
  const uploadId = q.get("uploadId") ?? "";
  await store.uploads.get(bucket, key, uploadId);
  const root = parseXml((await readSmallBody(req)).toString("utf8"));
  if (root.name !== "CompleteMultipartUpload") throw new S3Error("MalformedXML");
  const parts = childrenNamed(root, "Part").map((p) => {
    const n = childText(p, "PartNumber")?.trim() ?? "";
    const etag = childText(p, "ETag")?.trim();
    if (!/^\d+$/.test(n) || etag === undefined) throw new S3Error("MalformedXML");
    return { partNumber: Number(n), etag };
  });
  const meta = await store.uploads.complete(bucket, key, uploadId, parts, preconditionsFromHeaders(req));
  const host = header(req, "host") ?? "localhost";
  const location = `http://${host}/${encodeURIComponent(bucket)}/${key.split("/").map(encodeURIComponent).join("/")}`;
  sendXml(
    res,
    200,
    `<CompleteMultipartUploadResult xmlns="${S3_NS}">${el("Location", location)}${el("Bucket", bucket)}${el("Key", key)}${el("ETag", quoted(meta.etag))}</CompleteMultipartUploadResult>`,
  );
}
