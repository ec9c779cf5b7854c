import { randomUUID } from "node:crypto";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";

const WORKER_FILE = fileURLToPath(new URL("./worker.mjs", import.meta.url));
/** How long close() lets a sandbox that is still loading its handler finish before terminating it. */
const CLOSE_LOAD_WAIT_MS = 5_000;

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

export interface LocalLambdaOptions {
  functionName: string;
  /** Absolute path of the handler module (TypeScript is fine). */
  handlerFile: string;
  exportName?: string;
  /** The function's environment, as the stacks would set it. */
  env: Record<string, string>;
  timeoutMs: number;
  memoryMb?: number;
  region: string;
  /**
   * Fault injection for tests: latency added to every invocation, inside its timeout (as a slow handler or a slow
   * downstream call would be).
   */
  injectedLatencyMs?: number;
  /** Every line the function prints (its logs and EMF metrics). */
  onLogLine?: (line: string) => void;
}

interface SandboxMessage {
  ready?: boolean;
  /** The handler could not be loaded (worker.mjs): Lambda's Runtime.ImportModuleError or Runtime.HandlerNotFound. */
  loadError?: { errorType: string; errorMessage: string };
  id?: string;
  ok?: boolean;
  result?: unknown;
  error?: { errorType: string; errorMessage: string };
}

/** Thrown when an invocation fails: the handler threw, timed out, or its sandbox died. */
export class LambdaInvocationError extends Error {
  constructor(
    readonly functionName: string,
    readonly errorType: string,
    message: string,
  ) {
    super(`${functionName}: ${errorType}: ${message}`);
    this.name = "LambdaInvocationError";
  }
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * Runs one Lambda function locally in a worker thread with the real handler file. Invocations get the Lambda
 * deadline; one that overruns its timeout fails with Task timed out and the sandbox is replaced, as on AWS.
 * Unlike AWS, one sandbox serves concurrent invocations (handlers are async), which is enough on one machine.
 */
export class LocalLambda {
  private worker: Worker | undefined;
  /** The sandbox being started or serving, once it has loaded the handler. */
  private ready: Promise<Worker> | undefined;
  private readonly pending = new Map<string, Pending>();
  private closed = false;
  invocations = 0;
  errors = 0;

  constructor(readonly options: LocalLambdaOptions) {}

  private start(): Promise<Worker> {
    const worker = new Worker(WORKER_FILE, {
      workerData: {
        handlerFile: this.options.handlerFile,
        exportName: this.options.exportName,
        functionName: this.options.functionName,
        region: this.options.region,
        memoryMb: this.options.memoryMb ?? 512,
      },
      env: { ...this.options.env, AWS_LAMBDA_FUNCTION_NAME: this.options.functionName, AWS_REGION: this.options.region },
      stdout: true,
      stderr: true,
    });
    this.worker = worker;
    for (const stream of [worker.stdout, worker.stderr]) {
      createInterface({ input: stream }).on("line", (line) => this.options.onLogLine?.(line));
    }
    this.ready = new Promise<Worker>((resolve, reject) => {
      const onMessage = (message: SandboxMessage) => {
        if (message.ready) {
          resolve(worker);
          return;
        }
        if (message.loadError) {
          reject(new LambdaInvocationError(this.options.functionName, message.loadError.errorType, message.loadError.errorMessage));
          return;
        }
        const pending = message.id ? this.pending.get(message.id) : undefined;
        if (!pending) return;
        this.pending.delete(message.id!);
        clearTimeout(pending.timer);
        if (message.ok) pending.resolve(message.result);
        else {
          this.errors++;
          pending.reject(new LambdaInvocationError(this.options.functionName, message.error!.errorType, message.error!.errorMessage));
        }
      };
      worker.on("message", onMessage);
      worker.once("error", (error) => {
        reject(new LambdaInvocationError(this.options.functionName, "Runtime.ExitError", error.message));
        this.failAll("Runtime.ExitError", error.message);
      });
      worker.once("exit", () => {
        // Exited before it was ready (shut down or replaced while loading): an invocation waiting for it fails
        // instead of waiting forever. After ready, this rejection is a no-op.
        reject(new LambdaInvocationError(this.options.functionName, "Runtime.ExitError", "the sandbox exited before it was ready"));
        if (this.worker === worker) {
          this.worker = undefined;
          this.ready = undefined;
        }
        this.failAll("Runtime.ExitError", "the sandbox exited");
      });
    });
    return this.ready;
  }

  private failAll(errorType: string, message: string) {
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      this.pending.delete(id);
      pending.reject(new LambdaInvocationError(this.options.functionName, errorType, message));
    }
  }

  async invoke<TResult = unknown>(event: unknown): Promise<TResult> {
    if (this.closed) throw new LambdaInvocationError(this.options.functionName, "Runtime.Closed", "the function was shut down");
    let worker: Worker;
    for (;;) {
      this.ready ??= this.start();
      worker = await this.ready;
      if (this.closed) throw new LambdaInvocationError(this.options.functionName, "Runtime.Closed", "the function was shut down");
      // A sandbox replaced while this invocation waited (a timeout of another one) is not used.
      if (this.worker === worker) break;
    }
    const id = randomUUID();
    const deadline = Date.now() + this.options.timeoutMs;
    this.invocations++;
    return new Promise<TResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.errors++;
        reject(new LambdaInvocationError(this.options.functionName, "Sandbox.Timedout", `Task timed out after ${this.options.timeoutMs / 1000} seconds`));
        // A timed-out sandbox is not reused: its handler may still be running.
        if (this.worker === worker) {
          this.worker = undefined;
          this.ready = undefined;
          void worker.terminate();
        }
      }, this.options.timeoutMs);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      const latency = this.options.injectedLatencyMs ?? 0;
      if (latency > 0) setTimeout(() => this.pending.has(id) && worker.postMessage({ id, event, deadline }), latency);
      else worker.postMessage({ id, event, deadline });
    });
  }

  async close() {
    this.closed = true;
    const worker = this.worker;
    const ready = this.ready;
    this.worker = undefined;
    this.ready = undefined;
    // A sandbox still loading its handler is let finish first (for a bounded time): terminating a thread in the
    // middle of module loading is where Node's worker termination is least robust.
    if (worker && ready) await Promise.race([ready.catch(() => undefined), delay(CLOSE_LOAD_WAIT_MS)]);
    if (worker) await worker.terminate();
    this.failAll("Runtime.Closed", "the function was shut down");
  }
}
