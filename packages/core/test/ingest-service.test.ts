import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { authenticate, hashWriteKey, parseWriteKeySecret, writeKeyFromAuthorization } from "../src/ingest/auth";
import { decodeBody } from "../src/ingest/body";
import { DEFAULT_INGEST_CONFIG, ingestConfigFromEnv, ingestLimitVariable } from "../src/ingest/config";
import { RequestRejected } from "../src/ingest/reasons";
import { parseRequestBody } from "../src/ingest/request";
import { createSchemaRegistry } from "../src/ingest/schema-registry";
import { handleIngestRequest, resolveRoute, type IngestDeps, type IngestHttpRequest } from "../src/ingest/service";
import type { RecordOutcome, StreamRecordInput, StreamWriter, WriteReport } from "../src/ports";

const KEY = "wk_test_secret";
const keys = parseWriteKeySecret(JSON.stringify({ web: hashWriteKey(KEY).toString("hex"), ios: hashWriteKey("other").toString("hex") }));
const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString("base64")}`;

/** A stream writer that records what it was given and answers with scripted outcomes (a port double, not AWS). */
class RecordingWriter implements StreamWriter {
  written: StreamRecordInput[] = [];
  constructor(private readonly outcome: (i: number) => RecordOutcome = () => "written") {}
  async write(records: readonly StreamRecordInput[]): Promise<WriteReport> {
    this.written.push(...records);
    return { outcomes: records.map((_, i) => this.outcome(i)), putRecordsCalls: 1, retriedEntries: 0, throttledEntries: 0 };
  }
}

function deps(writer: StreamWriter = new RecordingWriter()): IngestDeps {
  let n = 0;
  return { config: DEFAULT_INGEST_CONFIG, schemas: createSchemaRegistry([]), writeKeys: keys, writer, newMessageId: () => `gen-${++n}` };
}

function request(path: string, body: unknown, headers: Record<string, string> = {}, method = "POST"): IngestHttpRequest {
  return {
    method,
    path,
    headers: { "content-type": "application/json", authorization: basic(KEY), ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
    isBase64Encoded: false,
    receivedAtMs: Date.UTC(2026, 10, 26, 12),
  };
}

const decoded = (records: StreamRecordInput[]) => records.map((r) => JSON.parse(Buffer.from(r.data).toString("utf8")) as Record<string, unknown>);

describe("auth", () => {
  it("reads Basic (key as user, empty password) and Bearer", () => {
    expect(writeKeyFromAuthorization(basic("abc"))).toBe("abc");
    expect(writeKeyFromAuthorization("Bearer abc")).toBe("abc");
    expect(writeKeyFromAuthorization("Digest x")).toBeUndefined();
    expect(writeKeyFromAuthorization(undefined)).toBeUndefined();
  });
  it("maps a key to its source and refuses others", () => {
    expect(authenticate(KEY, keys)).toBe("web");
    expect(authenticate("other", keys)).toBe("ios");
    expect(authenticate("wrong", keys)).toBeUndefined();
    expect(authenticate("", keys)).toBeUndefined();
  });
  it("rejects a malformed secret with a clear message", () => {
    expect(() => parseWriteKeySecret('{"web":"not-hex"}')).toThrow(/SHA-256/);
    expect(() => parseWriteKeySecret("nope")).toThrow(/JSON/);
  });
});

describe("decodeBody", () => {
  const cfg = { maxBodyBytes: 1000, maxDecompressedBodyBytes: 5000 };
  it("gunzips within the cap", () => {
    expect(decodeBody(gzipSync("hello").toString("base64"), true, "gzip", cfg)).toBe("hello");
  });
  it("stops a gzip bomb at the cap", () => {
    const bomb = gzipSync(Buffer.alloc(10_000_000, 0x20));
    expect(bomb.length).toBeLessThan(1000 * 12);
    const small = { maxBodyBytes: 100_000, maxDecompressedBodyBytes: 5000 };
    expect(() => decodeBody(bomb.toString("base64"), true, "gzip", small)).toThrow(expect.objectContaining({ code: "decompressed_body_too_large", status: 413 }));
  });
  it("rejects oversized bodies before decoding, corrupt gzip, unknown encodings and invalid UTF-8", () => {
    expect(() => decodeBody("x".repeat(1001), false, undefined, cfg)).toThrow(expect.objectContaining({ code: "body_too_large" }));
    expect(() => decodeBody(Buffer.from("not gzip").toString("base64"), true, "gzip", cfg)).toThrow(expect.objectContaining({ code: "invalid_gzip" }));
    expect(() => decodeBody("x", false, "br", cfg)).toThrow(expect.objectContaining({ code: "unsupported_content_encoding", status: 415 }));
    expect(() => decodeBody(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]).toString("base64"), true, undefined, cfg)).toThrow(expect.objectContaining({ code: "invalid_utf8" }));
  });
});

describe("config", () => {
  it("reads overrides from the environment and rejects nonsense", () => {
    expect(ingestConfigFromEnv({ [ingestLimitVariable("maxBatchEvents")]: "10" }).maxBatchEvents).toBe(10);
    expect(() => ingestConfigFromEnv({ [ingestLimitVariable("maxEventBytes")]: "lots" })).toThrow(ingestLimitVariable("maxEventBytes"));
    // Time bounds may be stricter than the curation contract's, never looser (accepted must mean curated).
    expect(ingestConfigFromEnv({ [ingestLimitVariable("maxFutureSkewMs")]: "60000" }).maxFutureSkewMs).toBe(60_000);
    expect(() => ingestConfigFromEnv({ [ingestLimitVariable("maxFutureSkewMs")]: String(2 * 86_400_000) })).toThrow(/curation contract/);
    expect(() => ingestConfigFromEnv({ [ingestLimitVariable("timestampFloorMs")]: "0" })).toThrow(/curation contract/);
  });
});

describe("parseRequestBody", () => {
  it("reads NDJSON one event per line, keeping malformed lines as their own items", () => {
    const parsed = parseRequestBody("events", '{"a":1}\n\nnot json\r\n{"b":2}', "application/x-ndjson", DEFAULT_INGEST_CONFIG);
    expect(parsed.items).toEqual([{ value: { a: 1 } }, { malformedText: "not json" }, { value: { b: 2 } }]);
  });
  it("enforces the batch size and refuses empty batches", () => {
    const cfg = { ...DEFAULT_INGEST_CONFIG, maxBatchEvents: 2 };
    expect(() => parseRequestBody("batch", JSON.stringify({ batch: [{}, {}, {}] }), "application/json", cfg)).toThrow(expect.objectContaining({ code: "too_many_events" }));
    expect(() => parseRequestBody("batch", '{"batch":[]}', "application/json", cfg)).toThrow(expect.objectContaining({ code: "empty_batch" }));
    expect(() => parseRequestBody("events", "\n\n", "application/x-ndjson", cfg)).toThrow(expect.objectContaining({ code: "empty_batch" }));
  });
  it("refuses bodies of the wrong shape", () => {
    for (const body of ["[1]", '"x"', "{", "", '{"batch":{}}']) {
      expect(() => parseRequestBody("batch", body, "application/json", DEFAULT_INGEST_CONFIG)).toThrow(RequestRejected);
    }
  });
});

describe("resolveRoute", () => {
  it("knows every endpoint, method and unknown path", () => {
    for (const r of ["track", "identify", "page", "screen", "group", "alias", "batch", "events"]) expect(resolveRoute("POST", `/v1/${r}`)).toBe(r);
    expect(resolveRoute("GET", "/health")).toBe("health");
    expect(resolveRoute("GET", "/v1/track")).toBe("method_not_allowed");
    expect(resolveRoute("POST", "/v2/track")).toBe("not_found");
    expect(resolveRoute("POST", "/v1/purchase")).toBe("not_found");
  });

  it("maps Segment's client short routes to their long forms", () => {
    const short = { t: "track", i: "identify", p: "page", s: "screen", g: "group", a: "alias", b: "batch" };
    for (const [letter, route] of Object.entries(short)) expect(resolveRoute("POST", `/v1/${letter}`)).toBe(route);
    expect(resolveRoute("GET", "/v1/t")).toBe("method_not_allowed");
    expect(resolveRoute("POST", "/v1/e")).toBe("not_found");
    expect(resolveRoute("POST", "/v1/x")).toBe("not_found");
  });
});

describe("short routes, as browsers send them", () => {
  const deadline = Date.now() + 10_000;
  const browserRequest = (path: string, body: unknown): IngestHttpRequest => ({
    method: "POST",
    path,
    // analytics.js: text/plain (a CORS-simple request), the write key in the body, no Authorization header.
    headers: { "content-type": "text/plain" },
    body: JSON.stringify(body),
    isBase64Encoded: false,
    receivedAtMs: Date.UTC(2026, 10, 26, 12),
  });

  it("takes a text/plain single event with writeKey in the body, typed by the route, and names the route in bad rows", async () => {
    const writer = new RecordingWriter();
    const ok = await handleIngestRequest(browserRequest("/v1/t", { writeKey: KEY, type: "track", event: "Clicked", anonymousId: "a1", messageId: "m-t" }), deps(writer), deadline);
    expect(ok.response.statusCode).toBe(200);
    const event = JSON.parse(Buffer.from(writer.written[0]!.data).toString()) as Record<string, unknown>;
    expect(event).toMatchObject({ kind: "event", type: "track", event: "Clicked", anonymousId: "a1", sourceId: "web" });
    expect(JSON.stringify(event)).not.toContain(KEY);
    const bad = await handleIngestRequest(browserRequest("/v1/i", { writeKey: KEY, type: "identify", traits: {} }), deps(writer), deadline);
    expect(bad.response.statusCode).toBe(207);
    const badRow = JSON.parse(Buffer.from(writer.written[1]!.data).toString()) as Record<string, unknown>;
    expect(badRow).toMatchObject({ kind: "bad_row", reason: "missing_identity", endpoint: "/v1/i" });
    expect(String(badRow.payload)).not.toContain(KEY);
  });

  it("answers a malformed body on a short route with the long form's typed error", async () => {
    for (const [short, long] of [["/v1/t", "/v1/track"], ["/v1/b", "/v1/batch"]] as const) {
      for (const body of ["{nope", '"x"', ""]) {
        const a = await handleIngestRequest({ ...request(short, body) }, deps(), deadline);
        const b = await handleIngestRequest({ ...request(long, body) }, deps(), deadline);
        expect(a.response.statusCode).toBe(400);
        expect(a.response.body).toBe(b.response.body);
      }
    }
  });
});

describe("handleIngestRequest", () => {
  const deadline = Date.now() + 10_000;

  it("accepts a Segment batch: 200, one canonical record per event, partitioned by user", async () => {
    const writer = new RecordingWriter();
    const { response } = await handleIngestRequest(
      request("/v1/batch", {
        batch: [
          { type: "track", event: "A", userId: "u1", messageId: "m1" },
          { type: "page", anonymousId: "a1", name: "Home" },
        ],
        context: { library: { name: "analytics-node" } },
      }),
      deps(writer),
      deadline,
    );
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ ok: true, accepted: 2, rejected: 0 });
    expect(writer.written.map((r) => r.partitionKey)).toEqual(["u1", "a1"]);
    const [first, second] = decoded(writer.written);
    expect(first).toMatchObject({ kind: "event", messageId: "m1", sourceId: "web", context: { library: { name: "analytics-node" } } });
    expect(second).toMatchObject({ kind: "event", type: "page", name: "Home" });
  });

  it("answers 207 with index, messageId and reason, and writes the bad row with the original payload", async () => {
    const writer = new RecordingWriter();
    const { response, outcome } = await handleIngestRequest(
      request("/v1/batch", {
        batch: [
          { type: "track", event: "A", userId: "u1", messageId: "m1" },
          { type: "track", userId: "u2", messageId: "m2", writeKey: KEY },
          { type: "track", event: "B", userId: "u3", messageId: "m1" },
        ],
      }),
      deps(writer),
      deadline,
    );
    expect(response.statusCode).toBe(207);
    const body = JSON.parse(response.body);
    expect(body.accepted).toBe(1);
    expect(body.errors).toEqual([
      { index: 1, messageId: "m2", reason: "missing_field", message: expect.any(String) },
      { index: 2, messageId: "m1", reason: "duplicate_message_id", message: expect.any(String) },
    ]);
    expect(outcome.rejectedByReason).toEqual({ missing_field: 1, duplicate_message_id: 1 });
    const rows = decoded(writer.written);
    expect(rows.map((r) => r.kind)).toEqual(["event", "bad_row", "bad_row"]);
    expect(rows[1]).toMatchObject({ reason: "missing_field", index: 1, sourceId: "web", endpoint: "/v1/batch", payloadTruncated: false });
    // The payload is the event as sent, minus any write key.
    expect(JSON.parse(rows[1]!.payload as string)).toEqual({ type: "track", userId: "u2", messageId: "m2" });
    expect(JSON.stringify(rows)).not.toContain(KEY);
  });

  it("accepts the write key in the body (Segment style) and refuses wrong or missing keys with 401, writing nothing", async () => {
    const writer = new RecordingWriter();
    const noHeader = { authorization: "" };
    const ok = await handleIngestRequest(request("/v1/track", { userId: "u", event: "x", writeKey: KEY }, noHeader), deps(writer), deadline);
    expect(ok.response.statusCode).toBe(200);
    const none = await handleIngestRequest(request("/v1/track", { userId: "u", event: "x" }, noHeader), deps(writer), deadline);
    const wrong = await handleIngestRequest(request("/v1/track", { userId: "u", event: "x" }, { authorization: basic("nope") }), deps(writer), deadline);
    const wrongBody = await handleIngestRequest(request("/v1/track", { userId: "u", event: "x", writeKey: "nope" }, noHeader), deps(writer), deadline);
    for (const r of [none, wrong, wrongBody]) {
      expect(r.response.statusCode).toBe(401);
      expect(r.response.headers["www-authenticate"]).toBeDefined();
    }
    expect(writer.written).toHaveLength(1);
  });

  it("answers 503 with Retry-After when records were spilled or failed", async () => {
    const writer = new RecordingWriter((i) => (i === 0 ? "written" : "spilled"));
    const { response } = await handleIngestRequest(
      request("/v1/batch", { batch: [{ type: "track", event: "A", userId: "u1" }, { type: "track", event: "B", userId: "u2" }] }),
      deps(writer),
      deadline,
    );
    expect(response.statusCode).toBe(503);
    expect(response.headers["retry-after"]).toBe("1");
    expect(JSON.parse(response.body)).toMatchObject({ error: "stream_unavailable", written: 1, spilled: 1, failed: 0 });
  });

  it("answers request-level errors with their status and writes nothing", async () => {
    const writer = new RecordingWriter();
    const cases: [IngestHttpRequest, number, string][] = [
      [request("/v1/batch", "{not json"), 400, "malformed_body"],
      [request("/v1/batch", { batch: [] }), 400, "empty_batch"],
      [request("/v1/nope", {}), 404, "not_found"],
      [request("/v1/track", {}, {}, "GET"), 405, "method_not_allowed"],
      [request("/v1/batch", "x".repeat(600 * 1024)), 413, "body_too_large"],
      [request("/v1/batch", '{"batch":[{}],"context":{"__proto__":{"x":1}}}'), 400, "forbidden_key"],
    ];
    for (const [req, status, code] of cases) {
      const { response } = await handleIngestRequest(req, deps(writer), deadline);
      expect(response.statusCode, code).toBe(status);
      expect(JSON.parse(response.body).error).toBe(code);
    }
    expect(writer.written).toHaveLength(0);
  });

  it("serves /health without auth", async () => {
    const { response } = await handleIngestRequest({ ...request("/health", ""), method: "GET", headers: {} }, deps(), deadline);
    expect(response.statusCode).toBe(200);
  });

  it("rejects an oversized event per event while accepting its neighbours", async () => {
    const writer = new RecordingWriter();
    const big = { type: "track", event: "big", userId: "u", properties: { blob: "x".repeat(40 * 1024) } };
    const { response } = await handleIngestRequest(
      request("/v1/batch", { batch: [big, { type: "track", event: "small", userId: "u" }] }),
      deps(writer),
      deadline,
    );
    expect(response.statusCode).toBe(207);
    expect(JSON.parse(response.body).errors[0].reason).toBe("event_too_large");
    expect(decoded(writer.written).map((r) => r.kind)).toEqual(["bad_row", "event"]);
  });
});
