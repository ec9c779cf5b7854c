/**
 * The text of an alarm notification with its runbook (pure), as the local runtime prints it and appends it to
 * `<dataDir>/alerts.log`. On AWS the SNS message carries the alarm description instead (see alarmDescription:
 * the summary, the first check and the RUNBOOK.md pointer, within CloudWatch's 1024 characters).
 */
import { conditionText, runbookLink, type AlarmDefinition } from "./catalog";
import type { AlarmState } from "./alarm-state";

export interface AlarmTransition {
  from: AlarmState;
  to: AlarmState;
  atMs: number;
  /** The evaluation's reason. */
  reason: string;
}

/** The first line of every notification: `<STATE> <id> [<severity>] <time> (was <STATE>)`; stable for grepping. */
export function notificationHeadline(def: AlarmDefinition, t: AlarmTransition): string {
  return `${t.to} ${def.id} [${def.severity}] ${new Date(t.atMs).toISOString()} (was ${t.from})`;
}

/** Lines of the notification: the full runbook when an alarm fires (or falls silent, where silence is the failure), a short all-clear otherwise. */
export function notificationLines(def: AlarmDefinition, t: AlarmTransition, alarmName = def.id): string[] {
  const lines = [notificationHeadline(def, t), `  ${def.title} (${alarmName})`, `  Why: ${t.reason}`, `  Condition: ${conditionText(def)}`];
  if (t.to === "ALARM" || (t.to === "INSUFFICIENT_DATA" && def.notifyOnInsufficientData)) {
    lines.push(`  Summary: ${def.runbook.summary}`);
    lines.push(`  What it means: ${def.runbook.meaning}`);
    lines.push("  Check first:");
    def.runbook.checkFirst.forEach((line, i) => lines.push(`    ${i + 1}. ${line}`));
    lines.push("  How to fix:");
    for (const line of def.runbook.fix) lines.push(`    - ${line}`);
  }
  lines.push(`  Runbook: ${runbookLink(def)}`);
  return lines;
}
