import { Resource } from "sst";

/**
 * A secret linked to the function (the only thing the stacks link: ARCHITECTURE.md "One description per function").
 * SST ships linked values encrypted with the bundle (resource.enc, read through `Resource`) on deploy, and as
 * SST_RESOURCE_<Name> variables under `sst dev`; `Resource` handles both. `variable` names the environment variable
 * that would replace it (the local runtime and tests set that one instead), for the error message.
 */
export function linkedSecret(sstName: string, variable: string): string {
  let value: unknown;
  try {
    value = (Resource as unknown as Record<string, { value?: unknown } | undefined>)[sstName]?.value;
  } catch {
    // Resource throws when the function has no links at all.
    value = undefined;
  }
  if (typeof value === "string") return value;
  throw new Error(`secret ${sstName} is not configured (set ${variable}, or link the ${sstName} secret)`);
}
