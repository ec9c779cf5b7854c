/**
 * The local Kinesis stand-in: kinesalite (in this process, LevelDB under <dataDir>/leveldb) behind a
 * small HTTP front that adds what kinesalite lacks:
 *  - per-shard write limits (1 MiB/s, 1,000 records/s; shard-throughput.ts) on PutRecords and
 *    PutRecord, with AWS's partial-failure answers;
 *  - UpdateShardCount and DescribeLimits (control-plane.ts);
 *  - GetRecords iterators that hold their position while a shard is empty (iterators.ts);
 *  - fault injection for tests (faults.ts);
 *  - write counters, persisted for other processes (stats.ts).
 * Every other call, and every request that is not AWS JSON 1.1 (e.g. CBOR), goes to kinesalite unchanged.
 */
import http from "node:http";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { startBackend, type Backend, type RawResponse } from "./backend";
import { ScalingLog, describeLimits, streamSummaries, updateShardCount, type ControlPlaneContext } from "./control-plane";
import { injectedDelay, type FaultInjector } from "./faults";
import { holdPositionWhenEmpty } from "./iterators";
import { putRecord, putRecords, type PutContext, type Reply } from "./put-records";
import { StreamRegistry } from "./shard-maps";
import { StatsRecorder, type KinesisStats } from "./stats";
import { KinesisError, isJson11, messages, operationOf, sendError, sendJson, statusCodeFor } from "./wire";

export interface LocalKinesisOptions {
  /**
   * Kinesis's own directory (e.g. `.eventlake/kinesis`): `leveldb/` (kinesalite's streams and records),
   * `stats.json` (counters, see readKinesisStats) and `scaling.json` (UpdateShardCount calls of the last 24 h).
   */
  dataDir: string;
  /** Address to listen on; default 127.0.0.1. */
  host?: string;
  /** Port to listen on; default 0 (any free port; read it from the result). */
  port?: number;
  /** Enforce the per-shard write limits; default true. */
  limits?: boolean;
  faults?: FaultInjector;
  /** The account's shard limit (DescribeLimits, CreateStream, resharding); default 20,000
   * (https://docs.aws.amazon.com/streams/latest/dev/service-sizes-and-limits.html). */
  shardLimit?: number;
  /** Clock in ms for the write limiter and the 24 h scaling window; default Date.now. For tests. */
  clock?: () => number;
}

export interface LocalKinesis {
  /** e.g. http://127.0.0.1:45123: give it to the SDK as `endpoint` (see adapters' clientConfig). */
  readonly endpoint: string;
  readonly port: number;
  /** kinesalite itself, without limits, faults or counters (benchmarks, debugging). */
  readonly backendEndpoint: string;
  /** Current counters (what is also persisted to <dataDir>/stats.json). */
  stats(): KinesisStats;
  /** Finishes in-flight calls and pending stream transitions, writes the counters, closes kinesalite. */
  close(): Promise<void>;
}

/** Largest request body the front reads: a 10 MiB PutRecords in base64 JSON, with room to spare. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;
const DEFAULT_SHARD_LIMIT = 20_000;

class PayloadTooLarge extends Error {}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.removeAllListeners("data");
        req.resume();
        reject(new PayloadTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function sendRaw(res: http.ServerResponse, response: RawResponse): void {
  const headers: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(response.headers)) {
    const lower = name.toLowerCase();
    if (value !== undefined && lower !== "connection" && lower !== "keep-alive" && lower !== "transfer-encoding") {
      headers[name] = value;
    }
  }
  headers["content-length"] = response.body.length;
  res.writeHead(response.statusCode, headers);
  res.end(response.body);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function startLocalKinesis(options: LocalKinesisOptions): Promise<LocalKinesis> {
  const host = options.host ?? "127.0.0.1";
  const shardLimit = options.shardLimit ?? DEFAULT_SHARD_LIMIT;
  const clock = options.clock ?? Date.now;
  const faults = options.faults;
  const backend: Backend = await startBackend({ location: join(options.dataDir, "leveldb"), shardLimit });

  const registry = new StreamRegistry(backend);
  const scalingLog = new ScalingLog(options.dataDir);
  await scalingLog.load();
  const resharding = new Set<string>();
  const control: ControlPlaneContext = { backend, registry, scalingLog, shardLimit, clock, resharding };

  const server = http.createServer();
  let closing = false;
  const inflight = new Set<Promise<void>>();

  const stats = new StatsRecorder(options.dataDir);
  await stats.load();
  const put: PutContext = { backend, registry, stats, faults, limits: options.limits ?? true, clock };

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch (err) {
      if (err instanceof PayloadTooLarge) {
        res.writeHead(413, { "Content-Length": 0, Connection: "close" });
        res.end();
        return;
      }
      throw err;
    }
    if (closing) throw new KinesisError("ServiceUnavailable", "The local Kinesis is shutting down", 503);
    const operation = operationOf(req.headers["x-amz-target"]);
    const method = req.method ?? "POST";
    const url = req.url ?? "/";
    const forwardRaw = (replacement?: Buffer) => backend.forward(method, url, req.headers, replacement ?? body);

    let input: Record<string, unknown> | undefined;
    if (operation && isJson11(req.headers["content-type"])) {
      try {
        const parsed: unknown = JSON.parse(body.toString("utf8"));
        if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) input = parsed as Record<string, unknown>;
      } catch {
        // kinesalite answers SerializationException
      }
    }
    const streamName = typeof input?.StreamName === "string" ? input.StreamName : undefined;

    if (operation) {
      const wait = injectedDelay(faults, operation);
      if (wait) await delay(wait);
      const fault = faults?.wholeCall?.(operation, streamName);
      if (fault) {
        const f = typeof fault === "string" ? { name: fault } : fault;
        const message = f.message ?? (f.name === "InternalFailure" ? messages.internalFailure : `${f.name} (injected)`);
        throw new KinesisError(f.name, message, f.statusCode ?? statusCodeFor(f.name));
      }
    }
    if (!operation || !input) return sendRaw(res, await forwardRaw());

    let reply: Reply;
    switch (operation) {
      case "PutRecords":
        reply = await putRecords(put, input, forwardRaw);
        break;
      case "PutRecord":
        reply = await putRecord(put, input, () => forwardRaw());
        break;
      case "GetRecords":
        reply = { raw: holdPositionWhenEmpty(await forwardRaw(), input.ShardIterator) };
        break;
      case "UpdateShardCount":
        reply = { json: await updateShardCount(control, input) };
        break;
      case "DescribeLimits":
        reply = { json: await describeLimits(control) };
        break;
      case "SplitShard":
      case "MergeShards": {
        if (streamName && resharding.has(streamName)) {
          const info = await registry.get(streamName);
          throw new KinesisError("ResourceInUseException", messages.streamNotActive(streamName, info?.accountId ?? "", "UPDATING"));
        }
        reply = { raw: await forwardRaw() };
        if (streamName) registry.invalidate(streamName);
        break;
      }
      case "CreateStream":
        reply = { raw: await forwardRaw() };
        if (streamName) registry.invalidate(streamName);
        break;
      case "DeleteStream": {
        const response = await forwardRaw();
        if (response.statusCode === 200 && streamName) {
          await waitUntilGone(backend, streamName);
          registry.drop(streamName);
          stats.dropStream(streamName);
          await scalingLog.drop(streamName);
        }
        reply = { raw: response };
        break;
      }
      case "DescribeStream":
      case "DescribeStreamSummary": {
        const response = await forwardRaw();
        reply = { raw: streamName && resharding.has(streamName) ? showUpdating(response) : response };
        break;
      }
      default:
        reply = { raw: await forwardRaw() };
    }
    if ("raw" in reply) sendRaw(res, reply.raw);
    else sendJson(res, 200, reply.json);
  }

  server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
    const task = handle(req, res)
      .catch((err: unknown) => {
        if (res.headersSent) return;
        if (err instanceof KinesisError) sendError(res, err);
        else {
          console.error("eventlake: local Kinesis front failed a request:", err);
          sendError(res, new KinesisError("InternalFailure", messages.internalFailure, 500));
        }
      })
      .finally(() => inflight.delete(task));
    inflight.add(task);
  });

  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? 0, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (err) {
    await backend.close();
    throw err;
  }
  const { port } = server.address() as AddressInfo;
  const urlHost = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
  const endpoint = `http://${urlHost}:${port}`;
  stats.endpoint = endpoint;

  let closed: Promise<void> | undefined;
  async function close(): Promise<void> {
    closing = true;
    const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    while (inflight.size) await Promise.allSettled([...inflight]);
    // kinesalite finishes stream transitions on timers after answering; closing its LevelDB under them (notably
    // right after DeleteStream) has crashed the process, so wait until every stream is settled.
    await settle(backend);
    await stats.flush(false);
    await backend.close();
    server.closeAllConnections();
    await serverClosed;
  }

  return {
    endpoint,
    port,
    backendEndpoint: backend.endpoint,
    stats: () => ({
      version: 1,
      endpoint,
      pid: process.pid,
      running: !closing,
      updatedAt: new Date().toISOString(),
      streams: stats.snapshot(),
    }),
    close: () => (closed ??= close()),
  };
}

/** DeleteStream answers before kinesalite removes the stream; wait until it is gone. */
async function waitUntilGone(backend: Backend, streamName: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await backend.call("DescribeStreamSummary", { StreamName: streamName });
    } catch (err) {
      if (err instanceof KinesisError && err.type === "ResourceNotFoundException") return;
      throw err;
    }
    if (Date.now() > deadline) return;
    await delay(2);
  }
}

/** Waits (bounded) until no stream is CREATING, UPDATING or DELETING, then lets kinesalite's last writes land. */
async function settle(backend: Backend, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let busy = false;
    try {
      busy = (await streamSummaries(backend)).some((s) => s.status !== "ACTIVE");
    } catch {
      busy = false;
    }
    if (!busy || Date.now() > deadline) break;
    await delay(5);
  }
  await delay(20);
}

/** While UpdateShardCount runs, DescribeStream(Summary) shows the stream UPDATING, as AWS does. */
function showUpdating(response: RawResponse): RawResponse {
  if (response.statusCode !== 200) return response;
  try {
    const parsed = JSON.parse(response.body.toString("utf8")) as Record<string, Record<string, unknown> | undefined>;
    const d = parsed.StreamDescription ?? parsed.StreamDescriptionSummary;
    if (!d) return response;
    d.StreamStatus = "UPDATING";
    return { ...response, body: Buffer.from(JSON.stringify(parsed)) };
  } catch {
    return response;
  }
}
