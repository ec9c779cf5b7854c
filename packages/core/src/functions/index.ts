/** Every function description (one module each in this directory), for code that walks all of them. */
import { autoscalerFunction } from "./autoscaler";
import { compactorFunction } from "./compactor";
import { firehoseTransformFunction } from "./firehose-transform";
import { glueStarterFunction } from "./glue-starter";
import { ingestFunction } from "./ingest";
import { watchdogFunction } from "./watchdog";

export { autoscalerFunction, compactorFunction, firehoseTransformFunction, glueStarterFunction, ingestFunction, watchdogFunction };

export const FUNCTIONS = [ingestFunction, firehoseTransformFunction, autoscalerFunction, compactorFunction, watchdogFunction, glueStarterFunction] as const;
