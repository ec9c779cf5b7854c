/**
 * Local alarms as a part of the local pipeline (registered in components.ts, after the parts it watches): every
 * `intervalMs` it collects metrics (EMF from the functions and components, the local Kinesis and Firehose counters,
 * the Lambda sandboxes) into the local metrics store, then evaluates the alarm catalog against it.
 */
import type { LocalComponent } from "../pipeline-context";
import { MetricsCollector } from "../metrics/collector";
import { LocalMetricsStore } from "@eventlake/emulators/metrics/local-store";
import { LocalAlarmEvaluator } from "@eventlake/emulators/alarms/evaluator";

export interface LocalAlarmsOptions {
  /** How often metrics are collected and alarms evaluated (default 10 s). */
  intervalMs?: number;
  /** Overrides every alarm's period (default: the catalog's; tests use a few seconds). */
  periodSeconds?: number;
  /** Metric bucket size; must divide the periods (default 10 s, or 1 s with a period override under 10 s). */
  resolutionSeconds?: number;
  /** How long after a period ends it is judged (default: 2 s, or a quarter of an overridden period). */
  settleMs?: number;
}

export function localAlarmsComponent(options: LocalAlarmsOptions = {}): LocalComponent {
  return {
    name: "alarms",
    async start(ctx) {
      const period = options.periodSeconds;
      const resolutionSeconds = options.resolutionSeconds ?? (period !== undefined && period % 10 !== 0 ? 1 : 10);
      const store = new LocalMetricsStore(ctx.dataDir, { resolutionSeconds });
      const collector = new MetricsCollector({ dataDir: ctx.dataDir, store, functions: ctx.functions });
      const evaluator = new LocalAlarmEvaluator({
        dataDir: ctx.dataDir,
        stageName: "local",
        stage: ctx.stage,
        streamName: ctx.streamName,
        functionNames: () => ctx.functions().map((fn) => fn.options.functionName),
        metrics: store,
        ...(period !== undefined ? { periodSeconds: period } : {}),
        settleMs: options.settleMs ?? (period !== undefined ? Math.min(2_000, (period * 1000) / 4) : 2_000),
        log: ctx.log,
      });
      const tick = async () => {
        const now = Date.now();
        collector.collect(now);
        await evaluator.evaluate(now);
      };
      let running: Promise<void> = Promise.resolve();
      let stopped = false;
      const run = () => {
        running = running.then(tick).catch((error: unknown) => ctx.log(`alarms: evaluation failed: ${(error as Error).message}`));
      };
      run();
      const timer = setInterval(() => {
        if (!stopped) run();
      }, options.intervalMs ?? 10_000);
      timer.unref();
      ctx.log(`alarms: evaluating the alarm catalog every ${(options.intervalMs ?? 10_000) / 1000} s; notifications in ${ctx.dataDir}/alerts.log`);
      return {
        async close() {
          stopped = true;
          clearInterval(timer);
          await running;
          // A last collection, so what the functions printed before shutdown is kept.
          collector.collect(Date.now());
        },
      };
    },
  };
}
