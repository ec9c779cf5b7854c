/**
 * Faults the local runtime can inject into its stand-ins, as one plain (JSON-serializable) plan: the fault matrix of
 * `eventlake prove` passes it to a pipeline in a child process. Each fault is one AWS-shaped failure the pipeline
 * must survive without losing or duplicating anything (ARCHITECTURE.md, "Guarantees"):
 *
 *  - PutRecords entries failing individually (ProvisionedThroughputExceededException / InternalFailure, as Kinesis
 *    answers under load), which the stream writer must resend;
 *  - whole Kinesis calls throttled (PutRecords, and the readers' GetRecords);
 *  - S3 requests answered 503 SlowDown or 500 InternalError (raw archive deliveries, curated writes, fallback spills);
 *  - functions made slow (e.g. the Firehose transform).
 *
 * A saturated shard needs no injection: the local Kinesis enforces the real per-shard limits.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { seededRandom } from "@eventlake/core/random";
import type { FaultInjector } from "@eventlake/emulators/kinesis";
import { S3Error } from "@eventlake/emulators/s3/errors";
import type { LocalS3Options } from "@eventlake/emulators/s3/server";

export interface FaultPlan {
  /** Share (0..1) of PutRecords entries failed one by one. */
  putRecordsEntryFailures?: number;
  /** Share (0..1) of PutRecords and GetRecords calls failed whole with ProvisionedThroughputExceededException. */
  throttledCalls?: number;
  /** Share (0..1) of S3 requests answered SlowDown (503) or InternalError (500). */
  objectStoreErrors?: number;
  /** Latency added to every invocation of these functions (by local name, e.g. "firehose-transform"), in ms. */
  functionLatencyMs?: Record<string, number>;
  /** Seed of the fault decisions (same seed, same sequence of decisions for the same calls). */
  seed?: number;
}

const isShare = (x: unknown) => x === undefined || (typeof x === "number" && x >= 0 && x <= 1);

/** What is wrong with a plan, if anything (a plan from a file or the command line is checked before it is used). */
export function faultPlanProblems(plan: FaultPlan): string[] {
  const problems: string[] = [];
  for (const key of ["putRecordsEntryFailures", "throttledCalls", "objectStoreErrors"] as const) {
    if (!isShare(plan[key])) problems.push(`${key} must be a share between 0 and 1`);
  }
  for (const [name, ms] of Object.entries(plan.functionLatencyMs ?? {})) {
    if (!(typeof ms === "number" && ms >= 0 && Number.isFinite(ms))) problems.push(`functionLatencyMs.${name} must be a number of ms >= 0`);
  }
  return problems;
}

const THROTTLED_OPERATIONS = new Set(["PutRecords", "PutRecord", "GetRecords"]);

/** How many faults were injected (persisted to <dataDir>/faults.json, so a harness can show each cell did fault). */
export interface InjectedFaultCounts {
  putRecordsEntries: number;
  throttledCalls: number;
  objectStoreErrors: number;
  /** Invocations of the functions the plan slows down. */
  slowedInvocations: number;
}

export interface Faults {
  kinesis?: FaultInjector;
  objectStore?: LocalS3Options["faults"];
  counts: InjectedFaultCounts;
}

/** The plan as injectors for the local Kinesis front and the local S3 server, counting what they inject. */
export function injectFaults(plan: FaultPlan): Faults {
  const counts: InjectedFaultCounts = { putRecordsEntries: 0, throttledCalls: 0, objectStoreErrors: 0, slowedInvocations: 0 };
  const faults: Faults = { counts };
  const entryShare = plan.putRecordsEntryFailures ?? 0;
  const callShare = plan.throttledCalls ?? 0;
  const storeShare = plan.objectStoreErrors ?? 0;
  const random = seededRandom(plan.seed ?? 1);
  if (entryShare > 0 || callShare > 0) {
    let alternate = 0;
    faults.kinesis = {};
    if (entryShare > 0) {
      faults.kinesis.putRecords = (entries) =>
        entries.map(() => {
          if (random() >= entryShare) return undefined;
          counts.putRecordsEntries++;
          return alternate++ % 2 === 0 ? "ProvisionedThroughputExceededException" : "InternalFailure";
        });
    }
    if (callShare > 0) {
      faults.kinesis.wholeCall = (operation) => {
        if (!THROTTLED_OPERATIONS.has(operation) || random() >= callShare) return undefined;
        counts.throttledCalls++;
        return "ProvisionedThroughputExceededException";
      };
    }
  }
  if (storeShare > 0) {
    faults.objectStore = ({ method, key }) => {
      // CreateBucket and HeadBucket at start-up are left alone: the fault is about the data traffic (object calls
      // and listings).
      if ((key === undefined && method !== "GET") || random() >= storeShare) return undefined;
      counts.objectStoreErrors++;
      return random() < 0.5 ? new S3Error("SlowDown") : new S3Error("InternalError");
    };
  }
  return faults;
}

export const faultCountsPath = (dataDir: string) => join(dataDir, "faults.json");

export function readFaultCounts(dataDir: string): InjectedFaultCounts | undefined {
  try {
    return JSON.parse(readFileSync(faultCountsPath(dataDir), "utf8")) as InjectedFaultCounts;
  } catch {
    return undefined;
  }
}
