/**
 * The local EventBridge Scheduler: runs scheduled functions (their real handler files, each in its own Lambda
 * sandbox) on their schedule expressions, with the event shape the stacks give Scheduler (core/schedule.ts
 * ScheduledEvent). Rates count from the scheduler's start (as from a schedule's creation on AWS), cron is UTC,
 * and `rate(N seconds)` is accepted for local clocks. Unlike AWS, an invocation still running when the next one is
 * due is not overlapped: that fire is skipped and logged (the handlers are written for one run at a time).
 */
import { randomUUID } from "node:crypto";
import { nextFireTime, parseScheduleExpression, type ScheduleExpression, type ScheduledEvent } from "@eventlake/core/schedule";
import type { LocalLambda } from "@eventlake/emulators/lambda/local-lambda";

export interface ScheduledFunction {
  /** The schedule's name: the event's `schedule`. */
  name: string;
  /** EventBridge Scheduler expression. */
  schedule: string;
  /** Creates the function (its sandbox starts on the first invocation), from its description (index.ts). */
  create: () => LocalLambda;
  /** One line for the terminal from a successful invocation's result; undefined stays quiet. */
  summarize?: (result: unknown) => string | undefined;
}

export interface InvocationRecord {
  name: string;
  scheduledTime: string;
  durationMs: number;
  ok: boolean;
  error?: string;
  result?: unknown;
}

interface Entry {
  fn: ScheduledFunction;
  expression: ScheduleExpression;
  lambda?: LocalLambda;
  timer?: NodeJS.Timeout;
  running?: Promise<void>;
  skipped: number;
}

export interface LocalSchedulerOptions {
  log: (line: string) => void;
  /** Called after every invocation (tests, status). */
  onInvocation?: (record: InvocationRecord) => void;
}

export class LocalScheduler {
  private readonly entries = new Map<string, Entry>();
  private startMs = 0;
  private closed = false;

  constructor(private readonly options: LocalSchedulerOptions) {}

  /** Registers a scheduled function; its expression is checked now (local units allowed). */
  add(fn: ScheduledFunction): void {
    if (this.entries.has(fn.name)) throw new Error(`scheduled function ${fn.name} is already registered`);
    this.entries.set(fn.name, { fn, expression: parseScheduleExpression(fn.schedule, { allowSeconds: true }), skipped: 0 });
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  start(nowMs = Date.now()): void {
    this.startMs = nowMs;
    // The functions are created now (their sandboxes start on the first invocation), so the runtime, which closes
    // what was created last first, stops this scheduler before their sandboxes.
    for (const entry of this.entries.values()) this.lambdaOf(entry);
    for (const entry of this.entries.values()) this.arm(entry, nowMs);
  }

  private lambdaOf(entry: Entry): LocalLambda {
    entry.lambda ??= entry.fn.create();
    return entry.lambda;
  }

  private arm(entry: Entry, afterMs: number): void {
    if (this.closed) return;
    const next = nextFireTime(entry.expression, afterMs, this.startMs);
    if (next === undefined) return;
    const timer = setTimeout(() => {
      // A fire missed while the machine slept is not replayed: the next one is computed from now.
      this.fire(entry, next);
      this.arm(entry, Math.max(next, Date.now()));
    }, Math.max(0, next - Date.now()));
    timer.unref();
    entry.timer = timer;
  }

  private fire(entry: Entry, scheduledMs: number): void {
    if (entry.running) {
      entry.skipped++;
      if (entry.skipped === 1 || entry.skipped % 10 === 0) {
        this.options.log(`scheduler: ${entry.fn.name} still running at its next fire time: skipped (${entry.skipped} so far)`);
      }
      return;
    }
    entry.running = this.invokeEntry(entry, scheduledMs).finally(() => {
      entry.running = undefined;
    });
  }

  private async invokeEntry(entry: Entry, scheduledMs: number): Promise<void> {
    const lambda = this.lambdaOf(entry);
    const event: ScheduledEvent = {
      source: "eventlake.schedule",
      schedule: entry.fn.name,
      scheduledTime: new Date(Math.floor(scheduledMs / 1000) * 1000).toISOString().replace(".000Z", "Z"),
      executionId: randomUUID(),
      attempt: "1",
    };
    const started = Date.now();
    let record: InvocationRecord;
    try {
      const result = await lambda.invoke(event);
      record = { name: entry.fn.name, scheduledTime: event.scheduledTime, durationMs: Date.now() - started, ok: true, result };
      const line = entry.fn.summarize?.(result);
      if (line) this.options.log(`${entry.fn.name}: ${line}`);
    } catch (err) {
      const error = (err as Error).message;
      record = { name: entry.fn.name, scheduledTime: event.scheduledTime, durationMs: Date.now() - started, ok: false, error };
      if (!this.closed) this.options.log(`scheduler: ${entry.fn.name} failed: ${error}`);
    }
    this.options.onInvocation?.(record);
  }

  /** Invokes a scheduled function now, as its schedule would (waits for a run in progress first). */
  async invoke(name: string): Promise<void> {
    const entry = this.entries.get(name);
    if (!entry) throw new Error(`no scheduled function ${name} (have: ${this.names().join(", ")})`);
    await entry.running;
    entry.running = this.invokeEntry(entry, Date.now()).finally(() => {
      entry.running = undefined;
    });
    await entry.running;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const entry of this.entries.values()) if (entry.timer) clearTimeout(entry.timer);
    // Running invocations end with their sandboxes (closed by the runtime); do not wait for long ones here.
    await Promise.race([Promise.all([...this.entries.values()].map((e) => e.running)), new Promise((r) => setTimeout(r, 5_000).unref())]);
  }
}
