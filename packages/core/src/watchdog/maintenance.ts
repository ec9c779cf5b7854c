/**
 * Glue's maintenance window for streaming jobs (https://docs.aws.amazon.com/glue/latest/dg/glue-streaming-maintenance.html):
 * the job property `MaintenanceWindow` ("Sun:10": a day of the week and an hour, GMT). Glue restarts a streaming job
 * for maintenance within 3 hours after the window's start; without a window, 7 days after the run started. The
 * watchdog treats a job that is not running during that span as an expected restart: it starts it if Glue has not
 * yet, without paging anyone.
 */
export const MAINTENANCE_DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"] as const;
export type MaintenanceDay = (typeof MAINTENANCE_DAYS)[number];

/** Glue restarts the job within this long after the window's start. */
export const GLUE_MAINTENANCE_RESTART_HOURS = 3;

export interface MaintenanceWindow {
  /** 0 = Sunday (Date.getUTCDay). */
  day: number;
  /** Hour of the day, GMT. */
  hour: number;
}

/** The Glue API's pattern for MaintenanceWindow (CreateJob, https://docs.aws.amazon.com/glue/latest/webapi/API_CreateJob.html). */
const GLUE_MAINTENANCE_WINDOW = /^(Sun|Mon|Tue|Wed|Thu|Fri|Sat):([01]?[0-9]|2[0-3])$/;

/** Parses Glue's "Day:Hour" ("Sun:10"); throws with the accepted form on anything else. */
export function parseMaintenanceWindow(text: string): MaintenanceWindow {
  const m = GLUE_MAINTENANCE_WINDOW.exec(text);
  const hour = m ? Number(m[2]) : NaN;
  if (!m) {
    throw new Error(`maintenance window "${text}" is not of the form Day:Hour with Day in ${MAINTENANCE_DAYS.join("|")} and Hour in 0..23 (GMT), e.g. "Sun:10"`);
  }
  return { day: MAINTENANCE_DAYS.indexOf(m[1] as MaintenanceDay), hour };
}

/** The start (epoch ms) of the most recent window at or before `nowMs`. */
export function lastWindowStartMs(window: MaintenanceWindow, nowMs: number): number {
  const now = new Date(nowMs);
  const todayStart = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), window.hour);
  const daysBack = (now.getUTCDay() - window.day + 7) % 7;
  let start = todayStart - daysBack * 86_400_000;
  if (start > nowMs) start -= 7 * 86_400_000;
  return start;
}

/**
 * True while a maintenance restart is expected: from the window's start to 3 hours later, plus `extraMs` for the
 * restarted run to reach RUNNING (Glue provisions for a few minutes).
 */
export function inMaintenanceRestart(window: MaintenanceWindow, nowMs: number, extraMs: number): boolean {
  const start = lastWindowStartMs(window, nowMs);
  return nowMs - start <= GLUE_MAINTENANCE_RESTART_HOURS * 3_600_000 + extraMs;
}
