/**
 * The local alarms' states, persisted in `<dataDir>/alarms.json` (atomically) by the evaluator so that they survive
 * restarts (no repeated notifications) and so that `eventlake status`, in another process, can show them.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { AlarmState } from "./evaluate";
import type { Severity } from "@eventlake/core/alarms/catalog";
import { writeAtomically } from "../small-files";

export interface LocalAlarmStatus {
  id: string;
  title: string;
  severity: Severity;
  state: AlarmState;
  /** When the alarm entered this state (epoch ms). */
  sinceMs: number;
  reason: string;
  /** Whether entering this state was announced (an OK is announced only after an announced bad state). */
  announced: boolean;
  /** The catalog's condition, e.g. "Sum RecordsSpilled > 0 over 300 s". */
  condition: string;
  runbook: string;
}

export interface LocalAlarmStates {
  version: 1;
  /** Epoch ms of the last evaluation. */
  evaluatedAtMs: number;
  /** By alarm id, in catalog order. */
  alarms: Record<string, LocalAlarmStatus>;
  /** Catalog entries without their resource on this machine (e.g. no local Glue job), with what they need. */
  notApplicable: { id: string; needs: string[] }[];
}

export function alarmStatesPath(dataDir: string): string {
  return join(dataDir, "alarms.json");
}

export function alertsLogPath(dataDir: string): string {
  return join(dataDir, "alerts.log");
}

export function readAlarmStates(dataDir: string): LocalAlarmStates | undefined {
  try {
    const parsed = JSON.parse(readFileSync(alarmStatesPath(dataDir), "utf8")) as LocalAlarmStates;
    return parsed.version === 1 && parsed.alarms ? parsed : undefined;
  } catch {
    return undefined;
  }
}

export function writeAlarmStates(dataDir: string, states: LocalAlarmStates): void {
  writeAtomically(alarmStatesPath(dataDir), `${JSON.stringify(states, null, 2)}\n`);
}
