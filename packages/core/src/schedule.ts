/**
 * EventBridge Scheduler expressions (https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html):
 * `rate(value unit)`, `cron(min hour dom month dow year)`
 * and `at(yyyy-mm-ddThh:mm:ss)`, parsed once and turned into fire times. The stacks use the strict form (what AWS
 * accepts); the local scheduler also accepts `rate(N seconds)`, a local-only unit so that `npm start` and tests can
 * run scheduled functions on short clocks. Cron and at() are evaluated in UTC, like schedules without a time zone.
 *
 * Cron support: numbers, `*`, `?`, lists (`a,b`), ranges (`a-b`), steps (`*\/n`, `a/n`, `a-b/n`), month names
 * (JAN-DEC) and day names (SUN-SAT, SUN = 1). The special characters `L`, `W` and `#` are valid on AWS but not
 * evaluated here: parsing refuses them with a clear error rather than firing at wrong times.
 *
 * Pure: the caller passes the clock value.
 */

export type ScheduleExpression =
  | { kind: "rate"; everyMs: number; text: string }
  | { kind: "cron"; fields: CronFields; text: string }
  | { kind: "at"; atMs: number; text: string };

interface CronFields {
  minutes: Set<number>;
  hours: Set<number>;
  /** Undefined: `?` (the other day field decides). */
  daysOfMonth: Set<number> | undefined;
  months: Set<number>;
  /** 1 = Sunday ... 7 = Saturday; undefined: `?`. */
  daysOfWeek: Set<number> | undefined;
  /** Undefined: any year. */
  years: Set<number> | undefined;
}

export class ScheduleExpressionError extends Error {
  constructor(expression: string, problem: string) {
    super(`invalid schedule expression "${expression}": ${problem}`);
    this.name = "ScheduleExpressionError";
  }
}

export interface ParseScheduleOptions {
  /** Accept `rate(N second(s))` (local runtime only; AWS's smallest unit is the minute). Default false. */
  allowSeconds?: boolean;
}

const UNIT_MS: Record<string, number> = { second: 1_000, minute: 60_000, hour: 3_600_000, day: 86_400_000 };

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

function parseRate(text: string, body: string, options: ParseScheduleOptions): ScheduleExpression {
  const match = /^\s*(\d+)\s+([a-z]+)\s*$/.exec(body);
  if (!match) throw new ScheduleExpressionError(text, "expected rate(<value> <unit>), e.g. rate(5 minutes)");
  const value = Number(match[1]);
  const unit = match[2] as string;
  if (!Number.isSafeInteger(value) || value < 1) throw new ScheduleExpressionError(text, "the rate value must be a positive integer");
  const singular = unit.endsWith("s") ? unit.slice(0, -1) : unit;
  const unitMs = UNIT_MS[singular];
  if (unitMs === undefined) throw new ScheduleExpressionError(text, `unknown unit "${unit}" (minute(s), hour(s), day(s))`);
  if (singular === "second" && !options.allowSeconds) {
    throw new ScheduleExpressionError(text, "seconds are a local-only unit: AWS schedules run at most once a minute");
  }
  // AWS: "If the value is equal to 1, then the unit must be singular. If greater than 1, plural."
  if ((value === 1) !== (unit === singular)) {
    throw new ScheduleExpressionError(text, value === 1 ? `use the singular unit: rate(1 ${singular})` : `use the plural unit: rate(${value} ${singular}s)`);
  }
  return { kind: "rate", everyMs: value * unitMs, text };
}

function parseValue(text: string, field: string, token: string, names: readonly string[] | undefined, offset: number): number {
  if (/^\d+$/.test(token)) return Number(token);
  const index = names?.indexOf(token.toUpperCase()) ?? -1;
  if (index >= 0) return index + offset;
  if (/^(\d*L|L-\d+|LW|\d+W|\d+#\d+|[A-Z]{3}#\d+)$/i.test(token)) {
    throw new ScheduleExpressionError(text, `"${token}" in the ${field} field uses L, W or #, which the local scheduler does not evaluate`);
  }
  throw new ScheduleExpressionError(text, `"${token}" is not a valid value in the ${field} field`);
}

function parseField(
  text: string,
  field: string,
  source: string,
  min: number,
  max: number,
  names?: readonly string[],
  nameOffset = 0,
): Set<number> | undefined {
  if (source === "?") return undefined;
  const values = new Set<number>();
  for (const part of source.split(",")) {
    const [range = "", stepText] = part.split("/");
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new ScheduleExpressionError(text, `bad step "${part}" in the ${field} field`);
    let lo: number;
    let hi: number;
    if (range === "*") {
      lo = min;
      hi = max;
    } else if (range.includes("-")) {
      const [a = "", b = ""] = range.split("-");
      lo = parseValue(text, field, a, names, nameOffset);
      hi = parseValue(text, field, b, names, nameOffset);
    } else {
      lo = parseValue(text, field, range, names, nameOffset);
      hi = stepText === undefined ? lo : max;
    }
    if (lo < min || hi > max || lo > hi) throw new ScheduleExpressionError(text, `"${part}" is outside ${min}-${max} in the ${field} field`);
    for (let v = lo; v <= hi; v += step) values.add(v);
  }
  return values;
}

function parseCron(text: string, body: string): ScheduleExpression {
  const parts = body.trim().split(/\s+/);
  if (parts.length !== 6) throw new ScheduleExpressionError(text, "cron needs 6 fields: minutes hours day-of-month month day-of-week year");
  const [min = "", hour = "", dom = "", month = "", dow = "", year = ""] = parts;
  if ((dom === "?") === (dow === "?")) {
    throw new ScheduleExpressionError(text, "exactly one of day-of-month and day-of-week must be ?");
  }
  const must = (set: Set<number> | undefined, field: string) => {
    if (!set) throw new ScheduleExpressionError(text, `? is only allowed in the day-of-month and day-of-week fields (${field})`);
    return set;
  };
  return {
    kind: "cron",
    text,
    fields: {
      minutes: must(parseField(text, "minutes", min, 0, 59), "minutes"),
      hours: must(parseField(text, "hours", hour, 0, 23), "hours"),
      daysOfMonth: parseField(text, "day-of-month", dom, 1, 31),
      months: must(parseField(text, "month", month, 1, 12, MONTHS, 1), "month"),
      daysOfWeek: parseField(text, "day-of-week", dow, 1, 7, DAYS, 1),
      years: year === "*" ? undefined : must(parseField(text, "year", year, 1970, 2199), "year"),
    },
  };
}

function parseAt(text: string, body: string): ScheduleExpression {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/.exec(body.trim());
  if (!match) throw new ScheduleExpressionError(text, "expected at(yyyy-mm-ddThh:mm:ss)");
  const [, y, mo, d, h, mi, s] = match.map(Number) as [number, number, number, number, number, number, number];
  const atMs = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(atMs);
  if (back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) {
    throw new ScheduleExpressionError(text, "not a valid date and time");
  }
  return { kind: "at", atMs, text };
}

/** Parses an EventBridge Scheduler expression; throws ScheduleExpressionError with the reason. */
export function parseScheduleExpression(text: string, options: ParseScheduleOptions = {}): ScheduleExpression {
  const match = /^(rate|cron|at)\((.*)\)$/.exec(text.trim());
  if (!match) throw new ScheduleExpressionError(text, "expected rate(...), cron(...) or at(...)");
  const body = match[2] as string;
  switch (match[1]) {
    case "rate":
      return parseRate(text, body, options);
    case "cron":
      return parseCron(text, body);
    default:
      return parseAt(text, body);
  }
}

function cronMatchesDay(fields: CronFields, date: Date): boolean {
  if (!fields.months.has(date.getUTCMonth() + 1)) return false;
  if (fields.years && !fields.years.has(date.getUTCFullYear())) return false;
  if (fields.daysOfMonth) return fields.daysOfMonth.has(date.getUTCDate());
  return fields.daysOfWeek?.has(date.getUTCDay() + 1) ?? false;
}

/**
 * The first fire time strictly after `afterMs`. Rate schedules count from `startMs` (when the schedule was
 * created): start + n * rate. Undefined when the schedule never fires again (a past at(), or a cron whose years
 * are over).
 */
export function nextFireTime(expression: ScheduleExpression, afterMs: number, startMs = afterMs): number | undefined {
  switch (expression.kind) {
    case "rate": {
      const n = Math.max(1, Math.floor((afterMs - startMs) / expression.everyMs) + 1);
      return startMs + n * expression.everyMs;
    }
    case "at":
      return expression.atMs > afterMs ? expression.atMs : undefined;
    case "cron": {
      const { fields } = expression;
      // Walk day by day (at most ~10 years ahead), then the matching hours and minutes of a matching day.
      const first = new Date(Math.floor(afterMs / 60_000) * 60_000 + 60_000);
      const day = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth(), first.getUTCDate()));
      const hours = [...fields.hours].sort((a, b) => a - b);
      const minutes = [...fields.minutes].sort((a, b) => a - b);
      for (let i = 0; i < 3700; i++, day.setUTCDate(day.getUTCDate() + 1)) {
        if (fields.years && day.getUTCFullYear() > Math.max(...fields.years)) return undefined;
        if (!cronMatchesDay(fields, day)) continue;
        for (const h of hours) {
          for (const m of minutes) {
            const t = day.getTime() + h * 3_600_000 + m * 60_000;
            if (t > afterMs) return t;
          }
        }
      }
      return undefined;
    }
  }
}

/** The typical interval between fires (rate: exact; cron: the smallest gap in the next day's fires; at: undefined). */
export function typicalIntervalMs(expression: ScheduleExpression, fromMs: number): number | undefined {
  if (expression.kind === "rate") return expression.everyMs;
  if (expression.kind === "at") return undefined;
  let previous = nextFireTime(expression, fromMs);
  let smallest: number | undefined;
  for (let i = 0; i < 48 && previous !== undefined; i++) {
    const next = nextFireTime(expression, previous);
    if (next === undefined) break;
    smallest = smallest === undefined ? next - previous : Math.min(smallest, next - previous);
    previous = next;
  }
  return smallest;
}

/**
 * What EventBridge Scheduler sends a scheduled function: the schedule's input, which the stacks set to this shape
 * with Scheduler's context attributes (`<aws.scheduler.scheduled-time>` etc., filled in per invocation). The local
 * scheduler invokes the same handlers with the same shape, values filled in.
 */
export interface ScheduledEvent {
  source: "eventlake.schedule";
  /** The function's schedule name: autoscaler, watchdog, compactor. */
  schedule: string;
  /** ISO 8601 time the invocation was scheduled for. */
  scheduledTime: string;
  executionId: string;
  /** "1" for the first attempt (text: Scheduler substitutes it into the JSON as a string). */
  attempt: string;
}

/** The input a schedule is created with (stacks): the placeholders are Scheduler's context attributes. */
export function scheduledEventInput(schedule: string): ScheduledEvent {
  return {
    source: "eventlake.schedule",
    schedule,
    scheduledTime: "<aws.scheduler.scheduled-time>",
    executionId: "<aws.scheduler.execution-id>",
    attempt: "<aws.scheduler.attempt-number>",
  };
}
