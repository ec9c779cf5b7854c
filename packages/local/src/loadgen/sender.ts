import { gzipSync } from "node:zlib";
import { ClickstreamGenerator, type InvalidKind } from "./clickstream";

export interface SendOptions {
  endpoint: string;
  writeKey: string;
  events: number;
  /** Events per second; 0 sends as fast as the pipeline answers. */
  rate: number;
  batchSize: number;
  concurrency: number;
  invalidRatio: number;
  users: number;
  seed: number;
  gzip: boolean;
  /** How many times one request is retried after 429/503/network errors before it counts as failed. */
  maxRetries: number;
  /** Pads every event's properties to about this many extra bytes (0: realistic sizes). */
  padBytes?: number;
  onProgress?: (progress: SendSummary) => void;
  /**
   * Called once per request the pipeline answered 200/207: the messageIds it accepted and rejected, when the request
   * was first tried and when it was answered (loss accounting and freshness measure from these).
   */
  onOutcome?: (outcome: SendOutcome) => void;
}

export interface SendOutcome {
  accepted: string[];
  rejected: string[];
  firstSentAtMs: number;
  answeredAtMs: number;
}

export interface SendSummary {
  sent: number;
  validSent: number;
  accepted: number;
  rejected: number;
  rejectedByReason: Record<string, number>;
  /** Invalid events the pipeline accepted, or valid ones it rejected: should stay 0. */
  misjudged: number;
  retriedRequests: number;
  throttledRequests: number;
  spilled: number;
  failedEvents: number;
  requests: number;
  elapsedMs: number;
}

interface BatchResponse {
  accepted?: number;
  errors?: { index: number; reason: string }[];
  spilled?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends generated clickstream to the ingest API in Segment batches, with rate control and honest retries. */
export async function sendClickstream(options: SendOptions): Promise<SendSummary> {
  const generator = new ClickstreamGenerator({ users: options.users, seed: options.seed, invalidRatio: options.invalidRatio, padBytes: options.padBytes ?? 0 });
  const authorization = `Basic ${Buffer.from(`${options.writeKey}:`).toString("base64")}`;
  const summary: SendSummary = {
    sent: 0, validSent: 0, accepted: 0, rejected: 0, rejectedByReason: {}, misjudged: 0,
    retriedRequests: 0, throttledRequests: 0, spilled: 0, failedEvents: 0, requests: 0, elapsedMs: 0,
  };
  const started = Date.now();
  let generated = 0;
  let tokens = 0;
  let lastRefill = started;

  const takeTokens = async (n: number) => {
    if (options.rate <= 0) return;
    for (;;) {
      const now = Date.now();
      tokens = Math.min(options.rate, tokens + ((now - lastRefill) / 1000) * options.rate);
      lastRefill = now;
      if (tokens >= n || (tokens >= options.rate && n > options.rate)) {
        tokens -= n;
        return;
      }
      await sleep(Math.max(5, ((n - tokens) / options.rate) * 1000));
    }
  };

  const sendBatch = async (events: { event: Record<string, unknown>; invalid?: InvalidKind }[]) => {
    const payload = JSON.stringify({ batch: events.map((e) => e.event), sentAt: new Date().toISOString() });
    const body = options.gzip ? gzipSync(payload) : payload;
    const headers: Record<string, string> = { "content-type": "application/json", authorization };
    if (options.gzip) headers["content-encoding"] = "gzip";
    const firstSentAtMs = Date.now();
    for (let attempt = 0; ; attempt++) {
      summary.requests++;
      let status = 0;
      let parsed: BatchResponse = {};
      let retryAfterMs = 0;
      try {
        const response = await fetch(`${options.endpoint}/v1/batch`, { method: "POST", headers, body });
        status = response.status;
        const text = await response.text();
        try {
          parsed = JSON.parse(text) as BatchResponse;
        } catch {
          parsed = {};
        }
        retryAfterMs = Number(response.headers.get("retry-after") ?? "1") * 1000;
      } catch {
        status = 0;
      }
      if (status === 200 || status === 207) {
        const rejectedIndexes = new Map((parsed.errors ?? []).map((e) => [e.index, e.reason]));
        const outcome: SendOutcome = { accepted: [], rejected: [], firstSentAtMs, answeredAtMs: Date.now() };
        events.forEach((e, i) => {
          const reason = rejectedIndexes.get(i);
          if (reason === undefined) {
            summary.accepted++;
            outcome.accepted.push(String(e.event.messageId));
            if (e.invalid) summary.misjudged++;
          } else {
            summary.rejected++;
            outcome.rejected.push(String(e.event.messageId));
            summary.rejectedByReason[reason] = (summary.rejectedByReason[reason] ?? 0) + 1;
            if (!e.invalid) summary.misjudged++;
          }
        });
        options.onOutcome?.(outcome);
        return;
      }
      if (status === 429) summary.throttledRequests++;
      if (status === 503) summary.spilled += parsed.spilled ?? 0;
      const retryable = status === 0 || status === 429 || status === 500 || status === 502 || status === 503 || status === 504;
      if (!retryable || attempt >= options.maxRetries) {
        summary.failedEvents += events.length;
        return;
      }
      summary.retriedRequests++;
      // Full jitter on top of the server's Retry-After.
      await sleep(Math.max(retryAfterMs, 100) * (0.5 + Math.random()));
    }
  };

  const worker = async () => {
    while (generated < options.events) {
      const size = Math.min(options.batchSize, options.events - generated);
      generated += size;
      const batch = Array.from({ length: size }, () => generator.next());
      await takeTokens(size);
      summary.sent += size;
      summary.validSent += batch.filter((e) => !e.invalid).length;
      await sendBatch(batch);
      options.onProgress?.({ ...summary, elapsedMs: Date.now() - started });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  summary.elapsedMs = Date.now() - started;
  return summary;
}
