/**
 * The stage's `compaction` section (StageConfig["compaction"] in packages/core/src/stage-config.ts), in MiB and
 * minutes. Its own module so that the stage settings and the compaction code that validates and converts it
 * (compaction/config.ts, which re-exports it with the functions that take it) both import it, and neither imports
 * the other.
 */
import type { LogRetentionDays } from "../log-retention";

/**
 * The compactor (stacks/compactor.ts, packages/core/src/compaction/): merges small files of settled curated
 * partitions into ~targetFileMb files. The function's memory, timeout and ephemeral storage come from measurements
 * written next to the stack (stacks/compactor.ts).
 */
export interface CompactionSettings {
  /** A partition is settled (compactable) when no writer file in it is younger than this. */
  settleMinutes: number;
  /** Merged files are at most this large (by input bytes). */
  targetFileMb: number;
  /** Files smaller than this are merged; larger ones are left alone. */
  smallFileMb: number;
  /** Inputs per merge: at most 1,000 (their deletion is one DeleteObjects request). */
  maxFilesPerMerge: number;
  /** Input bytes merged per run: what the measured throughput does within the timeout, with margin. */
  maxMbPerRun: number;
  /** Event days listed per run (0: the whole table; `eventlake compact --lookback-days` for backfills). */
  lookbackDays: number;
  /** An intent younger than this may belong to a live run and is left alone; must exceed the timeout. */
  intentLeaseMinutes: number;
  memoryMb: number;
  timeoutSeconds: number;
  ephemeralStorageMb: number;
  logRetentionDays: LogRetentionDays;
}
