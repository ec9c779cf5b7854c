import { describe, expect, it } from "vitest";
import { FUNCTIONS } from "@eventlake/core/functions/index";
import { ingestFunction } from "@eventlake/core/functions/ingest";
import { watchdogFunction } from "@eventlake/core/functions/watchdog";
import { callsOf } from "@eventlake/core/aws-calls/functions";

const ingestValues = { streamName: "s", lakeBucket: "lake", fallbackPrefix: "fallback/", schemaDir: "schemas", metricsNamespace: "eventlake/test" };

describe("function descriptions", () => {
  it("toEnv names every variable from the schema and adds the Powertools service name", () => {
    const env = ingestFunction.toEnv(ingestValues);
    expect(env[ingestFunction.env.streamName.name]).toBe("s");
    expect(env[ingestFunction.env.metricsNamespace.name]).toBe("eventlake/test");
    expect(Object.values(env)).toContain(ingestFunction.service);
    // Optional variables left out are not set at all (Lambda would see an empty string otherwise).
    expect(Object.keys(env)).not.toContain(ingestFunction.env.writeKeys.name);
    expect(Object.keys(env)).toHaveLength(Object.keys(ingestValues).length + 1);
  });

  it("readEnv reads back what toEnv wrote, with the schema's defaults and types", () => {
    const read = ingestFunction.readEnv(ingestFunction.toEnv({ ...ingestValues, retryAfterSeconds: "3" }));
    expect(read).toMatchObject({ streamName: "s", lakeBucket: "lake", retryAfterSeconds: 3, writeKeys: undefined });
    expect(ingestFunction.readEnv(ingestFunction.toEnv(ingestValues)).retryAfterSeconds).toBe(1);
  });

  it("readEnv fails at cold start naming every missing or malformed variable", () => {
    const env = ingestFunction.toEnv({ ...ingestValues, retryAfterSeconds: "soon" });
    delete env[ingestFunction.env.streamName.name];
    const error = (() => {
      try {
        ingestFunction.readEnv(env);
      } catch (err) {
        return (err as Error).message;
      }
      return "no error";
    })();
    expect(error).toContain(`function ${ingestFunction.service}`);
    expect(error).toContain(`${ingestFunction.env.streamName.name} is required`);
    expect(error).toContain(`${ingestFunction.env.retryAfterSeconds.name} must be a non-negative number`);
    expect(() => watchdogFunction.readEnv({})).toThrow(watchdogFunction.env.schedule.name);
  });

  it("toEnv refuses a missing required value at run time too (values typed as any)", () => {
    const values: Record<string, string> = { ...ingestValues };
    delete values.lakeBucket;
    expect(() => ingestFunction.toEnv(values as typeof ingestValues)).toThrow(ingestFunction.env.lakeBucket.name);
  });

  it("each description keys its AWS calls, handler and source file from one module path", () => {
    const ids = new Set<string>();
    for (const fn of FUNCTIONS) {
      expect(fn.calls).toBe(callsOf(fn.id as Parameters<typeof callsOf>[0]));
      expect(fn.handler).toBe(`${fn.module}.handler`);
      expect(fn.sourceFile).toBe(`${fn.module}.ts`);
      ids.add(fn.id);
    }
    expect(ids.size).toBe(FUNCTIONS.length);
  });
});
