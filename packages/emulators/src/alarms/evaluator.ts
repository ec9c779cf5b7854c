/**
 * The local alarm evaluator: the SAME alarm catalog as the stacks' CloudWatch alarms (packages/core/src/alarms),
 * bound to the local resources and evaluated with CloudWatch's rules (evaluate.ts) against the local
 * metrics store through the metrics-query port. State changes are printed to the runtime log with the runbook and
 * appended to `<dataDir>/alerts.log`; states persist in `<dataDir>/alarms.json`.
 *
 * Notifications (see shouldAnnounce): a change to ALARM, a change away from an announced state (back to OK), and
 * INSUFFICIENT_DATA for alarms whose silence is the failure. A new alarm settling from INSUFFICIENT_DATA to OK is
 * recorded in the state file but not announced (CloudWatch would send the OK action; locally it is noise at start).
 */
import { appendFileSync } from "node:fs";
import { alarmCatalog, alarmResources, conditionText, runbookLink, type AlarmDefinition, type ResourceKey } from "@eventlake/core/alarms/catalog";
import { alarmQueries, evaluateAlarm, evaluationWindow, signalValues, type AlarmState } from "./evaluate";
import { notificationLines, type AlarmTransition } from "@eventlake/core/alarms/notification";
import type { MetricsQueryPort } from "@eventlake/core/ports";
import type { StageConfig } from "@eventlake/core/stage-config";
import { readFirehoseStats } from "../firehose/state";
import { alertsLogPath, readAlarmStates, writeAlarmStates, type LocalAlarmStates } from "./state";

/** Local function names are `eventlake-local-<name>` (runtime.ts); the catalog's function key is `<name>`. */
export const LOCAL_FUNCTION_PREFIX = "eventlake-local-";

export interface LocalAlarmEvaluatorOptions {
  dataDir: string;
  /** The stage whose catalog (thresholds, namespace) is evaluated; "local". */
  stageName: string;
  stage: StageConfig;
  streamName: string;
  /** Names of the functions running locally (full names, `eventlake-local-<key>`). */
  functionNames: () => readonly string[];
  /** Where metrics are read (the local metrics store). */
  metrics: MetricsQueryPort & { metrics?: () => { namespace: string; dimensions: Readonly<Record<string, string>> }[] };
  /** Overrides every alarm's period (tests and demos use seconds instead of minutes). */
  periodSeconds?: number;
  /** How long after a period ends it is judged (lets late datapoints arrive). */
  settleMs?: number;
  log?: (line: string) => void;
}

/**
 * Which state changes are announced: every change to ALARM; a change to INSUFFICIENT_DATA when it leaves ALARM or
 * when silence is the alarm's failure signal (notifyOnInsufficientData, like the stacks' insufficientDataActions);
 * a change to OK only after an announced bad state (a new alarm settling to OK at start is not news).
 */
export function shouldAnnounce(def: AlarmDefinition, from: AlarmState, to: AlarmState, fromAnnounced: boolean): boolean {
  if (to === "ALARM") return true;
  if (to === "INSUFFICIENT_DATA") return from === "ALARM" || (def.notifyOnInsufficientData === true && from === "OK");
  return fromAnnounced;
}

export interface RecordedTransition extends AlarmTransition {
  id: string;
  notified: boolean;
}

export class LocalAlarmEvaluator {
  states: LocalAlarmStates;

  constructor(private readonly options: LocalAlarmEvaluatorOptions) {
    this.states = readAlarmStates(options.dataDir) ?? { version: 1, evaluatedAtMs: 0, alarms: {}, notApplicable: [] };
  }

  /** The catalog bound to what runs here: functions by their local names, resources seen locally. */
  private bind(): { catalog: AlarmDefinition[]; name: (key: ResourceKey) => string | undefined } {
    const functionNames = this.options.functionNames();
    const keys = functionNames.filter((n) => n.startsWith(LOCAL_FUNCTION_PREFIX)).map((n) => n.slice(LOCAL_FUNCTION_PREFIX.length));
    const seen = this.options.metrics.metrics?.() ?? [];
    const seenDimension = (namespace: string, dimension: string) => seen.find((m) => m.namespace === namespace && m.dimensions[dimension])?.dimensions[dimension];
    const name = (key: ResourceKey): string | undefined => {
      // The local API stand-in publishes no AWS/ApiGateway metrics: the API alarms do not apply locally.
      if (key === "api") return undefined;
      if (key === "stream") return this.options.streamName;
      if (key === "deliveryStream") return readFirehoseStats(this.options.dataDir)?.deliveryStreamName ?? seenDimension("AWS/Firehose", "DeliveryStreamName");
      if (key === "glueJob") return seenDimension("Glue", "JobName");
      const fn = `${LOCAL_FUNCTION_PREFIX}${key.slice("function:".length)}`;
      return functionNames.includes(fn) ? fn : undefined;
    };
    return { catalog: alarmCatalog(this.options.stageName, this.options.stage, { functions: keys }), name };
  }

  /** Evaluates every applicable alarm at `nowMs`; returns the state changes (and announces them). */
  async evaluate(nowMs: number): Promise<RecordedTransition[]> {
    const { catalog, name } = this.bind();
    const transitions: RecordedTransition[] = [];
    const alarms: LocalAlarmStates["alarms"] = {};
    const notApplicable: LocalAlarmStates["notApplicable"] = [];
    for (const def of catalog) {
      const periodSeconds = this.options.periodSeconds ?? def.periodSeconds;
      const queries = alarmQueries(def, name, periodSeconds);
      if (!queries || alarmResources(def).some((r) => name(r) === undefined)) {
        notApplicable.push({ id: def.id, needs: alarmResources(def).filter((r) => name(r) === undefined) });
        continue;
      }
      const window = evaluationWindow(nowMs, periodSeconds, def.evaluationPeriods, this.options.settleMs ?? 0);
      const results = await this.options.metrics.getMetricData(queries, window.startMs, window.endMs);
      const previous = this.states.alarms[def.id];
      const from: AlarmState = previous?.state ?? "INSUFFICIENT_DATA";
      const evaluation = evaluateAlarm({ ...def, periodSeconds }, signalValues(def, results, window.periodStarts), from);
      const changed = evaluation.state !== from;
      const notified = changed && shouldAnnounce(def, from, evaluation.state, previous?.announced ?? false);
      alarms[def.id] = {
        id: def.id,
        title: def.title,
        severity: def.severity,
        state: evaluation.state,
        sinceMs: changed || !previous ? nowMs : previous.sinceMs,
        reason: evaluation.reason,
        announced: changed ? notified : (previous?.announced ?? false),
        condition: conditionText({ ...def, periodSeconds }),
        runbook: runbookLink(def),
      };
      if (!changed) continue;
      const transition = { id: def.id, from, to: evaluation.state, atMs: nowMs, reason: evaluation.reason };
      transitions.push({ ...transition, notified });
      if (notified) this.announce({ ...def, periodSeconds }, transition);
    }
    this.states = { version: 1, evaluatedAtMs: nowMs, alarms, notApplicable };
    writeAlarmStates(this.options.dataDir, this.states);
    return transitions;
  }

  private announce(def: AlarmDefinition, transition: AlarmTransition) {
    const lines = notificationLines(def, transition, `eventlake-${this.options.stageName}-${def.id}`);
    appendFileSync(alertsLogPath(this.options.dataDir), `${lines.join("\n")}\n\n`);
    const log = this.options.log;
    if (log) for (const line of lines) log(`alarm: ${line}`);
  }
}
