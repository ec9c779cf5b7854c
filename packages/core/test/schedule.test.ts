import { describe, expect, it } from "vitest";
import { nextFireTime, parseScheduleExpression, typicalIntervalMs } from "../src/schedule";

const T = (iso: string) => Date.parse(iso);

describe("schedule expressions", () => {
  it("parses AWS rates, singular for 1 and plural above", () => {
    expect(parseScheduleExpression("rate(5 minutes)")).toMatchObject({ kind: "rate", everyMs: 300_000 });
    expect(parseScheduleExpression("rate(1 hour)")).toMatchObject({ kind: "rate", everyMs: 3_600_000 });
    expect(parseScheduleExpression("rate(2 days)")).toMatchObject({ kind: "rate", everyMs: 172_800_000 });
    expect(() => parseScheduleExpression("rate(1 minutes)")).toThrow(/singular/);
    expect(() => parseScheduleExpression("rate(5 minute)")).toThrow(/plural/);
    expect(() => parseScheduleExpression("rate(0 minutes)")).toThrow(/positive/);
    expect(() => parseScheduleExpression("rate(5 weeks)")).toThrow(/unknown unit/);
    expect(() => parseScheduleExpression("every 5 minutes")).toThrow(/expected rate/);
  });

  it("accepts seconds only for the local runtime", () => {
    expect(() => parseScheduleExpression("rate(10 seconds)")).toThrow(/local-only/);
    expect(parseScheduleExpression("rate(10 seconds)", { allowSeconds: true })).toMatchObject({ everyMs: 10_000 });
  });

  it("fires rates from the schedule's start", () => {
    const rate = parseScheduleExpression("rate(5 minutes)");
    const start = T("2025-01-01T00:00:30Z");
    expect(nextFireTime(rate, start, start)).toBe(start + 300_000);
    expect(nextFireTime(rate, start + 300_000, start)).toBe(start + 600_000);
    expect(nextFireTime(rate, start + 299_999, start)).toBe(start + 300_000);
  });

  it("evaluates cron in UTC: lists, ranges, steps, names, and ? in one day field", () => {
    const hourly = parseScheduleExpression("cron(0 * * * ? *)");
    expect(nextFireTime(hourly, T("2025-01-01T10:15:00Z"))).toBe(T("2025-01-01T11:00:00Z"));
    const weekdays = parseScheduleExpression("cron(15,45 8-9 ? * MON-FRI *)");
    // 2025-01-04 is a Saturday: the next fire is Monday 08:15.
    expect(nextFireTime(weekdays, T("2025-01-03T09:45:00Z"))).toBe(T("2025-01-06T08:15:00Z"));
    expect(nextFireTime(weekdays, T("2025-01-06T08:15:00Z"))).toBe(T("2025-01-06T08:45:00Z"));
    const steps = parseScheduleExpression("cron(*/20 0 1 JAN,JUL ? 2026)");
    expect(nextFireTime(steps, T("2025-03-01T00:00:00Z"))).toBe(T("2026-01-01T00:00:00Z"));
    expect(nextFireTime(steps, T("2026-07-01T00:40:00Z"))).toBeUndefined();
    expect(typicalIntervalMs(parseScheduleExpression("cron(0/10 * * * ? *)"), 0)).toBe(600_000);
  });

  it("refuses malformed cron, and L/W/# with a clear reason", () => {
    expect(() => parseScheduleExpression("cron(0 * * * *)")).toThrow(/6 fields/);
    expect(() => parseScheduleExpression("cron(0 * * * * *)")).toThrow(/exactly one of day-of-month and day-of-week/);
    expect(() => parseScheduleExpression("cron(61 * * * ? *)")).toThrow(/outside 0-59/);
    expect(() => parseScheduleExpression("cron(0 12 L * ? *)")).toThrow(/L, W or #/);
    expect(() => parseScheduleExpression("cron(0 12 ? * 6#3 *)")).toThrow(/L, W or #/);
    // WED contains W and JUL contains L: names are still fine.
    expect(parseScheduleExpression("cron(0 12 ? JUL WED *)").kind).toBe("cron");
  });

  it("fires at() once", () => {
    const at = parseScheduleExpression("at(2025-02-01T10:00:00)");
    expect(nextFireTime(at, T("2025-01-01T00:00:00Z"))).toBe(T("2025-02-01T10:00:00Z"));
    expect(nextFireTime(at, T("2025-02-01T10:00:00Z"))).toBeUndefined();
    expect(() => parseScheduleExpression("at(2025-02-30T10:00:00)")).toThrow(/not a valid date/);
  });
});
