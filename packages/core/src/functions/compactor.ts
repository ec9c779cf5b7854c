/** The compactor (functions/compactor.ts), on the stage's `schedules.compactor`. */
import { callsOf } from "../aws-calls/functions";
import { COMPACTION_ENV, compactorEnvironment, runConfigFromEnvironment, type CompactionSettings } from "../compaction/config";
import { CUSTOM_METRICS } from "../metrics/catalog";
import { defineFunction, optional, required } from "./define";
import { LAKE_BUCKET, LOGGING, METRICS_NAMESPACE } from "./variables";

export const compactorFunction = defineFunction({
  id: "Compactor",
  service: CUSTOM_METRICS.compactor.service,
  module: "functions/compactor",
  env: {
    lakeBucket: LAKE_BUCKET,
    /** The Parquet worker script, relative to the package root (stacks/compactor.ts ships it next to the bundle). */
    parquetWorker: optional("EVENTLAKE_PARQUET_WORKER"),
    /** The run settings, as `compactionSetting` writes them. */
    compaction: required(COMPACTION_ENV, (raw) => runConfigFromEnvironment({ [COMPACTION_ENV]: raw })),
    metricsNamespace: METRICS_NAMESPACE,
    ...LOGGING,
  },
  metrics: CUSTOM_METRICS.compactor,
  schedule: "compactor",
  calls: callsOf("Compactor"),
});

/** The `compaction` value of the compactor's environment, from the stage's settings (validated). */
export function compactionSetting(settings: CompactionSettings): string {
  return compactorEnvironment(settings)[COMPACTION_ENV] as string;
}
