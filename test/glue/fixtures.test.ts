/**
 * The Glue job's pure Python parts are unit-tested (glue/tests/) against fixtures produced by the TypeScript side
 * (test/glue/fixtures.ts). This keeps the committed fixture files equal to what TypeScript produces now.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { glueJobPlanJson } from "@eventlake/core/glue/job-plan";
import { buildKplFixtures, buildNamingFixtures } from "./fixtures";

const DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "glue", "tests", "fixtures");
const FILES = { "kpl-records.json": buildKplFixtures(), "naming.json": buildNamingFixtures() };
const text = (name: string) =>
  name === "curation-plan.json" ? glueJobPlanJson() : `${JSON.stringify(FILES[name as keyof typeof FILES], null, 2)}\n`;
/** Written on EVENTLAKE_UPDATE_FIXTURES=1; the plan fixture may lag the contract (the current plan is checked below). */
const NAMES = [...Object.keys(FILES), "curation-plan.json"];

describe("fixtures for the Glue job's Python tests", () => {
  if (process.env.EVENTLAKE_UPDATE_FIXTURES === "1") {
    for (const name of NAMES) writeFileSync(join(DIR, name), text(name));
  }

  it("cover aggregates, pass-through and malformed records", () => {
    const { cases } = FILES["kpl-records.json"];
    expect(cases.filter((c) => c.expected.length > 1).length).toBeGreaterThanOrEqual(3);
    expect(cases.some((c) => c.expected.length === 0)).toBe(true);
    // Every pass-through case returns the record's own bytes.
    for (const c of cases.filter((x) => /passes through/.test(x.name))) expect(c.expected).toEqual([c.record]);
  });

  it.each(Object.keys(FILES))("%s is committed as TypeScript produces it now", (name) => {
    const file = join(DIR, name);
    const regenerate = "regenerate: EVENTLAKE_UPDATE_FIXTURES=1 npx vitest run test/glue/fixtures.test.ts";
    expect(existsSync(file), `${file} is missing (${regenerate})`).toBe(true);
    expect(readFileSync(file, "utf8") === text(name), `${file} is stale (${regenerate})`).toBe(true);
  });

  it("the current plan (the contract as compiled now) passes the runner's plan checks", () => {
    const code = [
      "import sys",
      "from runner.plan import parse_plan",
      "plan = parse_plan(sys.stdin.buffer.read())",
      "print(len(plan.statements), len(plan.tables), len(plan.state))",
    ].join("\n");
    const result = spawnSync("python3", ["-B", "-c", code], { cwd: join(DIR, "..", ".."), input: glueJobPlanJson(), encoding: "utf8" });
    expect(result.status, `${result.stdout}${result.stderr}`).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\d+ 3 3$/);
  });
});
