/**
 * The deploy-time start of the curation job. There is no local Glue, so the port is a small simulated job (a fake
 * of Glue's run states, including ConcurrentRunsExceededException and slow stops).
 */
import { describe, expect, it } from "vitest";
import { ensureJobCurrent, planJobStart } from "../src/glue/job-start";
import type { JobControl, JobRunInfo } from "../src/ports";

const run = (id: string, state: string, startedOnMs: number): JobRunInfo => ({ id, state, startedOnMs });

describe("planJobStart", () => {
  it("starts a job that never ran or whose runs all ended", () => {
    expect(planJobStart([], 100).action).toBe("start");
    expect(planJobStart([run("r2", "FAILED", 200), run("r1", "STOPPED", 100)], 50)).toMatchObject({ action: "start", reason: expect.stringContaining("r2 FAILED") });
  });

  it("leaves a current active run alone (idempotent)", () => {
    for (const state of ["RUNNING", "STARTING", "WAITING"]) {
      expect(planJobStart([run("r1", state, 200)], 100)).toMatchObject({ action: "none", runId: "r1" });
    }
    expect(planJobStart([run("r1", "RUNNING", 200)], undefined).action).toBe("none");
  });

  it("stops runs that started before the definition changed, and waits for stopping runs", () => {
    expect(planJobStart([run("r1", "RUNNING", 100)], 200)).toMatchObject({ action: "stop", runIds: ["r1"] });
    expect(planJobStart([run("r1", "STOPPING", 100)], 200)).toMatchObject({ action: "wait", runIds: ["r1"] });
  });
});

/** A Glue job in miniature: one active run at most; a stop takes `stopPolls` polls to finish. */
class SimulatedJob implements JobControl {
  runs: JobRunInfo[] = [];
  calls: string[] = [];
  private clock = 1_000;
  private stoppingSince = new Map<string, number>();
  constructor(
    public modifiedMs: number,
    private readonly stopPolls = 2,
    private raceOnStart = false,
  ) {}

  tick() {
    this.clock += 1_000;
    for (const [id, since] of this.stoppingSince) {
      if (this.clock - since >= this.stopPolls * 1_000) {
        this.runs.find((r) => r.id === id)!.state = "STOPPED";
        this.stoppingSince.delete(id);
      }
    }
  }
  now = () => this.clock;
  async lastModifiedMs() {
    return this.modifiedMs;
  }
  async list() {
    return [...this.runs].sort((a, b) => (b.startedOnMs ?? 0) - (a.startedOnMs ?? 0));
  }
  async start() {
    this.calls.push("start");
    if (this.raceOnStart) {
      // Someone else (the watchdog) started a run a moment ago.
      this.raceOnStart = false;
      this.runs.push(run(`r${this.runs.length + 1}`, "STARTING", this.clock));
      return { alreadyRunning: true };
    }
    if (this.runs.some((r) => ["STARTING", "RUNNING", "WAITING", "STOPPING"].includes(r.state))) return { alreadyRunning: true };
    const id = `r${this.runs.length + 1}`;
    this.runs.push(run(id, "STARTING", this.clock));
    return { runId: id, alreadyRunning: false };
  }
  async stop(_job: string, ids: readonly string[]) {
    this.calls.push(`stop ${ids.join(",")}`);
    for (const id of ids) {
      this.runs.find((r) => r.id === id)!.state = "STOPPING";
      this.stoppingSince.set(id, this.clock);
    }
  }
}

const options = (job: SimulatedJob, budgetMs = 60_000) => ({
  deadlineMs: job.now() + budgetMs,
  now: job.now,
  sleep: async () => job.tick(),
  pollMs: 1_000,
});

describe("ensureJobCurrent", () => {
  it("starts a new job once; a second deploy-time call finds it running", async () => {
    const job = new SimulatedJob(500);
    expect(await ensureJobCurrent(job, "curation", options(job))).toMatchObject({ outcome: "started", runId: "r1" });
    expect(await ensureJobCurrent(job, "curation", options(job))).toMatchObject({ outcome: "running", runId: "r1" });
    expect(job.calls).toEqual(["start"]);
  });

  it("restarts a run of an older definition after it stopped", async () => {
    const job = new SimulatedJob(500, 3);
    job.runs.push(run("r1", "RUNNING", 100));
    const result = await ensureJobCurrent(job, "curation", options(job));
    expect(result).toMatchObject({ outcome: "started", runId: "r2" });
    expect(job.calls).toEqual(["stop r1", "start"]);
    expect(result.steps.filter((s) => s.startsWith("wait")).length).toBeGreaterThan(0);
  });

  it("does not fail when the old run does not stop before the deadline", async () => {
    const job = new SimulatedJob(500, 100);
    job.runs.push(run("r1", "RUNNING", 100));
    const result = await ensureJobCurrent(job, "curation", options(job, 5_000));
    expect(result.outcome).toBe("pending");
    expect(job.calls).toEqual(["stop r1"]);
  });

  it("treats a concurrent start as started and re-checks that run", async () => {
    const job = new SimulatedJob(500, 2, true);
    const result = await ensureJobCurrent(job, "curation", options(job));
    expect(result).toMatchObject({ outcome: "running", runId: "r1" });
    expect(job.calls).toEqual(["start"]);
  });
});
