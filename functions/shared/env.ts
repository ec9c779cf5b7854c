import { Resource } from "sst";

/**
 * Reads a handler's settings from its environment, the same on AWS (set by the stacks) and locally (set by the
 * local runtime). Missing required settings fail loudly at cold start.
 */
export function requireEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value === "") throw new Error(`environment variable ${name} is required`);
  return value;
}

/**
 * A secret's value: from EVENTLAKE_<NAME> when set (local runtime, tests), else from the SST resource the stacks
 * link into the function. SST ships linked values encrypted with the bundle (resource.enc, read through `Resource`)
 * on deploy, and as SST_RESOURCE_<Name> variables under `sst dev`; `Resource` handles both.
 */
export function readSecret(envName: string, sstName: string, env: NodeJS.ProcessEnv = process.env): string {
  const direct = env[envName];
  if (direct) return direct;
  let value: unknown;
  try {
    value = (Resource as unknown as Record<string, { value?: unknown } | undefined>)[sstName]?.value;
  } catch {
    // Resource throws when the function has no links at all.
    value = undefined;
  }
  if (typeof value === "string") return value;
  throw new Error(`secret ${sstName} is not configured (set ${envName}, or link the ${sstName} secret)`);
}
