/**
 * Names the test files that did not finish. When a worker process dies (a native crash, an out-of-memory kill),
 * Vitest reports "Worker exited unexpectedly" without saying which file it was running, and CI keeps only the end
 * of the output: this prints, last, every file that started and never ended and every test in it that has no
 * result (a worker sends results in batches, so tests that passed just before the crash can be among them), so the
 * tail of a failed run says where to look.
 */
import type { Reporter, TestModule } from "vitest/node";

export default class UnfinishedModulesReporter implements Reporter {
  private readonly running = new Map<string, TestModule>();

  onTestModuleStart(module: TestModule): void {
    this.running.set(module.moduleId, module);
  }

  onTestModuleEnd(module: TestModule): void {
    this.running.delete(module.moduleId);
  }

  // The run's reason is not used: Vitest reports "passed" when the only failure is a dead worker.
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const unfinished = new Map(this.running);
    for (const module of modules) {
      const state = module.state();
      if (state === "pending" || state === "queued") unfinished.set(module.moduleId, module);
    }
    if (unfinished.size === 0) return;
    const lines = ["", `Test files that did not finish (${unfinished.size}):`];
    for (const module of unfinished.values()) {
      const tests = [...module.children.allTests()];
      const open = tests.filter((test) => test.result().state === "pending");
      lines.push(`  ${module.relativeModuleId}: ${tests.length - open.length} of ${tests.length} tests reported`);
      for (const test of open) lines.push(`    not reported: ${test.fullName}`);
    }
    process.stdout.write(`${lines.join("\n")}\n`);
  }
}
