/**
 * A function description: everything the stacks, the local runtime and the handler must agree on about one Lambda
 * function, written once (ARCHITECTURE.md "One description per function"). The stacks build the function from it
 * (handler, environment through `toEnv`, grants from `calls`, schedule), the local runtime starts the same handler
 * with the same `toEnv`, and the handler reads its settings with `readEnv`.
 *
 * The environment is a typed schema: `toEnv` requires a value for every required variable (a stack or the local
 * runtime that forgets one does not compile: packages/core/test/function-env.types.ts), and `readEnv` fails at cold
 * start with an error naming the variable that is missing or malformed.
 *
 * Pure: no I/O; the values `toEnv` takes are whatever the caller holds (strings locally, Pulumi inputs in the stacks).
 */
import type { AwsCall } from "../aws-calls/model";

/** One environment variable: its name, whether the caller must set it, and how the handler reads it. */
export interface EnvVar<T, Need extends "required" | "optional"> {
  readonly name: string;
  readonly need: Need;
  /** Turns the raw string into the handler's value; throws a message (without the name, added by readEnv). */
  readonly parse: (raw: string) => T;
  /** The value the handler gets when the variable is unset (optional variables only). */
  readonly fallback?: T;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyEnvVar = EnvVar<any, "required" | "optional">;
export type EnvSchema = Readonly<Record<string, AnyEnvVar>>;

const asString = (raw: string) => raw;

/** A variable the stack and the local runtime must set. */
export function required<T = string>(name: string, parse: (raw: string) => T = asString as (raw: string) => T): EnvVar<NoInfer<T>, "required"> {
  return { name, need: "required", parse };
}

/** A variable that may be unset: the handler gets `fallback` (or undefined without one). */
// NoInfer: the type comes from `parse`, never from where the variable is used (a schema would make it `any`).
export function optional<T = string>(name: string, parse?: (raw: string) => T): EnvVar<NoInfer<T> | undefined, "optional">;
export function optional<T = string>(name: string, parse: (raw: string) => T, fallback: T): EnvVar<NoInfer<T>, "optional">;
export function optional<T>(name: string, parse: (raw: string) => T = asString as (raw: string) => T, fallback?: T): EnvVar<T | undefined, "optional"> {
  return fallback === undefined ? { name, need: "optional", parse } : { name, need: "optional", parse, fallback };
}

/** A non-negative number (seconds, counts). */
export function nonNegativeNumber(raw: string): number {
  const n = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(n) || n < 0) throw new Error(`must be a non-negative number, got ${JSON.stringify(raw)}`);
  return n;
}

type RequiredKeys<S extends EnvSchema> = { [K in keyof S]: S[K]["need"] extends "required" ? K : never }[keyof S];
type OptionalKeys<S extends EnvSchema> = Exclude<keyof S, RequiredKeys<S>>;

/** What `toEnv` takes: a value for every required variable, optional ones may be left out. */
export type EnvValues<S extends EnvSchema, V> = { [K in RequiredKeys<S>]: V } & { [K in OptionalKeys<S>]?: V | undefined };

/** What `readEnv` returns: each variable parsed. */
export type EnvOf<S extends EnvSchema> = { [K in keyof S]: ReturnType<S[K]["parse"]> };

/** Fills the environment from values keyed like the schema (the variable names come from the schema). */
export function envFromValues<S extends EnvSchema, V>(schema: S, values: EnvValues<S, V>): Record<string, V> {
  const out: Record<string, V> = {};
  const given = values as Record<string, V | undefined>;
  for (const [key, variable] of Object.entries(schema)) {
    const value = given[key];
    if (value === undefined) {
      if (variable.need === "required") throw new Error(`${variable.name} (${key}) is required`);
      continue;
    }
    out[variable.name] = value;
  }
  return out;
}

/** Reads the environment; a missing required variable or a value that does not parse is an error naming it. */
export function readEnvWith<S extends EnvSchema>(schema: S, env: Readonly<Record<string, string | undefined>>, owner: string): EnvOf<S> {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, variable] of Object.entries(schema)) {
    const raw = env[variable.name];
    if (raw === undefined || raw === "") {
      if (variable.need === "required") problems.push(`environment variable ${variable.name} is required`);
      else out[key] = variable.fallback;
      continue;
    }
    try {
      out[key] = variable.parse(raw);
    } catch (err) {
      problems.push(`environment variable ${variable.name} ${(err as Error).message}`);
    }
  }
  if (problems.length > 0) throw new Error(`${owner}: ${problems.join("; ")}`);
  return out as EnvOf<S>;
}

/** When a scheduled function runs: the key of the stage's `schedules` that holds its expression. */
export type ScheduleKey = "autoscaler" | "watchdog" | "compactor";

export interface FunctionSpec<S extends EnvSchema, M extends Readonly<Record<string, string>>> {
  /** The logical name in the stacks, and the key of its AWS call list (aws-calls/functions.ts). */
  id: string;
  /** Short name: the Powertools service name (POWERTOOLS_SERVICE_NAME, the `service` metric dimension), log and alarm key. */
  service: string;
  /** The module under the repository root, without extension (`functions/ingest`). */
  module: string;
  /** Its environment, besides POWERTOOLS_SERVICE_NAME (which `toEnv` sets from `service`). */
  env: S;
  /** The custom metrics it emits, from the metric catalog (metrics/catalog.ts). */
  metrics: M;
  /** Its schedule, when the function is scheduled. */
  schedule?: ScheduleKey;
  /** Its size when no stage setting sizes it (the stack and the local sandbox use the same). */
  size?: { memoryMb: number; timeoutSeconds: number };
  /** The AWS calls it makes (aws-calls/functions.ts); the stacks grant exactly these. */
  calls: readonly AwsCall[];
}

export interface FunctionDescription<S extends EnvSchema, M extends Readonly<Record<string, string>>> extends FunctionSpec<S, M> {
  /** SST's `handler`: `functions/ingest.handler`. */
  readonly handler: string;
  /** The handler's source file, for the local Lambda sandbox: `functions/ingest.ts`. */
  readonly sourceFile: string;
  /** The whole environment of the function: the schema's values plus POWERTOOLS_SERVICE_NAME. */
  toEnv<V = string>(values: EnvValues<S, V>): Record<string, V | string>;
  /** The handler's settings, read once per cold start. */
  readEnv(env: Readonly<Record<string, string | undefined>>): EnvOf<S>;
}

/**
 * Powertools reads its service name from here (https://docs.powertools.aws.dev/lambda/typescript/latest/#environment-variables):
 * the handler builds Logger and Metrics without arguments.
 */
export const SERVICE_NAME_VARIABLE = "POWERTOOLS_SERVICE_NAME";

export function defineFunction<S extends EnvSchema, M extends Readonly<Record<string, string>>>(spec: FunctionSpec<S, M>): FunctionDescription<S, M> {
  return {
    ...spec,
    handler: `${spec.module}.handler`,
    sourceFile: `${spec.module}.ts`,
    toEnv: (values) => ({ ...envFromValues(spec.env, values), [SERVICE_NAME_VARIABLE]: spec.service }),
    readEnv: (env) => readEnvWith(spec.env, env, `function ${spec.service}`),
  };
}
