// The compactor's Parquet engine: parquet-wasm in a worker thread, driven by parquet-worker-client.ts.
//
// Why a worker: parquet-wasm 0.8.0 panics (RuntimeError: unreachable, thrown from a microtask where no caller can
// catch it) on a corrupt column chunk or a failed read, which would kill the whole Lambda; here it kills only this
// worker, and the caller reports the merge as failed. Ending the worker with the run also returns its wasm memory,
// which otherwise only grows in a warm Lambda.
//
// No S3 here: the main thread fetches bytes (memory for small inputs, a local file for larger ones) and uploads the
// output; this side decodes row groups one batch at a time and encodes them into one Parquet stream.
// Plain JavaScript (no TypeScript loader in a worker), shipped next to the Lambda bundle (stacks/compactor.ts).
import { createHash } from "node:crypto";
import { open } from "node:fs/promises";
import { ReadableStream } from "node:stream/web";
import { parentPort } from "node:worker_threads";
import { ParquetFile, transformParquetStream, wasmMemory, WriterPropertiesBuilder } from "parquet-wasm";

if (!parentPort) throw new Error("parquet-worker.mjs must run in a worker thread");
const port = parentPort;

/** Blob-like views parquet-wasm reads through (it only calls `size` and `slice(a, b).arrayBuffer()`). */
function memoryBlob(bytes) {
  return {
    size: bytes.length,
    slice: (a, b) => ({ arrayBuffer: async () => bytes.slice(Math.max(0, a), Math.min(bytes.length, b)).buffer }),
  };
}

/** The last bytes of a file (its footer); anything before them reads as zeros (a clean "corrupt" error, never a hang). */
function tailBlob(size, tail) {
  const start = size - tail.length;
  return {
    size,
    slice: (a, b) => ({
      arrayBuffer: async () => (a >= start ? tail.slice(a - start, b - start).buffer : new ArrayBuffer(Math.max(0, b - a))),
    }),
  };
}

async function fileBlob(path, size) {
  const handle = await open(path, "r");
  return {
    handle,
    blob: {
      size,
      slice: (a, b) => ({
        arrayBuffer: async () => {
          const length = Math.max(0, Math.min(size, b) - a);
          const out = new Uint8Array(length);
          let done = 0;
          while (done < length) {
            const { bytesRead } = await handle.read(out, done, length - done, a + done);
            if (bytesRead === 0) break;
            done += bytesRead;
          }
          return out.buffer;
        },
      }),
    },
  };
}

/**
 * The schema's fingerprint: SHA-256 of its Arrow IPC encoding without schema-level metadata, so it covers field
 * names, order, types (timestamp unit and time zone included) and nullability, and ignores writer annotations
 * (Spark's row metadata, for instance) that do not change what a row is.
 */
function fingerprintOf(file) {
  const schema = file.schema().withMetadata(new Map());
  return createHash("sha256").update(schema.intoIPCStream()).digest("hex");
}

function footerOf(file) {
  const meta = file.metadata();
  const rows = meta.fileMetadata().numRows();
  const rowGroups = meta.numRowGroups();
  const compression = rowGroups > 0 && meta.rowGroup(0).numColumns() > 0 ? meta.rowGroup(0).column(0).compression() : undefined;
  return { rows, rowGroups, compression, fingerprint: fingerprintOf(file) };
}

const waiting = new Map(); // `${id}:${kind}` -> resolve
function waitFor(id, kind) {
  return new Promise((resolve) => waiting.set(`${id}:${kind}`, resolve));
}

async function openSource(source) {
  if (source.kind === "memory") return { blob: memoryBlob(new Uint8Array(source.bytes)), close: async () => undefined };
  const { handle, blob } = await fileBlob(source.path, source.size);
  return { blob, close: () => handle.close() };
}

async function merge(id, { inputs, compression, maxRowGroupRows, batchRows, createdBy }) {
  const perInput = [];
  let index = 0;
  let current; // { file, reader, close, rows }
  const batches = new ReadableStream(
    {
      async pull(controller) {
        for (;;) {
          if (!current) {
            if (index >= inputs) {
              controller.close();
              return;
            }
            port.postMessage({ id, event: "need", index });
            const source = await waitFor(id, `input:${index}`);
            index++;
            const opened = await openSource(source);
            const file = await ParquetFile.fromFile(opened.blob);
            const reader = (await file.stream({ batchSize: batchRows })).getReader();
            current = { file, reader, close: opened.close, rows: 0 };
          }
          const { done, value } = await current.reader.read();
          if (done) {
            perInput.push(current.rows);
            current.file.free();
            await current.close();
            current = undefined;
            continue;
          }
          current.rows += value.numRows;
          controller.enqueue(value);
          return;
        }
      },
    },
    { highWaterMark: 0 },
  );
  let props = new WriterPropertiesBuilder().setMaxRowGroupSize(maxRowGroupRows).setCreatedBy(createdBy);
  if (compression !== undefined) props = props.setCompression(compression);
  const output = await transformParquetStream(batches, props.build());
  let bytes = 0;
  for await (const chunk of output) {
    // Chunks may view wasm memory: send a copy, never the wasm buffer itself.
    const copy = new Uint8Array(chunk);
    bytes += copy.length;
    port.postMessage({ id, event: "chunk", bytes: copy.buffer }, [copy.buffer]);
    await waitFor(id, "ack");
  }
  return { rows: perInput.reduce((a, b) => a + b, 0), perInput, bytes, wasmMemoryBytes: wasmMemory().buffer.byteLength };
}

async function inspect({ size, tail }) {
  const file = await ParquetFile.fromFile(tailBlob(size, new Uint8Array(tail)));
  try {
    return footerOf(file);
  } finally {
    file.free();
  }
}

port.on("message", (message) => {
  const { id, op } = message;
  if (op === "input" || op === "ack") {
    const key = `${id}:${op === "input" ? `input:${message.index}` : "ack"}`;
    const resolve = waiting.get(key);
    waiting.delete(key);
    resolve?.(message.source);
    return;
  }
  const run = op === "inspect" ? inspect(message) : op === "merge" ? merge(id, message) : Promise.reject(new Error(`unknown op ${op}`));
  run.then(
    (result) => port.postMessage({ id, ok: true, result }),
    (error) => port.postMessage({ id, ok: false, error: String(error?.message ?? error) }),
  );
});
port.postMessage({ ready: true });
