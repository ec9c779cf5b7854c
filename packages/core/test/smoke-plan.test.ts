import { describe, expect, it } from "vitest";
import { curatedPrefixes, planSmoke, RAW_PARTITION_LOOKBACK_MS, rawPrefixes, SMOKE_ROUTES, smokeRunId, smokeSettled, smokeVerdict } from "../src/smoke/plan";
import { routeForPath } from "../src/ingest/routes";
import { DEFAULT_OUTPUTS_FILE, resolveStageOutputs, stageRegion } from "../src/stage-outputs";

const at = Date.UTC(2026, 11, 2, 23, 59, 30);

describe("smoke plan", () => {
  const plan = planSmoke({ runId: smokeRunId(at, 0.123456), eventTimeMs: at, batchSize: 4 });

  it("sends one event per single route and a batch, every messageId unique and carrying the run id", () => {
    expect(plan.requests.map((r) => r.route.path)).toEqual(SMOKE_ROUTES.map((r) => r.path));
    expect(plan.messageIds).toHaveLength(SMOKE_ROUTES.filter((r) => r.body === "single").length + 4);
    expect(new Set(plan.messageIds).size).toBe(plan.messageIds.length);
    expect(plan.runId).toBe("20261202235930-123456");
    for (const id of plan.messageIds) expect(id.startsWith(`smoke-${plan.runId}-`)).toBe(true);
    const batch = plan.requests.find((r) => r.route.body === "batch")!;
    expect((batch.body.batch as { messageId: string }[]).map((e) => e.messageId)).toEqual(batch.messageIds);
  });

  it("sends a short route, and only routes the API serves with the endpoint their body is for", () => {
    expect(plan.requests.filter((r) => r.route.short).map((r) => r.route.path)).toEqual(["/v1/t"]);
    for (const route of SMOKE_ROUTES) {
      const served = routeForPath(route.path);
      expect(served?.method).toBe("POST");
      expect(served?.endpoint).toBe(route.body === "batch" ? "batch" : route.type);
    }
  });

  it("looks in the raw hour partitions of the run (across midnight) and the curated partitions of its events", () => {
    expect(rawPrefixes(at, at + 3_600_000)).toEqual(["raw/year=2026/month=12/day=02/hour=23/", "raw/year=2026/month=12/day=03/hour=00/"]);
    // A run 10 minutes past the hour: the buffer holding its events may be named by a record of the hour before
    // (both Firehose buffers at their 900 s maximum).
    expect(RAW_PARTITION_LOOKBACK_MS).toBe(1_800_000);
    const tenPast = Date.UTC(2026, 11, 3, 0, 10);
    expect(rawPrefixes(tenPast - RAW_PARTITION_LOOKBACK_MS, tenPast)).toEqual(["raw/year=2026/month=12/day=02/hour=23/", "raw/year=2026/month=12/day=03/hour=00/"]);
    expect(curatedPrefixes(plan)).toEqual([
      "curated/events/year=2026/month=12/day=02/event_type=track/",
      "curated/events/year=2026/month=12/day=02/event_type=page/",
      "curated/events/year=2026/month=12/day=02/event_type=identify/",
    ]);
  });

  it("passes only when every event is accepted, archived and curated exactly once, and names what is wrong", () => {
    const once = new Map(plan.messageIds.map((id) => [id, 1]));
    const clean = { accepted: plan.messageIds, notAccepted: [], raw: once, curated: once };
    expect(smokeVerdict(plan, clean)).toMatchObject({ ok: true, problems: [], notes: [] });
    expect(smokeSettled(plan.messageIds, clean)).toBe(true);

    const [first, second] = plan.messageIds as [string, string];
    const lost = new Map(once);
    lost.delete(second);
    const missing = smokeVerdict(plan, { ...clean, curated: lost });
    expect(missing.ok).toBe(false);
    expect(missing.curated.missing).toEqual([second]);
    expect(missing.problems).toEqual([`1 of ${plan.messageIds.length} event(s) missing from curated/: ${second}`]);
    expect(smokeSettled(plan.messageIds, { raw: once, curated: lost })).toBe(false);
    // Waiting ends when the accepted events are in: one the API refused never arrives.
    expect(smokeSettled(plan.messageIds.filter((id) => id !== second), { raw: once, curated: lost })).toBe(true);

    const twice = smokeVerdict(plan, { ...clean, curated: new Map([...once, [first, 2]]) });
    expect(twice.problems).toEqual([`1 event(s) curated more than once: ${first} x2`]);

    // The raw archive is at-least-once: a second copy is a note, not a failure.
    const rawTwice = smokeVerdict(plan, { ...clean, raw: new Map([...once, [first, 2]]) });
    expect(rawTwice).toMatchObject({ ok: true, notes: [expect.stringMatching(/^1 event\(s\) archived more than once/)] });

    const refused = smokeVerdict(plan, { accepted: [], notAccepted: plan.messageIds.map((messageId) => ({ messageId, answer: "HTTP 401" })), raw: new Map(), curated: new Map() });
    expect(refused.problems[0]).toMatch(new RegExp(`^the API did not accept ${plan.messageIds.length} of ${plan.messageIds.length} event\\(s\\): .* \\(HTTP 401\\) and \\d+ more$`));
  });
});

describe("stage outputs", () => {
  const outputs = {
    stage: "alice",
    region: "eu-west-1",
    apiUrl: "https://abc.execute-api.eu-west-1.amazonaws.com",
    streamName: "eventlake-alice-stream",
    lakeBucket: "eventlake-alice-lake",
    assetsBucket: "eventlake-alice-assets",
    curationJob: "eventlake-alice-curation",
    alarmNames: ["eventlake-alice-stream-throttling"],
    dashboardUrl: "https://console.aws.amazon.com/cloudwatch/home",
  };

  it("resolves a stage's resources from SST's outputs", () => {
    const resolved = resolveStageOutputs("alice", JSON.stringify(outputs));
    expect(resolved).toEqual({ ok: true, resources: { stage: "alice", region: "eu-west-1", apiUrl: outputs.apiUrl, streamName: outputs.streamName, lakeBucket: outputs.lakeBucket, assetsBucket: outputs.assetsBucket, curationJob: outputs.curationJob, alarmNames: outputs.alarmNames } });
    if (!resolved.ok) return;
    expect(stageRegion(resolved.resources)).toBe("eu-west-1");
    expect(stageRegion(resolved.resources, "us-east-2")).toBe("us-east-2");
    // A stage deployed by `sst dev` has no Glue job.
    const dev = resolveStageOutputs("alice", JSON.stringify({ ...outputs, curationJob: "" }));
    expect(dev.ok && dev.resources.curationJob).toBeUndefined();
  });

  it("refuses, in one line saying what to do, a missing file, another stage's outputs, old or broken outputs", () => {
    const cases: [string | undefined, RegExp][] = [
      [undefined, /^no outputs for stage "alice": \.sst\/outputs\.json does not exist; deploy it with `npx sst deploy --stage alice`/],
      ["{not json", /^\.sst\/outputs\.json is not JSON; deploy it with/],
      ["[]", /does not hold SST outputs/],
      [JSON.stringify({ ...outputs, stage: "bob" }), /holds the outputs of stage "bob", not "alice" \(SST keeps only the last deploy's\); deploy it with `npx sst deploy --stage alice`/],
      [JSON.stringify({ ...outputs, stage: undefined }), /does not say which stage it describes/],
      [JSON.stringify({ ...outputs, region: undefined, alarmNames: "x" }), /lacks region, alarmNames for stage "alice"/],
    ];
    for (const [text, message] of cases) {
      const resolved = resolveStageOutputs("alice", text, DEFAULT_OUTPUTS_FILE);
      expect(resolved.ok).toBe(false);
      if (resolved.ok) continue;
      expect(resolved.message).toMatch(message);
      expect(resolved.message).not.toContain("\n");
    }
  });
});
