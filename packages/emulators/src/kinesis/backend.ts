/**
 * kinesalite, in this process, with its LevelDB on disk, listening on an ephemeral loopback port that only the
 * front talks to. Plus the two ways the front talks to it: forwarding a client's request as received, and
 * making its own JSON 1.1 calls (DescribeStream, SplitShard, ...).
 */
import http from "node:http";
import { mkdir } from "node:fs/promises";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { AMZ_JSON, KinesisError, TARGET_PREFIX } from "./wire";

interface KinesaliteOptions {
  path?: string;
  createStreamMs?: number;
  deleteStreamMs?: number;
  updateStreamMs?: number;
  shardLimit?: number;
}

interface LevelDown {
  open(options: { createIfMissing: boolean }, callback: (err?: Error | null) => void): void;
  close(callback: (err?: Error | null) => void): void;
}

// kinesalite is CommonJS without types; leveldown is resolved the way kinesalite resolves it.
const requireHere = createRequire(import.meta.url);
const kinesalite = requireHere("kinesalite") as (options: KinesaliteOptions) => http.Server;
const requireFromKinesalite = createRequire(requireHere.resolve("kinesalite"));
const leveldown = requireFromKinesalite("leveldown") as (location: string) => LevelDown;

export interface RawResponse {
  statusCode: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** Headers that belong to one hop and are not copied when forwarding. */
const HOP_HEADERS = new Set(["host", "connection", "keep-alive", "transfer-encoding", "content-length", "expect", "upgrade"]);

// kinesalite checks that a signature is present (not that it is valid).
const INTERNAL_AUTH_HEADERS = {
  Authorization:
    "AWS4-HMAC-SHA256 Credential=local/20200101/us-east-1/kinesis/aws4_request, SignedHeaders=host;x-amz-date, Signature=0",
  "X-Amz-Date": "20200101T000000Z",
};

export interface Backend {
  readonly endpoint: string;
  /** Sends a request on to kinesalite and returns its whole answer. */
  forward(method: string, url: string, headers: http.IncomingHttpHeaders, body: Buffer): Promise<RawResponse>;
  /** The front's own JSON 1.1 call; throws KinesisError with kinesalite's error type on a non-2xx answer. */
  call<T = Record<string, unknown>>(operation: string, input: object): Promise<T>;
  close(): Promise<void>;
}

/**
 * Opens and closes the LevelDB once before kinesalite does: kinesalite opens it without a callback, so a failure
 * (another process holding the lock) would surface as an uncaught 'error' event instead of a rejected promise.
 */
async function probeLevelDb(location: string): Promise<void> {
  const db = leveldown(location);
  await new Promise<void>((resolve, reject) =>
    db.open({ createIfMissing: true }, (err) =>
      err
        ? reject(new Error(`Cannot open the Kinesis data at ${location} (is another eventlake running on this data dir?): ${err.message}`))
        : resolve(),
    ),
  );
  await new Promise<void>((resolve, reject) => db.close((err) => (err ? reject(err) : resolve())));
}

export async function startBackend(options: { location: string; shardLimit: number }): Promise<Backend> {
  await mkdir(options.location, { recursive: true });
  await probeLevelDb(options.location);
  const server = kinesalite({
    path: options.location,
    createStreamMs: 0,
    deleteStreamMs: 0,
    updateStreamMs: 0,
    shardLimit: options.shardLimit,
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

  function forward(method: string, url: string, headers: http.IncomingHttpHeaders, body: Buffer): Promise<RawResponse> {
    const outHeaders: http.OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(headers)) {
      if (value !== undefined && !HOP_HEADERS.has(name.toLowerCase())) outHeaders[name] = value;
    }
    outHeaders["content-length"] = body.length;
    return new Promise<RawResponse>((resolve, reject) => {
      const request = http.request({ host: "127.0.0.1", port, method, path: url, headers: outHeaders, agent }, (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () =>
          resolve({ statusCode: response.statusCode ?? 500, headers: response.headers, body: Buffer.concat(chunks) }),
        );
        response.on("error", reject);
      });
      request.on("error", reject);
      request.end(body);
    });
  }

  async function call<T>(operation: string, input: object): Promise<T> {
    const response = await forward(
      "POST",
      "/",
      { "content-type": AMZ_JSON, "x-amz-target": TARGET_PREFIX + operation, ...lowerKeys(INTERNAL_AUTH_HEADERS) },
      Buffer.from(JSON.stringify(input)),
    );
    let parsed: Record<string, unknown> = {};
    try {
      parsed = response.body.length ? (JSON.parse(response.body.toString("utf8")) as Record<string, unknown>) : {};
    } catch {
      throw new KinesisError("InternalFailure", `kinesalite answered ${operation} with a body that is not JSON`, 500);
    }
    if (response.statusCode >= 300) {
      const type = typeof parsed.__type === "string" ? parsed.__type : "InternalFailure";
      const message = typeof parsed.message === "string" ? parsed.message : `${operation} failed`;
      throw new KinesisError(type, message, response.statusCode);
    }
    return parsed as T;
  }

  async function close(): Promise<void> {
    agent.destroy();
    await new Promise<void>((resolve, reject) => {
      // kinesalite's close() closes the LevelDB, then the HTTP server.
      server.close((err?: Error) => (err ? reject(err) : resolve()));
      server.closeAllConnections();
    });
  }

  return { endpoint: `http://127.0.0.1:${port}`, forward, call, close };
}

function lowerKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}
