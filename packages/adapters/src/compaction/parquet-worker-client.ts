/**
 * The main-thread side of parquet-worker.mjs: one worker thread running parquet-wasm, started by a compaction run
 * and ended with it. A panic in parquet-wasm (corrupt input) ends the worker, not the process: every pending call
 * then fails with ParquetWorkerError, the executor reports the merge as failed and starts a new worker.
 */
import { Worker } from "node:worker_threads";

/** Where the worker script is in the sources (the Lambda package puts it elsewhere: see stacks/compactor.ts). */
export const PARQUET_WORKER_URL = new URL("./parquet-worker.mjs", import.meta.url);

/** A Parquet footer as the worker reads it. */
export interface FooterInfo {
  rows: number;
  rowGroups: number;
  /** parquet-wasm's Compression enum value of the first column chunk (undefined: no row groups). */
  compression?: number;
  /** SHA-256 of the Arrow schema (IPC encoding, schema metadata left out): names, order, types, nullability. */
  fingerprint: string;
}

export type InputSource = { kind: "memory"; bytes: ArrayBuffer } | { kind: "file"; path: string; size: number };

export interface MergeOptions {
  inputs: number;
  /** Compression enum value for the output (the inputs'); undefined: parquet-wasm's default. */
  compression?: number;
  /** Rows per output row group: bounds the writer's buffered row group. */
  maxRowGroupRows: number;
  /** Rows per decoded record batch. */
  batchRows: number;
  createdBy: string;
}

export interface MergeResult {
  rows: number;
  /** Rows streamed from each input, in order. */
  perInput: number[];
  bytes: number;
  /** The worker's wasm memory at the end (it only grows; the worker is ended after the merge). */
  wasmMemoryBytes: number;
}

/** "failed": parquet-wasm refused the input (e.g. not Parquet); "crashed": the worker died (a panic, or closed). */
export class ParquetWorkerError extends Error {
  override readonly name = "ParquetWorkerError";
  constructor(
    message: string,
    readonly kind: "failed" | "crashed",
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  onEvent?(message: WorkerMessage): void;
}

interface WorkerMessage {
  id?: number;
  ready?: boolean;
  ok?: boolean;
  result?: unknown;
  error?: string;
  event?: "need" | "chunk";
  index?: number;
  bytes?: ArrayBuffer;
}

/** An ArrayBuffer holding exactly these bytes, safe to transfer (never a shared pool or a larger buffer). */
function ownBuffer(bytes: Uint8Array): ArrayBuffer {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer) return bytes.buffer;
  return new Uint8Array(bytes).buffer;
}

export class ParquetWorker {
  private readonly worker: Worker;
  private readonly ready: Promise<void>;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private dead: Error | undefined;

  /** False once the worker crashed or was closed: start a new one. */
  get alive(): boolean {
    return this.dead === undefined;
  }

  constructor(url: URL = PARQUET_WORKER_URL) {
    this.worker = new Worker(url, { stdout: false, stderr: false });
    this.ready = new Promise((resolve, reject) => {
      this.worker.once("message", (m: WorkerMessage) => (m.ready ? resolve() : reject(new ParquetWorkerError("worker did not start", "crashed"))));
      this.worker.once("error", reject);
    });
    this.ready.catch(() => undefined);
    this.worker.on("message", (m: WorkerMessage) => this.onMessage(m));
    this.worker.on("error", (err) => this.die(new ParquetWorkerError(`parquet worker crashed: ${err.message}`, "crashed", { cause: err })));
    this.worker.on("exit", (code) => this.die(new ParquetWorkerError(`parquet worker exited (code ${code})`, "crashed")));
  }

  private die(error: Error) {
    this.dead ??= error;
    for (const p of this.pending.values()) p.reject(this.dead);
    this.pending.clear();
  }

  private onMessage(m: WorkerMessage) {
    if (m.ready || m.id === undefined) return;
    const p = this.pending.get(m.id);
    if (!p) return;
    if (m.event) {
      p.onEvent?.(m);
      return;
    }
    this.pending.delete(m.id);
    if (m.ok) p.resolve(m.result);
    else p.reject(new ParquetWorkerError(m.error ?? "parquet worker failed", "failed"));
  }

  private async call<T>(message: Record<string, unknown>, transfer: ArrayBuffer[], onEvent?: (m: WorkerMessage, id: number) => void): Promise<T> {
    await this.ready;
    if (this.dead) throw this.dead;
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, ...(onEvent ? { onEvent: (m) => onEvent(m, id) } : {}) });
      this.worker.postMessage({ ...message, id }, transfer);
    });
  }

  /** Reads a footer from the last bytes of a file (they must contain the whole footer and the 8-byte trailer). */
  inspect(size: number, tail: Uint8Array): Promise<FooterInfo> {
    const buffer = ownBuffer(tail);
    return this.call<FooterInfo>({ op: "inspect", size, tail: buffer }, [buffer]);
  }

  /**
   * Streams the inputs (asked for one at a time, in order) into one Parquet stream; each output chunk goes to
   * `onChunk`, and the worker waits for it before encoding more (backpressure: memory stays bounded).
   */
  merge(options: MergeOptions, input: (index: number) => Promise<InputSource>, onChunk: (bytes: Uint8Array) => Promise<void>): Promise<MergeResult> {
    let failure: Error | undefined;
    const fail = (id: number, err: unknown) => {
      failure ??= err instanceof Error ? err : new Error(String(err));
      // The worker cannot be told to stop mid-stream: end it; the merge call then rejects with this failure.
      const p = this.pending.get(id);
      this.pending.delete(id);
      p?.reject(failure);
      void this.worker.terminate();
    };
    return this.call<MergeResult>({ op: "merge", ...options }, [], (m, id) => {
      if (m.event === "need" && m.index !== undefined) {
        const index = m.index;
        input(index).then(
          (source) => this.worker.postMessage({ id, op: "input", index, source }, source.kind === "memory" ? [source.bytes] : []),
          (err) => fail(id, err),
        );
      } else if (m.event === "chunk" && m.bytes) {
        onChunk(new Uint8Array(m.bytes)).then(
          () => this.worker.postMessage({ id, op: "ack" }),
          (err) => fail(id, err),
        );
      }
    });
  }

  async close(): Promise<void> {
    this.dead ??= new ParquetWorkerError("parquet worker closed", "crashed");
    await this.worker.terminate();
  }
}

export function transferableCopy(bytes: Uint8Array): ArrayBuffer {
  return ownBuffer(bytes);
}
