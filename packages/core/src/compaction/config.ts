/**
 * Compaction settings: the stage's `compaction` section (compaction/settings.ts, in MiB and minutes, read by
 * the stacks and the local runtime) and the planner's view of it (bytes and milliseconds). The function receives the
 * settings through one environment variable (EVENTLAKE_COMPACTION, JSON) that `compactorEnvironment` builds, the
 * same way on AWS (stacks/compactor.ts) and locally (scheduler, `eventlake compact`).
 *
 * Pure: no I/O, no clock.
 */
import type { CompactionSettings } from "./settings";

export type { CompactionSettings };

const MIB = 1024 * 1024;

/** S3 DeleteObjects takes at most 1,000 keys: one merge's inputs are deleted in one request (one visible step). */
export const MAX_FILES_PER_MERGE = 1000;

/** What the planner needs, in bytes and milliseconds. */
export interface PlannerConfig {
  /** A partition is settled when its newest writer file is at least this old. */
  settleMs: number;
  /** Merged files are at most this large (sum of the input sizes). */
  targetBytes: number;
  /** Only files smaller than this are merged; larger ones are left alone. */
  smallFileBytes: number;
  /** At most this many inputs per merge (<= 1,000). */
  maxFilesPerMerge: number;
  /** At most this many input bytes merged per run (what fits the function's timeout). */
  maxBytesPerRun: number;
}

/** The runtime's settings: the planner's plus the listing window and the intent lease. */
export interface CompactionRunConfig extends PlannerConfig {
  /** Partitions of the last N event days are listed (0: the whole table). */
  lookbackDays: number;
  /** An intent younger than this belongs to a run that may still be working on it: leave it alone. */
  intentLeaseMs: number;
}

/** The settings the function reads (the Lambda sizing is the stack's business, not the handler's). */
export type HandlerSettings = Omit<CompactionSettings, "memoryMb" | "timeoutSeconds" | "ephemeralStorageMb" | "logRetentionDays">;

const HANDLER_FIELDS = ["settleMinutes", "targetFileMb", "smallFileMb", "maxFilesPerMerge", "maxMbPerRun", "lookbackDays", "intentLeaseMinutes"] as const satisfies readonly (keyof HandlerSettings)[];

/** Checks what the handler uses; returns the problems found (empty when valid). */
export function validateHandlerSettings(s: HandlerSettings): string[] {
  const problems: string[] = [];
  const int = (n: number) => Number.isInteger(n);
  if (!(s.settleMinutes >= 0)) problems.push("compaction.settleMinutes must be >= 0");
  if (!(s.targetFileMb > 0)) problems.push("compaction.targetFileMb must be > 0");
  if (!(s.smallFileMb > 0 && s.smallFileMb <= s.targetFileMb)) problems.push("compaction.smallFileMb must be in (0, targetFileMb]");
  if (!int(s.maxFilesPerMerge) || s.maxFilesPerMerge < 2 || s.maxFilesPerMerge > MAX_FILES_PER_MERGE) {
    problems.push(`compaction.maxFilesPerMerge must be an integer in 2..${MAX_FILES_PER_MERGE} (one DeleteObjects request)`);
  }
  if (!(s.maxMbPerRun >= s.targetFileMb)) problems.push("compaction.maxMbPerRun must be >= targetFileMb (one full merge per run)");
  if (!int(s.lookbackDays) || s.lookbackDays < 0) problems.push("compaction.lookbackDays must be an integer >= 0");
  if (!(s.intentLeaseMinutes > 0)) problems.push("compaction.intentLeaseMinutes must be > 0");
  return problems;
}

/** Checks the whole section, the function's sizing included; returns the problems found (empty when valid). */
export function validateCompactionSettings(s: CompactionSettings): string[] {
  const problems = validateHandlerSettings(s);
  const int = (n: number) => Number.isInteger(n);
  if (!int(s.memoryMb) || s.memoryMb < 128 || s.memoryMb > 10_240) problems.push("compaction.memoryMb must be an integer in 128..10240");
  if (!int(s.timeoutSeconds) || s.timeoutSeconds < 1 || s.timeoutSeconds > 900) problems.push("compaction.timeoutSeconds must be an integer in 1..900");
  if (!int(s.ephemeralStorageMb) || s.ephemeralStorageMb < 512 || s.ephemeralStorageMb > 10_240) {
    problems.push("compaction.ephemeralStorageMb must be an integer in 512..10240");
  }
  if (!(s.intentLeaseMinutes * 60 > s.timeoutSeconds)) {
    problems.push("compaction.intentLeaseMinutes must exceed the function's timeout (a live run's intent is never recovered)");
  }
  return problems;
}

export function runConfigFromSettings(s: HandlerSettings): CompactionRunConfig {
  return {
    settleMs: s.settleMinutes * 60_000,
    targetBytes: Math.floor(s.targetFileMb * MIB),
    smallFileBytes: Math.floor(s.smallFileMb * MIB),
    maxFilesPerMerge: s.maxFilesPerMerge,
    maxBytesPerRun: Math.floor(s.maxMbPerRun * MIB),
    lookbackDays: s.lookbackDays,
    intentLeaseMs: s.intentLeaseMinutes * 60_000,
  };
}

export const COMPACTION_ENV = "EVENTLAKE_COMPACTION";

/** The compactor function's settings environment, built from the stage's settings (stacks and local runtime). */
export function compactorEnvironment(s: CompactionSettings): Record<string, string> {
  const problems = validateCompactionSettings(s);
  if (problems.length > 0) throw new Error(`invalid compaction settings:\n- ${problems.join("\n- ")}`);
  const picked = Object.fromEntries(HANDLER_FIELDS.map((f) => [f, s[f]]));
  return { [COMPACTION_ENV]: JSON.stringify(picked) };
}

/** Reads the settings compactorEnvironment wrote; fails with a clear message on anything else. */
export function runConfigFromEnvironment(env: Record<string, string | undefined>): CompactionRunConfig {
  const raw = env[COMPACTION_ENV];
  if (raw === undefined || raw === "") throw new Error(`environment variable ${COMPACTION_ENV} is required`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error(`${COMPACTION_ENV} is not JSON`);
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error(`${COMPACTION_ENV} must be a JSON object`);
  const record = parsed as Record<string, unknown>;
  const settings: Record<string, number> = {};
  for (const field of HANDLER_FIELDS) {
    const value = record[field];
    if (typeof value !== "number" || !Number.isFinite(value)) throw new Error(`${COMPACTION_ENV}.${field} must be a number`);
    settings[field] = value;
  }
  const handlerSettings = settings as unknown as HandlerSettings;
  const problems = validateHandlerSettings(handlerSettings);
  if (problems.length > 0) throw new Error(`invalid ${COMPACTION_ENV}:\n- ${problems.join("\n- ")}`);
  return runConfigFromSettings(handlerSettings);
}
