/**
 * The outputs the CLI's `--stage` commands read (packages/core/src/stage-outputs.ts), asserted on a deployed stage:
 * every key is returned, the stage and region say which deployment they describe, and the stage's own outputs resolve.
 */
import { CLI_STAGE_OUTPUTS, resolveStageOutputs } from "@eventlake/core/stage-outputs";
import { describe, expect, it } from "vitest";
import type { Scenario } from "./harness";
import { RESOURCE_TYPES } from "./resource-types";

export function cliOutputsAssertions(stage: string, scenario: () => Scenario) {
  describe(`stage "${stage}": outputs for the CLI's --stage commands`, () => {
    it("returns every key the CLI reads, naming the stage, its region, its Glue job and every alarm", () => {
      const s = scenario();
      for (const key of CLI_STAGE_OUTPUTS) expect(s.outputs, key).toHaveProperty(key);
      const resolved = resolveStageOutputs(stage, JSON.stringify(s.outputs));
      expect(resolved).toMatchObject({ ok: true, resources: { stage, region: "us-east-1", curationJob: s.one(RESOURCE_TYPES.glueJob).inputs.name } });
      expect((s.outputs.alarmNames as string[]).sort()).toEqual(s.ofType("aws:cloudwatch/metricAlarm:MetricAlarm").map((a) => a.inputs.name).sort());
      expect(resolveStageOutputs(`${stage}-other`, JSON.stringify(s.outputs)).ok).toBe(false);
    });
  });
}
