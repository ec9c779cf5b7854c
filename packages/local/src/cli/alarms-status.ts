/** The alarms part of `eventlake status`: each alarm's state as the local evaluator last persisted it. */
import { readAlarmStates, type LocalAlarmStates } from "@eventlake/emulators/alarms/state";
import { table } from "./format";

export interface AlarmsStatus {
  evaluatedAt: string | null;
  inAlarm: number;
  alarms: { id: string; state: string; severity: string; since: string; reason: string; runbook: string }[];
  notApplicable: LocalAlarmStates["notApplicable"];
}

export function alarmsStatus(dataDir: string): AlarmsStatus | undefined {
  const states = readAlarmStates(dataDir);
  if (!states) return undefined;
  const alarms = Object.values(states.alarms).map((a) => ({
    id: a.id,
    state: a.state,
    severity: a.severity,
    since: new Date(a.sinceMs).toISOString(),
    reason: a.reason,
    runbook: a.runbook,
  }));
  return {
    evaluatedAt: states.evaluatedAtMs ? new Date(states.evaluatedAtMs).toISOString() : null,
    inAlarm: alarms.filter((a) => a.state === "ALARM").length,
    alarms,
    notApplicable: states.notApplicable,
  };
}

export function formatAlarmsStatus(status: AlarmsStatus | undefined): string {
  if (!status) return "alarms     not evaluated yet (the local alarm evaluator writes alarms.json once the pipeline runs)";
  const order = { ALARM: 0, INSUFFICIENT_DATA: 1, OK: 2 } as Record<string, number>;
  const rows = [...status.alarms]
    .sort((a, b) => (order[a.state] ?? 3) - (order[b.state] ?? 3))
    .map((a) => [a.state, a.id, a.severity, a.since.replace("T", " ").replace(/\.\d+Z$/, "Z"), a.state === "ALARM" ? a.runbook : ""]);
  const head = `alarms     ${status.inAlarm === 0 ? "none in ALARM" : `${status.inAlarm} in ALARM`} (evaluated ${status.evaluatedAt ?? "never"})`;
  const skipped =
    status.notApplicable.length > 0
      ? `\n           not evaluated here (resource not running locally): ${status.notApplicable.map((x) => x.id).join(", ")}`
      : "";
  return `${head}${skipped}\n\n${table(rows, ["state", "alarm", "severity", "since", "runbook"])}`;
}
