import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { COMPACTION_ENV, compactorEnvironment, runConfigFromEnvironment, validateCompactionSettings } from "../src/compaction/config";
import {
  decideRecovery,
  INTENT_KIND,
  IntentFormatError,
  parseIntent,
  serializeIntent,
  type CompactionIntent,
  type RecoveryObservation,
} from "../src/compaction/protocol";
import { STAGES } from "../src/stage-config";

const P = "curated/events/year=2024/month=03/day=05/event_type=track/";
const intent: CompactionIntent = {
  kind: INTENT_KIND,
  version: 1,
  partition: P,
  output: `${P}compacted-${"ab".repeat(16)}.parquet`,
  inputs: [
    { key: `${P}part-0000000001-0.parquet`, size: 100, etag: '"e1"', rows: 3 },
    { key: `${P}part-0000000002-0.parquet`, size: 200, etag: '"e2"', rows: 4 },
    { key: `${P}part-0000000003-0.parquet`, size: 300, etag: '"e3"', rows: 5 },
  ],
  expectedRows: 12,
  schemaFingerprint: "f".repeat(64),
  createdAt: "2024-03-06T12:00:00.000Z",
  runId: "run-1",
};

describe("compaction intent document", () => {
  it("round-trips", () => {
    expect(parseIntent(serializeIntent(intent))).toEqual(intent);
  });

  it("rejects malformed intents with a message naming the problem", () => {
    const bad = (patch: Record<string, unknown>) => serializeIntent({ ...intent, ...patch } as CompactionIntent);
    const cases: [string, RegExp][] = [
      ["not json", /not JSON/],
      [bad({ kind: "x" }), /kind/],
      [bad({ version: 2 }), /version/],
      [bad({ expectedRows: 13 }), /sum of the inputs/],
      [bad({ inputs: intent.inputs.slice(0, 1), expectedRows: 3 }), /at least two/],
      [bad({ inputs: [intent.inputs[0], intent.inputs[0]], expectedRows: 6 }), /repeat/],
      [bad({ output: "curated/events/elsewhere.parquet" }), /output/],
      [bad({ inputs: [{ ...intent.inputs[0], key: "raw/x" }, intent.inputs[1]], expectedRows: 7 }), /inputs\[0\]\.key/],
      [bad({ inputs: [{ ...intent.inputs[0], etag: "" }, intent.inputs[1]], expectedRows: 7 }), /etag/],
      [bad({ createdAt: "yesterday" }), /createdAt/],
    ];
    for (const [text, message] of cases) {
      expect(() => parseIntent(text, "k")).toThrow(IntentFormatError);
      expect(() => parseIntent(text, "k")).toThrow(message);
    }
  });
});

const stateArb = fc.constantFrom("intact", "replaced", "missing") as fc.Arbitrary<"intact" | "replaced" | "missing">;
const observationArb: fc.Arbitrary<RecoveryObservation> = fc.record({
  ageMs: fc.integer({ min: 0, max: 10_000 }),
  output: fc.constantFrom("verified", "invalid", "missing") as fc.Arbitrary<RecoveryObservation["output"]>,
  inputs: fc.tuple(stateArb, stateArb, stateArb).map((s) => Object.fromEntries(intent.inputs.map((i, n) => [i.key, s[n]!]))),
});

describe("compaction recovery decision", () => {
  it("never loses a row: deletes inputs only behind a verified output, the output only when every input is still there", () => {
    fc.assert(
      fc.property(observationArb, (seen) => {
        const decision = decideRecovery(intent, seen, 5_000);
        if (seen.ageMs < 5_000) {
          expect(decision).toEqual({ action: "wait" });
          return;
        }
        const states = intent.inputs.map((i) => seen.inputs[i.key]);
        switch (decision.action) {
          case "roll-forward":
            expect(seen.output).toBe("verified");
            expect(states).not.toContain("replaced");
            // Only intact inputs of the intent are deleted.
            expect(decision.deleteInputs).toEqual(intent.inputs.filter((i) => seen.inputs[i.key] === "intact").map((i) => i.key));
            break;
          case "roll-back":
            // Undoing is only allowed when no input is gone: the inputs then hold every row.
            expect(states).not.toContain("missing");
            expect(decision.deleteOutput).toBe(seen.output !== "missing");
            break;
          case "stuck":
            expect(states).toContain("missing");
            break;
          default:
            throw new Error(`unexpected ${decision.action}`);
        }
      }),
    );
  });

  it("finishes a merge killed after its output, undoes one killed before", () => {
    const all = (s: "intact" | "missing") => Object.fromEntries(intent.inputs.map((i) => [i.key, s]));
    expect(decideRecovery(intent, { ageMs: 10, output: "verified", inputs: all("intact") }, 0)).toEqual({
      action: "roll-forward",
      deleteInputs: intent.inputs.map((i) => i.key),
    });
    expect(decideRecovery(intent, { ageMs: 10, output: "verified", inputs: all("missing") }, 0)).toEqual({ action: "roll-forward", deleteInputs: [] });
    expect(decideRecovery(intent, { ageMs: 10, output: "missing", inputs: all("intact") }, 0)).toEqual({ action: "roll-back", deleteOutput: false });
    expect(decideRecovery(intent, { ageMs: 10, output: "missing", inputs: all("missing") }, 0).action).toBe("stuck");
  });
});

describe("compaction settings", () => {
  it("are valid for every stage and reach the function through one environment variable", () => {
    for (const [name, stage] of Object.entries(STAGES)) {
      expect(validateCompactionSettings(stage.compaction), name).toEqual([]);
      const env = compactorEnvironment(stage.compaction);
      const config = runConfigFromEnvironment(env);
      expect(config.targetBytes).toBe(stage.compaction.targetFileMb * 1024 * 1024);
      expect(config.settleMs).toBe(stage.compaction.settleMinutes * 60_000);
      expect(config.intentLeaseMs).toBeGreaterThan(stage.compaction.timeoutSeconds * 1000);
    }
  });

  it("reject bad settings with clear messages", () => {
    const base = STAGES.dev.compaction;
    expect(validateCompactionSettings({ ...base, maxFilesPerMerge: 5000 })).toEqual([expect.stringMatching(/maxFilesPerMerge.*DeleteObjects/)]);
    expect(validateCompactionSettings({ ...base, intentLeaseMinutes: 1 })).toEqual([expect.stringMatching(/intentLeaseMinutes must exceed/)]);
    expect(() => runConfigFromEnvironment({})).toThrow(`environment variable ${COMPACTION_ENV} is required`);
    expect(() => runConfigFromEnvironment({ [COMPACTION_ENV]: "{" })).toThrow(/not JSON/);
    expect(() => runConfigFromEnvironment({ [COMPACTION_ENV]: JSON.stringify({ ...base, smallFileMb: "x" }) })).toThrow(/smallFileMb must be a number/);
  });
});
