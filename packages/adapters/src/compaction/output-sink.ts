/**
 * Where a merge's bytes go: buffered into parts and uploaded as a multipart upload (one part in flight while the
 * next fills, so memory stays at about two parts whatever the output size), or one create-only PUT when the whole
 * output fits in one part. Nothing is visible until `commit()` (CompleteMultipartUpload / PutObject, both with
 * If-None-Match: *). The last bytes are kept for verifying the footer before committing.
 */
import type { CompactionStore, MultipartUpload } from "@eventlake/core/ports";

/** S3's minimum size of every part but the last. */
export const MIN_PART_BYTES = 5 * 1024 * 1024;

export interface OutputSinkOptions {
  /** Part size (>= 5 MiB). */
  partBytes: number;
  /** How many trailing bytes to keep for verification. */
  tailBytes: number;
  contentType?: string;
  /** Called once, when the first part has been uploaded (protocol step "output-uploading"). */
  onFirstPart?: () => Promise<void> | void;
}

export class OutputSink {
  private buffered: Uint8Array[] = [];
  private bufferedBytes = 0;
  private tailChunks: Uint8Array[] = [];
  private tailLength = 0;
  private upload: MultipartUpload | undefined;
  private inFlight: Promise<void> | undefined;
  private partNumber = 0;
  private finished = false;
  /** Bytes written so far. */
  bytes = 0;
  /** Parts uploaded (0: a single PUT at commit). */
  get parts() {
    return this.partNumber;
  }

  constructor(
    private readonly store: CompactionStore,
    readonly key: string,
    private readonly options: OutputSinkOptions,
  ) {
    if (options.partBytes < MIN_PART_BYTES) throw new RangeError(`partBytes must be >= ${MIN_PART_BYTES} (S3's minimum part size)`);
  }

  private keepTail(chunk: Uint8Array) {
    this.tailChunks.push(chunk);
    this.tailLength += chunk.length;
    while (this.tailChunks.length > 1 && this.tailLength - this.tailChunks[0]!.length >= this.options.tailBytes) {
      this.tailLength -= this.tailChunks.shift()!.length;
    }
  }

  private take(): Uint8Array {
    const out = new Uint8Array(this.bufferedBytes);
    let offset = 0;
    for (const c of this.buffered) {
      out.set(c, offset);
      offset += c.length;
    }
    this.buffered = [];
    this.bufferedBytes = 0;
    return out;
  }

  private async flushPart(): Promise<void> {
    const part = this.take();
    await this.inFlight; // at most one part in flight
    this.upload ??= await this.store.startUpload(this.key, this.options.contentType ?? "application/vnd.apache.parquet");
    const upload = this.upload;
    const n = ++this.partNumber;
    this.inFlight = upload.uploadPart(n, part).then(async () => {
      if (n === 1) await this.options.onFirstPart?.();
    });
    // Surface a failed part at the next write or at finish, not as an unhandled rejection.
    this.inFlight.catch(() => undefined);
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (this.finished) throw new Error("output sink already finished");
    this.buffered.push(chunk);
    this.bufferedBytes += chunk.length;
    this.bytes += chunk.length;
    this.keepTail(chunk);
    if (this.bufferedBytes >= this.options.partBytes) await this.flushPart();
  }

  /** The last bytes written (up to tailBytes, or more when the last chunk was larger). */
  tail(): Uint8Array {
    const out = new Uint8Array(this.tailLength);
    let offset = 0;
    for (const c of this.tailChunks) {
      out.set(c, offset);
      offset += c.length;
    }
    return out.length > this.options.tailBytes ? out.subarray(out.length - this.options.tailBytes) : out;
  }

  /** Uploads what is buffered (multipart) without completing: nothing is visible yet. */
  async finish(): Promise<void> {
    this.finished = true;
    if (this.upload || this.partNumber > 0) {
      if (this.bufferedBytes > 0) await this.flushPart();
      await this.inFlight;
    }
  }

  /** Makes the output visible, create-only: "exists" when another run created the key first. */
  async commit(): Promise<"created" | "exists"> {
    if (!this.finished) throw new Error("finish() the output before committing it");
    if (this.upload) return this.upload.complete();
    const body = this.take();
    return (await this.store.putIfAbsent(this.key, body, this.options.contentType ?? "application/vnd.apache.parquet")) ? "created" : "exists";
  }

  /** Drops an unfinished upload (best effort: S3's lifecycle rule aborts what this misses). */
  async abort(): Promise<void> {
    this.finished = true;
    await this.inFlight?.catch(() => undefined);
    await this.upload?.abort();
    this.buffered = [];
    this.bufferedBytes = 0;
  }
}
