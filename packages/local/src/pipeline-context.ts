/**
 * What the local runtime (runtime.ts) gives every part of the local pipeline, and what a part is. Its own module so
 * the components (components.ts and each component's module) depend on these types, not on the runtime that starts
 * them: the runtime imports the components, never the other way round.
 */
import type { EnvSchema, EnvValues, FunctionDescription } from "@eventlake/core/functions/define";
import type { stageConfig } from "@eventlake/core/stage-config";
import type { LocalLambda } from "@eventlake/emulators/lambda/local-lambda";
import type { LocalInfo } from "./local-config";

/** How one local function runs, besides what its description says. */
export interface LocalFunctionOptions {
  timeoutSeconds: number;
  memoryMb?: number;
  /**
   * The module the sandbox loads when not the description's handler file: a local entry that injects local ports
   * (./functions/), or a test's stand-in handler. Absolute, or relative to the repository root.
   */
  handlerFile?: string;
  /** Variables only a local entry reads (never a production variable). */
  localEnv?: Record<string, string>;
}

/** What every local component gets: where things are, the stage settings, and a way to run functions. */
export interface PipelineContext {
  dataDir: string;
  stage: ReturnType<typeof stageConfig>;
  region: string;
  streamName: string;
  bucket: string;
  kinesisEndpoint: string;
  s3Endpoint: string;
  /** The stage's metrics namespace (every function's POWERTOOLS_METRICS_NAMESPACE). */
  metricsNamespace: string;
  /** The repository root (handler files are resolved from it). */
  repoRoot: string;
  /** Runtime messages (not function logs). */
  log: (line: string) => void;
  /**
   * A Lambda function from its description, run in its own sandbox with the environment its stack would give it
   * (`values` through the description's toEnv: leaving out a required variable does not compile), plus the local
   * endpoints and its role; its output goes to <dataDir>/logs/functions.log. `endpoints` adds stand-ins a
   * component started (SNS, the local job service).
   */
  createFunction<S extends EnvSchema, M extends Readonly<Record<string, string>>>(
    fn: FunctionDescription<S, M>,
    values: EnvValues<S, string>,
    options: LocalFunctionOptions & { endpoints?: { SNS?: string; GLUE?: string } },
  ): LocalLambda;
  /** Every function created so far (the ingest function and the components'), e.g. for their metrics. */
  functions(): readonly LocalLambda[];
  /** Adds a component's endpoint to what the pipeline publishes in local.json (for the CLI in other processes). */
  publish?(endpoints: Pick<LocalInfo, "glueEndpoint">): void;
}

/** A part of the local pipeline started after the ingest path (Firehose, curator, scheduler ...). */
export interface LocalComponent {
  name: string;
  start(ctx: PipelineContext): Promise<{ close(): Promise<void> }>;
}
