/* global window, navigator, fetch, btoa, Request */
/**
 * The page of test/e2e/clients.test.ts, bundled with esbuild and run in headless Chromium from another origin than
 * the API: Segment's real browser SDK (@segment/analytics-next, what the analytics.js snippet loads), plus the raw
 * request shapes browsers send (navigator.sendBeacon, fetch with keepalive, a preflighted JSON request).
 *
 * window.fetch is observed (each call's URL and status, or its network error) and still does the real request: a
 * response the browser refuses (CORS) shows up as an error here, while the event may still have reached the API.
 */
import { AnalyticsBrowser } from "@segment/analytics-next";

const calls = [];
const realFetch = window.fetch.bind(window);
window.fetch = async (input, init) => {
  const url = input instanceof Request ? input.url : String(input);
  try {
    const response = await realFetch(input, init);
    calls.push({ url, method: (init && init.method) || "GET", status: response.status });
    return response;
  } catch (error) {
    calls.push({ url, method: (init && init.method) || "GET", error: String(error) });
    throw error;
  }
};

/**
 * Loads the SDK pointed at the API (no CDN: its settings are given inline) and sends identify, page and track.
 * `batching`: the SDK's batching delivery strategy (posts to /b with an Authorization header, so it is preflighted).
 */
window.eventlakeAnalytics = async ({ writeKey, apiHost, runId, batching }) => {
  const segmentio = { apiKey: writeKey, apiHost, protocol: "http" };
  if (batching) segmentio.deliveryStrategy = { strategy: "batching", config: { size: 3, timeout: 200 } };
  const [analytics] = await AnalyticsBrowser.load({ writeKey, cdnSettings: { integrations: { "Segment.io": segmentio } } });
  const sent = [];
  const remember = (ctx) => sent.push({ type: ctx.event.type, messageId: ctx.event.messageId });
  remember(await analytics.identify(`user-${runId}`, { plan: "pro", name: "Zoë 👋" }));
  remember(await analytics.page("Docs", `Home ${runId}`, { path: "/docs" }));
  // A store's purchase without order_id: curated on a fresh install (no schema enforced that the user did not write).
  remember(await analytics.track("Order Completed", { revenue: 12.5, currency: "EUR", run: runId }));
  return { sent, anonymousId: analytics.user().anonymousId() };
};

/** The request shapes a page sends by hand or when unloading. */
window.eventlakeRawRequests = async ({ endpoint, writeKey, runId }) => {
  const event = (type, extra) => JSON.stringify({ writeKey, type, anonymousId: `anon-${runId}`, timestamp: new Date().toISOString(), ...extra });
  // sendBeacon with a string: a text/plain;charset=UTF-8 POST, never preflighted, answer unreadable by design.
  const beaconQueued = navigator.sendBeacon(`${endpoint}/v1/t`, event("track", { event: "Beacon Sent", messageId: `beacon-${runId}` }));
  const keepalive = await fetch(`${endpoint}/v1/p`, {
    method: "POST",
    keepalive: true,
    headers: { "Content-Type": "text/plain" },
    body: event("page", { name: "Unload", messageId: `keepalive-${runId}` }),
  });
  // JSON with an Authorization header: preflighted (OPTIONS) before the POST.
  const preflighted = await fetch(`${endpoint}/v1/track`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Basic ${btoa(`${writeKey}:`)}` },
    body: JSON.stringify({ type: "track", event: "Preflighted", userId: `user-${runId}`, messageId: `preflighted-${runId}` }),
  });
  return { beaconQueued, keepalive: { status: keepalive.status, body: await keepalive.json() }, preflighted: { status: preflighted.status, body: await preflighted.json() } };
};

window.eventlakeFetchCalls = () => calls.slice();
