/**
 * Generated client events for the ingest/curation agreement ("one notion of a valid event", ARCHITECTURE.md): events
 * as careless or hostile clients send them (every type, ids of every JSON type, blank and padded names, lone UTF-16
 * surrogate escapes in values and keys, NUL and control characters, timestamps in and out of range, wrong field
 * types), judged by the real ingest core. Each one is either accepted (a canonical event record) or rejected with a
 * typed reason (a bad-row record); the records are what the ingest function writes to the stream.
 *
 * Engine-neutral on purpose: the DuckDB engine runs them in ingest-agreement.test.ts; a Spark runner of the compiled
 * Spark SQL can take `generatedIngestRecords(seed, n)` and must likewise curate every accepted event and quarantine
 * only bad rows (stage "ingest").
 */
import fc from "fast-check";
import { DEFAULT_INGEST_CONFIG } from "@eventlake/core/ingest/config";
import { RequestRejected } from "@eventlake/core/ingest/reasons";
import { parseRequestBody, planIngest, type EventRejection } from "@eventlake/core/ingest/request";
import { createSchemaRegistry } from "@eventlake/core/ingest/schema-registry";

/** When the generated requests arrive (the server clock of the ingest). */
export const RECEIVED_AT_MS = Date.UTC(2026, 5, 1, 12, 0, 0);

/** Strings that broke or could break an engine: lone surrogates, NUL, controls, quotes, backslashes, padding. */
const TRICKY = ["", " ", "\t\n", "\ud800", "a\udfffb", "\udc00\ud800", "😀", "\ud83d\ude00", "\u0000", "x\u0000y", "\u001f", '"', "\\", "\u2028", "\ufeff", "  Padded Name \r"];

const text = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 8 }) },
  { weight: 2, arbitrary: fc.constantFrom(...TRICKY) },
);

const json: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    text,
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("value"), { maxLength: 3 }),
    fc.dictionary(text, tie("value"), { maxKeys: 3 }),
  ),
})).value;

const id = fc.oneof(
  { weight: 4, arbitrary: fc.string({ minLength: 1, maxLength: 10 }) },
  { weight: 2, arbitrary: text },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.constantFrom(undefined, null, true, {}, ["x"], 1.5) },
);

const timestamp = fc.oneof(
  fc.date({ min: new Date("1999-06-01T00:00:00Z"), max: new Date("2026-06-03T00:00:00Z"), noInvalidDate: true }).map((d) => d.toISOString()),
  fc.date({ min: new Date("2020-01-01T00:00:00Z"), max: new Date("2026-06-01T12:00:00Z"), noInvalidDate: true }).map((d) => d.getTime()),
  fc.constantFrom(undefined, null, "2026-06-01T13:00:00+01:00", "2026-06-01T11:00:00.123456Z", "2026-02-30T00:00:00Z", "yesterday", "", 1e20, "\ud800"),
  // Instants whose ISO-8601 form has no 4-digit year (and the edges of those that do).
  fc.constantFrom(1e15, -1e14, 8.64e15, "9999-12-31T23:30:00-01:00", "0000-01-01T00:30:00+01:00", "0001-01-01T00:00:00Z", "1899-12-31T23:59:59Z", "1900-01-01T00:00:00Z", -2208988800000, 253402300799999),
);

const object = fc.oneof({ weight: 4, arbitrary: fc.dictionary(text, json, { maxKeys: 4 }) }, { weight: 1, arbitrary: json });

/** One event as a client might send it in a Segment batch. */
export const clientEvent: fc.Arbitrary<Record<string, unknown>> = fc
  .record(
    {
      type: fc.constantFrom("track", "identify", "page", "screen", "group", "alias", "other", undefined),
      event: fc.oneof(text, fc.constantFrom("Order Completed", "  Signed Up\t", undefined, 7)),
      name: fc.oneof(text, fc.constantFrom(undefined, "Home")),
      category: fc.oneof(text, fc.constant(undefined)),
      userId: id,
      anonymousId: id,
      groupId: id,
      previousId: id,
      messageId: fc.oneof(fc.constant(undefined), text, fc.string({ minLength: 1, maxLength: 12 })),
      properties: object,
      traits: object,
      context: object,
      timestamp,
      sentAt: timestamp,
    },
    { requiredKeys: [] },
  )
  .map((e) => Object.fromEntries(Object.entries(e).filter(([, v]) => v !== undefined)));

/** A Segment batch request body (JSON text, as a client serializes it: lone surrogates become `\udXXX` escapes). */
export const clientBatch = fc.array(clientEvent, { minLength: 1, maxLength: 12 }).map((batch) => JSON.stringify({ batch }));

export interface JudgedRequest {
  /** The request body as sent. */
  body: string;
  /** What the ingest writes to the stream: canonical events and bad rows, in request order. */
  records: { kind: "event" | "bad_row"; messageId: string | undefined; data: Buffer }[];
  rejections: EventRejection[];
  /** A request-level rejection (nothing written). */
  requestError?: string;
}

/** Judges a batch body with the real ingest core, as the ingest function does for `POST /v1/batch`. */
export function judgeBatch(body: string, idPrefix = "gen"): JudgedRequest {
  let n = 0;
  try {
    const parsed = parseRequestBody("batch", body, "application/json", DEFAULT_INGEST_CONFIG);
    const plan = planIngest(parsed, {
      route: "batch",
      endpoint: "/v1/batch",
      sourceId: "web",
      receivedAtMs: RECEIVED_AT_MS,
      config: DEFAULT_INGEST_CONFIG,
      schemas: createSchemaRegistry([]),
      newMessageId: () => `${idPrefix}-${++n}`,
    });
    return {
      body,
      records: plan.records.map((r) => ({ kind: r.kind, messageId: r.messageId, data: Buffer.from(r.data) })),
      rejections: plan.rejections,
    };
  } catch (error) {
    if (error instanceof RequestRejected) return { body, records: [], rejections: [], requestError: error.code };
    throw error;
  }
}

/** A reproducible sample of judged requests (for an engine runner outside this suite). */
export function generatedIngestRecords(seed: number, requests: number): JudgedRequest[] {
  return fc.sample(clientBatch, { seed, numRuns: requests }).map((body, i) => judgeBatch(body, `s${seed}-${i}`));
}
