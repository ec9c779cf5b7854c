import { spawn, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { FaultPlan } from "../fault-plan";
import type { LocalInfo } from "../local-config";

const ROOT = join(import.meta.dirname, "..", "..", "..", "..");

export interface PipelineChild {
  child: ChildProcess;
  /** The pipeline's local.json info, once it serves. */
  info: Promise<LocalInfo>;
  exited: Promise<void>;
}

/**
 * Runs the local pipeline in a child process, so a test or `eventlake prove` can kill -9 it. `components` is a
 * JavaScript expression over the modules named in `imports` ({binding: repo-relative path}), e.g.
 * `[curatorComponent({ windowMs: 300 })]`; without it the pipeline runs all its default components.
 * SIGTERM closes the pipeline cleanly; runtime log lines go to `onLine`.
 */
export function spawnPipeline(options: {
  dataDir: string;
  imports?: Record<string, string>;
  components?: string;
  /** Port of the ingest endpoint (0: any free one). A fixed port lets clients keep their endpoint across restarts. */
  port?: number;
  shards?: number;
  faults?: FaultPlan;
  env?: Record<string, string>;
  onLine?: (line: string) => void;
}): PipelineChild {
  const pipelineOptions = {
    dataDir: options.dataDir,
    port: options.port ?? 0,
    apiThrottling: false,
    ...(options.shards ? { shards: options.shards } : {}),
    ...(options.faults ? { faults: options.faults } : {}),
  };
  const script = [
    `const { startLocalPipeline } = await import(${JSON.stringify(join(ROOT, "packages/local/src/runtime.ts"))});`,
    ...Object.entries(options.imports ?? {}).map(([binding, path]) => `const { ${binding} } = await import(${JSON.stringify(join(ROOT, path))});`),
    `const p = await startLocalPipeline({ ...${JSON.stringify(pipelineOptions)}, log: (l) => console.log(l) }${options.components ? `, ${options.components}` : ""});`,
    `console.log(JSON.stringify(p.info));`,
    `process.on("SIGTERM", async () => { await p.close(); process.exit(0); });`,
  ].join("\n");
  // A file, not `-e`: the functions' worker threads inherit the process's exec arguments.
  const file = join(options.dataDir, "pipeline-child.mjs");
  writeFileSync(file, script);
  const child = spawn(process.execPath, ["--import", "tsx", file], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", ...options.env },
  });
  const info = new Promise<LocalInfo>((resolve, reject) => {
    let pending = "";
    child.stdout!.on("data", (d: Buffer) => {
      pending += d.toString();
      const lines = pending.split("\n");
      pending = lines.pop()!;
      for (const line of lines) {
        options.onLine?.(line);
        if (line.startsWith("{")) resolve(JSON.parse(line) as LocalInfo);
      }
    });
    child.once("exit", (code, signal) => reject(new Error(`pipeline child exited (${code ?? signal}) before starting`)));
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return { child, info, exited };
}
