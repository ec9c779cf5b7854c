/**
 * The autoscaler as the local runtime runs it: the same handler (functions/autoscaler.ts, through its factory) with
 * the local stream's metrics in place of CloudWatch's, which the local pipeline does not serve. Its other calls go to
 * the stand-ins through the endpoint overrides, as every local function's do.
 *
 * Loaded in the function's Lambda sandbox (a worker thread): the samples directory arrives in the sandbox's
 * environment under a name only the local runtime and this module know (never a production variable).
 */
import { autoscalerHandler } from "../../../../functions/autoscaler";
import { LocalStreamMetrics } from "../metrics/local-stream-metrics";
import { STREAM_SAMPLES_VARIABLE } from "./local-variables";

function samplesDir(): string {
  const dir = process.env[STREAM_SAMPLES_VARIABLE];
  if (!dir) throw new Error(`the local autoscaler needs ${STREAM_SAMPLES_VARIABLE} (set by the local scheduler)`);
  return dir;
}

export const handler = autoscalerHandler({ metrics: new LocalStreamMetrics(samplesDir()) });
