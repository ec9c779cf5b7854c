/**
 * Type-level proof, checked by `npm run typecheck` (tsconfig.json covers this file): a caller of `toEnv` that
 * forgets a required variable, misspells one, or gives a value of the wrong kind does not compile. Each
 * `@ts-expect-error` fails the typecheck if the line under it ever compiles (TypeScript reports an unused directive),
 * so loosening the schema's types breaks the build. function-env.test.ts runs the same descriptions.
 */
import { autoscalerFunction } from "@eventlake/core/functions/autoscaler";
import { ingestFunction } from "@eventlake/core/functions/ingest";
import { watchdogFunction } from "@eventlake/core/functions/watchdog";

/** What the stacks hold: values that resolve later (a stand-in for Pulumi's Input<string>). */
type Later<T> = T | Promise<T>;

export function complete(streamName: Later<string>) {
  return ingestFunction.toEnv<Later<string>>({
    streamName,
    lakeBucket: "lake",
    fallbackPrefix: "fallback/",
    schemaDir: "schemas",
    metricsNamespace: "eventlake/dev",
  });
}

export function forgetsTheStream() {
  // @ts-expect-error streamName (EVENTLAKE_STREAM_NAME) is required
  return ingestFunction.toEnv({ lakeBucket: "lake", fallbackPrefix: "fallback/", schemaDir: "schemas", metricsNamespace: "ns" });
}

export function forgetsTheNamespace() {
  // @ts-expect-error metricsNamespace (POWERTOOLS_METRICS_NAMESPACE) is required
  return watchdogFunction.toEnv({ stage: "dev", glueJobName: "job", alarmTopicArn: "arn", schedule: "rate(1 minute)" });
}

export function misspells() {
  return autoscalerFunction.toEnv({
    stage: "dev",
    streamName: "s",
    assetsBucket: "a",
    alarmTopicArn: "arn",
    config: "{}",
    metricsNamespace: "ns",
    // @ts-expect-error not a variable of the autoscaler
    streamname: "s",
  });
}

export function wrongKind() {
  // @ts-expect-error the local runtime gives strings
  return ingestFunction.toEnv<string>({ streamName: 1, lakeBucket: "l", fallbackPrefix: "f/", schemaDir: "s", metricsNamespace: "n" });
}

/** What the handler reads is typed by the schema: a number with its default, a possibly missing secret. */
export function handlerView(env: Record<string, string | undefined>) {
  const read = ingestFunction.readEnv(env);
  const retry: number = read.retryAfterSeconds;
  const keys: string | undefined = read.writeKeys;
  // @ts-expect-error an optional variable without a default may be missing
  const mustBeSet: string = read.writeKeys;
  return { retry, keys, mustBeSet };
}
