/**
 * One watchdog run over its ports: list the job's runs, decide, start it if needed, notify. The Lambda handler
 * (functions/watchdog.ts) builds the ports and turns the outcome into logs and metrics (JobNotRunning every run).
 */
import type { JobRuns, Notice, Notifier } from "../ports";
import { decideWatchdog, type WatchdogDecision, type WatchdogSettings } from "./decision";

export interface WatchdogDeps {
  jobs: JobRuns;
  notifier: Notifier;
}

export interface WatchdogConfig {
  stage: string;
  jobName: string;
  settings: WatchdogSettings;
}

export interface WatchdogOutcome {
  decision?: WatchdogDecision;
  /** The run started this time, if any. */
  startedRunId?: string;
  /** StartJobRun was refused because a run became active meanwhile (not a failure). */
  alreadyRunning?: boolean;
  failure?: { step: "list-runs" | "start-run"; error: string };
  notices: string[];
  notifyError?: string;
}

const describe = (err: unknown) => (err instanceof Error ? `${err.name}: ${err.message}` : String(err));

function notice(config: WatchdogConfig, title: string, lines: string[], code: string): Notice {
  const subject = `[eventlake ${config.stage}] ${title}`.replace(/[^\x20-\x7e]/g, "?");
  return {
    subject: subject.length <= 100 ? subject : `${subject.slice(0, 97)}...`,
    message: [title, "", ...lines, "", `job: ${config.jobName}`, `stage: ${config.stage}`].join("\n"),
    attributes: { source: "watchdog", stage: config.stage, job: config.jobName, code },
  };
}

export async function runWatchdog(deps: WatchdogDeps, config: WatchdogConfig, nowMs: number): Promise<WatchdogOutcome> {
  const result: WatchdogOutcome = { notices: [] };
  const pending: Notice[] = [];
  try {
    let runs;
    try {
      runs = await deps.jobs.list(config.jobName, 25);
    } catch (err) {
      result.failure = { step: "list-runs", error: describe(err) };
      throw err;
    }
    const decision = decideWatchdog({ nowMs, jobName: config.jobName, runs, settings: config.settings });
    result.decision = decision;
    if (decision.start) {
      try {
        const started = await deps.jobs.start(config.jobName);
        if (started.alreadyRunning) result.alreadyRunning = true;
        else if (started.runId) result.startedRunId = started.runId;
      } catch (err) {
        result.failure = { step: "start-run", error: describe(err) };
        throw err;
      }
    }
    if (decision.alarm) {
      const title = decision.start
        ? result.alreadyRunning
          ? `Curation job was not running; another start won the race (${decision.code})`
          : `Curation job was not running: restarted it (${decision.code})`
        : `Curation job needs attention (${decision.code})`;
      pending.push(
        notice(config, title, [
          decision.reason,
          ...(result.startedRunId ? [`Started run ${result.startedRunId}; it resumes from the job's checkpoint.`] : []),
          "Until the job runs, curated/ is not updated and records wait in the stream (for its retention period).",
        ], decision.code),
      );
    }
  } catch (err) {
    pending.push(
      notice(config, `Watchdog failed at ${result.failure?.step ?? "list-runs"}`, [
        describe(err),
        result.decision ? `Finding before the failure: ${result.decision.reason}.` : "The job's state is unknown.",
      ], "failure"),
    );
    result.failure ??= { step: "list-runs", error: describe(err) };
  }
  for (const n of pending) {
    try {
      await deps.notifier.publish(n);
      result.notices.push(n.subject);
    } catch (err) {
      result.notifyError = `${n.subject}: ${describe(err)}`;
    }
  }
  return result;
}
