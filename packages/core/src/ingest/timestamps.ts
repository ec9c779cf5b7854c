/** ISO-8601 date-time with a time zone (Z or an offset). Dates without time or zone are ambiguous: rejected. */
const ISO_DATE_TIME = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}(?::\d{2})?)(\.\d+)?([Zz]|[+-]\d{2}:?\d{2})$/;

/**
 * Instants the canonical event can carry, whatever the field (clock-skew correction can bring an absurd client time's
 * event time back into range, so every timestamp is bounded, not only the event time):
 * - at most year 9999: the ISO-8601 form (toISOString) must have a 4-digit year, as the curation contract's timestamp
 *   pattern requires ("+010000-..." is quarantined);
 * - from 1900: Spark 3 (Glue 4.0) refuses by default to write "ancient" timestamps to Parquet
 *   (spark.sql.parquet.datetimeRebaseModeInWrite / int96RebaseModeInWrite = EXCEPTION, whose thresholds are 1582 and
 *   1900), which would fail the curated layer's micro-batch; no real client clock is that far back.
 */
const MIN_INSTANT_MS = Date.parse("1900-01-01T00:00:00.000Z");
const MAX_INSTANT_MS = Date.parse("9999-12-31T23:59:59.999Z");
const writable = (ms: number) => (ms >= MIN_INSTANT_MS && ms <= MAX_INSTANT_MS ? ms : undefined);

/**
 * Parses a client timestamp: an ISO-8601 date-time string or epoch milliseconds.
 * Returns epoch ms, or undefined when the value is not a valid instant in years 1900-9999.
 */
export function parseTimestamp(value: unknown): number | undefined {
  if (typeof value === "number") {
    return Number.isFinite(value) ? writable(Math.trunc(value)) : undefined;
  }
  if (typeof value !== "string" || value.length > 40) return undefined;
  const m = ISO_DATE_TIME.exec(value);
  if (!m || !validCalendarParts(m[1]!, m[2]!)) return undefined;
  // Date.parse takes at most millisecond precision; finer digits are truncated, not rounded.
  const fraction = m[3] ? m[3].slice(0, 4).padEnd(4, "0") : "";
  let zone = m[4]!;
  if (zone.length === 5) zone = `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const ms = Date.parse(`${m[1]}T${m[2]}${fraction}${zone.toUpperCase()}`);
  return Number.isNaN(ms) ? undefined : writable(ms);
}

/** Date.parse rolls impossible dates over (2026-02-30 becomes March 2): check the calendar first. */
function validCalendarParts(date: string, time: string): boolean {
  const year = Number(date.slice(0, 4));
  const month = Number(date.slice(5, 7));
  const day = Number(date.slice(8, 10));
  const [hours, minutes, seconds = 0] = time.split(":").map(Number) as [number, number, number?];
  if (month < 1 || month > 12 || day < 1 || hours > 23 || minutes > 59 || seconds > 59) return false;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return day <= daysInMonth;
}

/**
 * Segment's clock-skew correction: the device clock may be wrong, but the gap between when the event happened and
 * when the batch was sent is right, so timestamp = receivedAt - (sentAt - originalTimestamp).
 */
export function correctedTimestamp(receivedAtMs: number, originalMs: number | undefined, sentAtMs: number | undefined): number {
  if (originalMs !== undefined && sentAtMs !== undefined) return receivedAtMs - (sentAtMs - originalMs);
  return originalMs ?? receivedAtMs;
}
