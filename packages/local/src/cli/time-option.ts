/**
 * The time options of the CLI (`--since`, `--until` of `eventlake replay` and `eventlake verify --stage`): one parser,
 * in a module of its own so that neither command imports the other.
 */

/** An ISO date or date-time, or a relative "<n>h"/"<n>d" (before now); undefined when absent. */
export function parseTimeOption(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const relative = /^(\d+)([hd])$/.exec(value);
  if (relative) return now - Number(relative[1]) * (relative[2] === "h" ? 3_600_000 : 86_400_000);
  const ms = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(/[zZ]|[+-]\d{2}:?\d{2}$/.test(value) || value.length === 10 ? value : `${value}Z`) : NaN;
  if (Number.isNaN(ms)) throw new Error(`"${value}" is not a time: use an ISO date or date-time in UTC (2026-11-26T10:00) or a relative 6h / 2d`);
  return ms;
}
