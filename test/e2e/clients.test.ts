/**
 * Real clients against the local pipeline, each event curated exactly once (README.md, "Clients"):
 * - Segment's browser SDK (@segment/analytics-next, what the analytics.js snippet loads), bundled with esbuild and
 *   run in headless Chromium on a page of another origin than the API: identify, page and track on the short routes
 *   (/v1/i, /v1/p, /v1/t, text/plain, writeKey in the body), then with its batching strategy (/v1/b, preflighted);
 *   plus navigator.sendBeacon, fetch with keepalive and a preflighted JSON request;
 * - a batch upload to /v1/b byte for byte as analytics-swift writes and sends it, and one as analytics-kotlin sends
 *   it (gzip, text/plain, chunked);
 * - @segment/analytics-node and RudderStack's Node SDK (/v1/batch, gzip).
 * Without Chromium the browser test is skipped (with the command that installs it), never passed.
 */
import { Analytics as SegmentNodeAnalytics } from "@segment/analytics-node";
import RudderAnalytics from "@rudderstack/rudder-sdk-node";
import { startLocalPipeline, type LocalPipeline } from "@eventlake/local";
import { queryLocalLake } from "@eventlake/local/cli/query";
import { curatorComponent } from "@eventlake/local/curator/curator";
import { build } from "esbuild";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { launch, type Browser } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM_INSTALL_COMMAND, findChromium } from "../helpers/chromium";
import { tempDir } from "../helpers/temp-dir";

const tmp = tempDir("e2e-clients");
const chromium = findChromium();
if (!chromium) console.warn(`SKIPPED: the browser client test needs Chromium; install it with: ${CHROMIUM_INSTALL_COMMAND}`);

let pipeline: LocalPipeline;
beforeAll(async () => {
  pipeline = await startLocalPipeline({ dataDir: tmp.dir, port: 0, apiThrottling: false }, [curatorComponent({ windowMs: 300 })]);
}, 60_000);
afterAll(async () => {
  await pipeline?.close();
  tmp.remove();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sqlList = (values: readonly string[]) => values.map((v) => `'${v.replaceAll("'", "''")}'`).join(", ");

/** Waits until the curated table holds every messageId (the curator runs every 300 ms), then returns their rows. */
async function curatedRows(where: string, expected: number, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await queryLocalLake(tmp.dir, `SELECT message_id, event_type, event_name, user_id, anonymous_id, properties, context FROM events WHERE ${where} ORDER BY message_id`);
    if (result.rows.length >= expected || Date.now() > deadline) return result.rows.map((r) => Object.fromEntries(result.columns.map((c, i) => [c, r[i]])));
    await sleep(300);
  }
}

/** The messageIds in curated rows, each with how many rows it has. */
function counts(rows: Record<string, unknown>[]) {
  const n = new Map<string, number>();
  for (const r of rows) n.set(String(r.message_id), (n.get(String(r.message_id)) ?? 0) + 1);
  return n;
}

describe("browser: @segment/analytics-next in headless Chromium, from another origin", () => {
  let browser: Browser | undefined;
  let page: Server | undefined;
  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => (page ? page.close(r) : r(undefined)));
  });

  it.skipIf(!chromium)("identify, page and track (single-event and batching strategies), sendBeacon and keepalive: each curated once", { timeout: 180_000 }, async () => {
    const bundle = await build({
      entryPoints: [join(import.meta.dirname, "..", "clients", "browser-page.js")],
      bundle: true,
      format: "iife",
      platform: "browser",
      target: "chrome120",
      write: false,
      logLevel: "silent",
      define: { "process.env.NODE_ENV": '"production"' },
    });
    const script = bundle.outputFiles[0]!.text;
    // The page's origin: localhost on its own port; the API is 127.0.0.1 on another (another origin, as a site is).
    page = createServer((req, res) => {
      if (req.url === "/page.js") {
        res.writeHead(200, { "content-type": "text/javascript" }).end(script);
        return;
      }
      res.writeHead(200, { "content-type": "text/html" }).end('<!doctype html><html><head><script src="/page.js"></script></head><body>shop</body></html>');
    });
    await new Promise<void>((r) => page!.listen(0, "127.0.0.1", () => r()));
    const pageUrl = `http://localhost:${(page.address() as AddressInfo).port}/`;

    browser = await launch({ executablePath: chromium!, headless: true, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
    const tab = await browser.newPage();
    const consoleErrors: string[] = [];
    tab.on("console", (m) => {
      if (m.type() === "error") consoleErrors.push(m.text());
    });
    await tab.goto(pageUrl, { waitUntil: "load" });

    const { endpoint, writeKey } = pipeline.info;
    const apiHost = `${new URL(endpoint).host}/v1`;
    const single = await tab.evaluate((o) => (globalThis as unknown as PageApi).eventlakeAnalytics(o), { writeKey, apiHost, runId: "single", batching: false });
    const raw = await tab.evaluate((o) => (globalThis as unknown as PageApi).eventlakeRawRequests(o), { endpoint, writeKey, runId: "raw" });
    const calls = await tab.evaluate(() => (globalThis as unknown as PageApi).eventlakeFetchCalls());
    // A second page load: the batching strategy (its own anonymous id and queue).
    await tab.goto(pageUrl, { waitUntil: "load" });
    const batched = await tab.evaluate((o) => (globalThis as unknown as PageApi).eventlakeAnalytics(o), { writeKey, apiHost, runId: "batched", batching: true });

    // The browser let the page read every answer: no CORS refusal, no retry queue left behind.
    expect(raw.keepalive).toEqual({ status: 200, body: { ok: true, accepted: 1, rejected: 0 } });
    expect(raw.preflighted).toEqual({ status: 200, body: { ok: true, accepted: 1, rejected: 0 } });
    expect(raw.beaconQueued).toBe(true);

    const sentIds = [...single.sent, ...batched.sent].map((s) => s.messageId);
    const ids = [...sentIds, "beacon-raw", "keepalive-raw", "preflighted-raw"];
    const rows = await curatedRows(`message_id IN (${sqlList(ids)})`, ids.length);
    expect(counts(rows)).toEqual(new Map(ids.map((id) => [id, 1])));
    const byId = new Map(rows.map((r) => [String(r.message_id), r]));
    for (const s of [...single.sent, ...batched.sent]) expect(byId.get(s.messageId)!.event_type).toBe(s.type);
    expect(byId.get(single.sent[2]!.messageId)).toMatchObject({ event_name: "order completed", user_id: "user-single", anonymous_id: single.anonymousId });
    expect(JSON.parse(String(byId.get(single.sent[2]!.messageId)!.context)).library.name).toBe("analytics.js");

    // What the SDK actually did on the wire: the short routes, every answer readable by the page (status 200).
    calls.push(...(await tab.evaluate(() => (globalThis as unknown as PageApi).eventlakeFetchCalls())));
    const sdkCalls = calls.filter((c) => c.url.startsWith(endpoint));
    expect(new Set(sdkCalls.map((c) => new URL(c.url).pathname))).toEqual(new Set(["/v1/i", "/v1/p", "/v1/t", "/v1/track", "/v1/b"]));
    expect(sdkCalls.filter((c) => c.status !== 200), JSON.stringify(sdkCalls)).toEqual([]);
    expect(consoleErrors.filter((e) => /CORS|Access-Control/i.test(e))).toEqual([]);
  });
});

describe("mobile: a batch upload to /v1/b as analytics-swift sends it", () => {
  it("curates every event of the batch once", async () => {
    const { endpoint, writeKey } = pipeline.info;
    const now = new Date().toISOString();
    const context = `{"app":{"build":"42","name":"Shop","namespace":"com.example.shop","version":"2.1"},"device":{"manufacturer":"Apple","model":"iPhone15,2","type":"ios"},"instanceId":"4B1A0C6E-2F0D-4E52-9C55-1F7C2D0C8A11","library":{"name":"analytics-ios","version":"1.6.0"},"locale":"de-DE","network":{"cellular":false,"wifi":true},"os":{"name":"iOS","version":"17.2"},"screen":{"height":844,"width":390},"timezone":"Europe\\/Berlin"}`;
    const event = (type: string, id: string, fields: string) =>
      `{"anonymousId":"9C2E5D1B-swift","context":${context},"integrations":{},"messageId":"${id}","timestamp":"${now}","type":"${type}",${fields},"_metadata":{"bundled":[],"bundledIds":[],"unbundled":[]}}`;
    // The batch file as analytics-swift's DirectoryStore writes it (an opening line, one event per line, the others
    // after a leading comma, a closing line with sentAt and the write key) and its HTTPClient uploads it unchanged.
    const body = [
      '{ "batch": [',
      event("screen", "swift-1", '"name":"Home","properties":{}'),
      `,${event("track", "swift-2", '"event":"Order Completed","properties":{"revenue":9.99,"currency":"EUR"}')}`,
      `,${event("identify", "swift-3", '"userId":"swift-user","traits":{"email":"a@example.com"}')}`,
      `],"sentAt":"${now}","writeKey":"${writeKey}"}`,
      "",
    ].join("\n");
    const response = await fetch(`${endpoint}/v1/b`, {
      method: "POST",
      headers: { "Content-Type": "application/json; charset=utf-8", "User-Agent": "analytics-ios/1.6.0", "Accept-Encoding": "gzip" },
      body,
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, accepted: 3, rejected: 0 });
    const rows = await curatedRows("message_id LIKE 'swift-%'", 3);
    expect(rows.map((r) => [r.message_id, r.event_type, r.event_name])).toEqual([
      ["swift-1", "screen", "home"],
      ["swift-2", "track", "order completed"],
      ["swift-3", "identify", null],
    ]);
    expect(JSON.parse(String(rows[0]!.context)).timezone).toBe("Europe/Berlin");
  });
});

describe("mobile: a batch upload to /v1/b as analytics-kotlin sends it", () => {
  it("takes a gzip text/plain body streamed in chunks, writeKey in the body", async () => {
    const { endpoint, writeKey } = pipeline.info;
    const now = new Date().toISOString();
    const event = (type: string, id: string, fields: Record<string, unknown>) => ({
      type,
      messageId: id,
      anonymousId: "kotlin-anon",
      timestamp: now,
      context: { library: { name: "analytics-kotlin", version: "1.19.1" }, os: { name: "Android", version: "14" } },
      integrations: {},
      ...fields,
    });
    const body = gzipSync(
      JSON.stringify({
        batch: [event("track", "kotlin-1", { event: "Order Completed", properties: { revenue: 2 } }), event("screen", "kotlin-2", { name: "Cart", properties: {} })],
        sentAt: now,
        writeKey,
      }),
    );
    // RequestFactory.upload: POST https://<apiHost>/b, Content-Type text/plain, Content-Encoding gzip, chunked
    // streaming (no Content-Length), User-Agent analytics-kotlin/<version>; the write key rides in the body.
    const chunks = [body.subarray(0, 10), body.subarray(10)];
    const response = await fetch(`${endpoint}/v1/b`, {
      method: "POST",
      headers: { "Content-Type": "text/plain", "Content-Encoding": "gzip", "User-Agent": "analytics-kotlin/1.19.1" },
      body: new ReadableStream({
        pull(controller) {
          const next = chunks.shift();
          if (next) controller.enqueue(next);
          else controller.close();
        },
      }),
      duplex: "half",
    } as RequestInit);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, accepted: 2, rejected: 0 });
    const rows = await curatedRows("message_id LIKE 'kotlin-%'", 2);
    expect(rows.map((r) => [r.message_id, r.event_type, r.event_name])).toEqual([
      ["kotlin-1", "track", "order completed"],
      ["kotlin-2", "screen", "cart"],
    ]);
  });
});

describe("server: @segment/analytics-node and RudderStack's Node SDK", () => {
  it("@segment/analytics-node: identify, track and page curated once", async () => {
    const { endpoint, writeKey } = pipeline.info;
    const analytics = new SegmentNodeAnalytics({ writeKey, host: endpoint, flushAt: 3, maxRetries: 2 });
    const errors: unknown[] = [];
    analytics.on("error", (e) => errors.push(e));
    analytics.identify({ userId: "segment-node-user", traits: { plan: "pro" } });
    analytics.track({ userId: "segment-node-user", event: "Order Completed", properties: { revenue: 3 } });
    analytics.page({ userId: "segment-node-user", name: "Pricing" });
    await analytics.closeAndFlush();
    expect(errors).toEqual([]);
    const rows = await curatedRows("user_id = 'segment-node-user'", 3);
    expect(rows.map((r) => r.event_type).sort()).toEqual(["identify", "page", "track"]);
    expect([...counts(rows).values()]).toEqual([1, 1, 1]);
  });

  it("RudderStack's Node SDK: identify, track and page curated once", async () => {
    const { endpoint, writeKey } = pipeline.info;
    const client = new RudderAnalytics(writeKey, { dataPlaneUrl: endpoint, flushAt: 3, flushInterval: 200, logLevel: "error" });
    client.identify({ userId: "rudder-user", traits: { plan: "pro" } });
    client.track({ userId: "rudder-user", event: "Order Completed", properties: { revenue: 4 } });
    client.page({ userId: "rudder-user", name: "Pricing" });
    await client.flush();
    const rows = await curatedRows("user_id = 'rudder-user'", 3);
    expect(rows.map((r) => r.event_type).sort()).toEqual(["identify", "page", "track"]);
    expect([...counts(rows).values()]).toEqual([1, 1, 1]);
  });
});

/** What test/clients/browser-page.js puts on the page's global object. */
interface PageApi {
    eventlakeAnalytics(o: { writeKey: string; apiHost: string; runId: string; batching: boolean }): Promise<{ sent: { type: string; messageId: string }[]; anonymousId: string }>;
    eventlakeRawRequests(o: { endpoint: string; writeKey: string; runId: string }): Promise<{
      beaconQueued: boolean;
      keepalive: { status: number; body: unknown };
      preflighted: { status: number; body: unknown };
    }>;
    eventlakeFetchCalls(): { url: string; method: string; status?: number; error?: string }[];
}
