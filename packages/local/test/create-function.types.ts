/**
 * Type-level proof, checked by `npm run typecheck`: the local runtime starts a function only with every variable its
 * description requires (`ctx.createFunction` takes the description's `toEnv` values). Each `@ts-expect-error` fails
 * the typecheck if the line under it ever compiles.
 */
import { autoscalerFunction } from "@eventlake/core/functions/autoscaler";
import { compactorFunction } from "@eventlake/core/functions/compactor";
import type { PipelineContext } from "../src/pipeline-context";

export function startsComplete(ctx: PipelineContext) {
  return ctx.createFunction(compactorFunction, { lakeBucket: "lake", compaction: "{}", metricsNamespace: "ns" }, { timeoutSeconds: 60 });
}

export function forgetsTheAssetsBucket(ctx: PipelineContext) {
  return ctx.createFunction(
    autoscalerFunction,
    // @ts-expect-error assetsBucket (EVENTLAKE_ASSETS_BUCKET) is required
    { stage: "local", streamName: "s", alarmTopicArn: "arn", config: "{}", metricsNamespace: "ns" },
    { timeoutSeconds: 60 },
  );
}

export function givesAnotherFunctionsVariable(ctx: PipelineContext) {
  return ctx.createFunction(
    compactorFunction,
    // @ts-expect-error the compactor has no stream
    { lakeBucket: "lake", compaction: "{}", metricsNamespace: "ns", streamName: "s" },
    { timeoutSeconds: 60 },
  );
}
