/**
 * The stage being deployed: its settings (packages/core/src/stage-config.ts, the single definition) plus the few
 * deploy-time inputs that must not live in code (the alarm email), checked before any resource is declared.
 */
import {
  LAKE_PREFIXES,
  assertStageName,
  isProductionStage,
  metricsNamespace,
  reservedConcurrencyProblems,
  stageConfig,
  validateStageConfig,
  type LogRetentionDays,
  type StageConfig,
} from "@eventlake/core/stage-config";
import { DEPLOY_VARIABLES } from "@eventlake/core/deploy-variables";

export { LAKE_PREFIXES };

export interface Stage {
  name: string;
  config: StageConfig;
  production: boolean;
  /** Alarm email after the EVENTLAKE_ALARM_EMAIL override; undefined: no subscription. */
  alarmEmail: string | undefined;
  /** CloudWatch namespace of the stage's custom metrics (EMF from the functions). */
  metricsNamespace: string;
  /** Resource options for everything that holds data: kept when the stage is removed, in production stages. */
  dataOptions: { retainOnDelete: boolean };
}

/** An optional whole-number deploy-time variable: undefined when unset, NaN when not a number (refused later). */
function envNumber(env: Record<string, string | undefined>, name: string): number | undefined {
  const raw = env[name]?.trim();
  return raw ? Number(raw) : undefined;
}

export function resolveStage(name: string, env: Record<string, string | undefined> = process.env): Stage {
  assertStageName(name);
  const base = stageConfig(name);
  const alarmEmail = env[DEPLOY_VARIABLES.alarmEmail]?.trim() || base.alarms.email;
  // Reserved concurrency is opt-in at deploy time, checked against the account's quota (stage-config.ts).
  const reserved = envNumber(env, DEPLOY_VARIABLES.ingestReservedConcurrency) ?? base.ingest.reservedConcurrency;
  const config: StageConfig = reserved === undefined ? base : { ...base, ingest: { ...base.ingest, reservedConcurrency: reserved } };
  const problems = validateStageConfig({ ...config, alarms: { ...config.alarms, email: alarmEmail } });
  if (reserved !== undefined) {
    const account = {
      concurrency: envNumber(env, DEPLOY_VARIABLES.accountConcurrency),
      reservedByOthers: envNumber(env, DEPLOY_VARIABLES.accountReservedConcurrency),
    };
    for (const problem of reservedConcurrencyProblems(reserved, account)) if (!problems.includes(problem)) problems.push(problem);
  }
  if (config.alarms.requireEmail && !alarmEmail) {
    problems.push(`stage "${name}" requires an alarm email: set ${DEPLOY_VARIABLES.alarmEmail}=<address> when deploying (or alarms.email)`);
  }
  if (problems.length > 0) {
    throw new Error(`invalid settings for stage "${name}":\n- ${problems.join("\n- ")}`);
  }
  return {
    name,
    config,
    production: isProductionStage(name),
    alarmEmail,
    metricsNamespace: metricsNamespace(name),
    dataOptions: { retainOnDelete: config.removal.retainData },
  };
}

/** SST's log retention names for the day counts the stage settings use. */
const RETENTION_NAMES = {
  1: "1 day",
  3: "3 days",
  5: "5 days",
  7: "1 week",
  14: "2 weeks",
  30: "1 month",
  60: "2 months",
  90: "3 months",
  120: "4 months",
  150: "5 months",
  180: "6 months",
  365: "1 year",
  400: "13 months",
  545: "18 months",
  731: "2 years",
  1096: "3 years",
  1827: "5 years",
  3653: "10 years",
} as const satisfies Record<LogRetentionDays, string>;

export function logRetention(days: LogRetentionDays) {
  return RETENTION_NAMES[days];
}
