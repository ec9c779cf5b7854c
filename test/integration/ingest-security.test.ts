/**
 * Security and robustness of the ingest path (ARCHITECTURE.md, "Guarantees"): the key comparison is constant-time by construction,
 * random bodies and headers never crash the service or produce an answer outside the documented set, and a full
 * local run leaves no event payloads and no keys in the functions' logs.
 */
import { authenticate, hashWriteKey, parseWriteKeySecret } from "@eventlake/core/ingest/auth";
import { DEFAULT_INGEST_CONFIG } from "@eventlake/core/ingest/config";
import { createSchemaRegistry } from "@eventlake/core/ingest/schema-registry";
import { handleIngestRequest, type IngestDeps } from "@eventlake/core/ingest/service";
import type { StreamRecordInput, StreamWriter, WriteReport } from "@eventlake/core/ports";
import { startLocalPipeline } from "@eventlake/local";
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir";

const KEY = "wk_fuzz_key";
const keys = parseWriteKeySecret(JSON.stringify({ a: hashWriteKey("other-1").toString("hex"), web: hashWriteKey(KEY).toString("hex"), c: hashWriteKey("other-2").toString("hex") }));

describe("write-key comparison", () => {
  it("hashes first and compares against every stored key, whichever matches", () => {
    for (const [presented, expected] of [[KEY, "web"], ["other-1", "a"], ["other-2", "c"], ["nope", undefined]] as const) {
      const calls: [number, number][] = [];
      const counting = (x: Buffer, y: Buffer) => {
        calls.push([x.length, y.length]);
        return x.equals(y);
      };
      expect(authenticate(presented, keys, counting)).toBe(expected);
      // Always all keys, always fixed-length digests: the time taken does not depend on which key matched or how much of it.
      expect(calls).toEqual([[32, 32], [32, 32], [32, 32]]);
    }
  });
});

class CollectingWriter implements StreamWriter {
  records: StreamRecordInput[] = [];
  async write(records: readonly StreamRecordInput[]): Promise<WriteReport> {
    this.records.push(...records);
    return { outcomes: records.map(() => "written"), putRecordsCalls: 1, retriedEntries: 0, throttledEntries: 0 };
  }
}

describe("fuzzing the ingest service", () => {
  const paths = ["/v1/track", "/v1/identify", "/v1/page", "/v1/screen", "/v1/group", "/v1/alias", "/v1/batch", "/v1/events", "/health", "/v1/x", "/"];
  const jsonish = fc.oneof(
    fc.string(),
    fc.json(),
    fc.jsonValue().map((v) => JSON.stringify(v)),
    fc.array(fc.jsonValue(), { maxLength: 5 }).map((batch) => JSON.stringify({ batch })),
    fc.array(fc.dictionary(fc.constantFrom("type", "event", "userId", "anonymousId", "messageId", "timestamp", "properties", "__proto__", "context"), fc.jsonValue()), { maxLength: 5 }).map((batch) => JSON.stringify({ batch, events: batch })),
    fc.array(fc.jsonValue(), { maxLength: 5 }).map((lines) => lines.map((l) => JSON.stringify(l)).join("\n")),
  );
  const request = fc.record({
    method: fc.constantFrom("POST", "GET", "PUT", "DELETE", "HEAD", "OPTIONS"),
    path: fc.constantFrom(...paths),
    contentType: fc.constantFrom(undefined, "application/json", "application/x-ndjson", "text/plain", "application/json; charset=utf-8", "\u0000"),
    encoding: fc.constantFrom(undefined, "gzip", "identity", "br", "GZIP", ""),
    gzipIt: fc.boolean(),
    base64: fc.boolean(),
    auth: fc.constantFrom("basic", "bearer", "body", "none", "garbage"),
    body: jsonish,
  });

  it("always answers within the documented set, never throws, and writes only well-formed records", async () => {
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const writer = new CollectingWriter();
        const deps: IngestDeps = { config: DEFAULT_INGEST_CONFIG, schemas: createSchemaRegistry([]), writeKeys: keys, writer, newMessageId: () => "generated" };
        let body = r.body;
        if (r.auth === "body") {
          try {
            const parsed = JSON.parse(body);
            if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) body = JSON.stringify({ ...parsed, writeKey: KEY });
          } catch {
            /* keep the body as it is */
          }
        }
        const bytes = r.gzipIt ? gzipSync(body) : Buffer.from(body);
        const headers: Record<string, string | undefined> = {
          "content-type": r.contentType,
          "content-encoding": r.gzipIt ? "gzip" : r.encoding,
          authorization: r.auth === "basic" ? `Basic ${Buffer.from(`${KEY}:`).toString("base64")}` : r.auth === "bearer" ? `Bearer ${KEY}` : r.auth === "garbage" ? "Basic ###" : undefined,
        };
        const { response, outcome } = await handleIngestRequest(
          { method: r.method, path: r.path, headers, body: r.base64 || r.gzipIt ? bytes.toString("base64") : body, isBase64Encoded: r.base64 || r.gzipIt, receivedAtMs: Date.now() },
          deps,
          Date.now() + 5_000,
        );
        expect([200, 207, 400, 401, 404, 405, 413, 415]).toContain(response.statusCode);
        const json = JSON.parse(response.body) as Record<string, unknown>;
        if (response.statusCode >= 400) {
          expect(typeof json.error).toBe("string");
          expect(writer.records).toHaveLength(0);
        }
        if (outcome.route !== "health" && (response.statusCode === 200 || response.statusCode === 207)) {
          expect((json.accepted as number) + ((json.rejected as number) ?? 0)).toBe(outcome.events);
          expect(writer.records).toHaveLength(outcome.events);
          for (const record of writer.records) {
            const parsed = JSON.parse(Buffer.from(record.data).toString("utf8")) as { kind: string };
            expect(["event", "bad_row"]).toContain(parsed.kind);
            expect(record.partitionKey.length).toBeGreaterThan(0);
            expect(record.partitionKey.length).toBeLessThanOrEqual(256);
            expect(Buffer.from(record.data).toString("utf8")).not.toContain(KEY);
          }
        }
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      }),
      { numRuns: 400 },
    );
  });
});

describe("logs", () => {
  it("a full local run leaves no payloads and no keys in the functions' logs", async () => {
    const tmp = tempDir("logs");
    const pipeline = await startLocalPipeline({ dataDir: tmp.dir, port: 0, apiThrottling: false });
    try {
      const marker = "SECRET-PAYLOAD-7f3a";
      const auth = { authorization: `Basic ${Buffer.from(`${pipeline.info.writeKey}:`).toString("base64")}`, "content-type": "application/json" };
      const batch = [
        { type: "track", event: `Evt ${marker}`, userId: `user-${marker}`, properties: { card: marker } },
        { type: "track", userId: `user-${marker}`, properties: { card: marker } }, // rejected: missing event
      ];
      expect((await fetch(`${pipeline.info.endpoint}/v1/batch`, { method: "POST", headers: auth, body: JSON.stringify({ batch }) })).status).toBe(207);
      await fetch(`${pipeline.info.endpoint}/v1/batch`, { method: "POST", headers: auth, body: `{"batch": [${marker}` });
      await fetch(`${pipeline.info.endpoint}/v1/track`, { method: "POST", headers: { authorization: `Bearer wrong-${marker}` }, body: "{}" });
      await fetch(`${pipeline.info.endpoint}/v1/track`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ writeKey: `body-${marker}`, userId: "u", event: "e" }) });
      await new Promise((r) => setTimeout(r, 300));
      const log = readFileSync(`${tmp.dir}/logs/functions.log`, "utf8");
      expect(log).toContain('"message":"ingest request"'); // the requests were logged...
      expect(log).not.toContain(marker); // ...without payloads or presented keys
      expect(log).not.toContain(pipeline.info.writeKey);
    } finally {
      await pipeline.close();
      tmp.remove();
    }
  });
});
