/**
 * Decoder for `Content-Encoding: aws-chunked` request bodies, the framing SDK v3 uses for streamed uploads
 * (`x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER`, checksum in a trailer) and for SigV4 streaming
 * uploads (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]`, `;chunk-signature=` extensions, which are not verified):
 *
 *   <hex size>[;ext]\r\n <size bytes> \r\n ... 0[;ext]\r\n [<name>:<value>\r\n]* \r\n
 *
 * Data is passed through as slices of the incoming buffers (no copy); trailers are collected for the caller to
 * check once the body has ended. Malformed framing raises IncompleteBody, as S3 does.
 */

import { S3Error } from "./errors";

const MAX_LINE = 4096;
const MAX_TRAILER_BYTES = 16 * 1024;

function incomplete(detail: string): S3Error {
  return new S3Error("IncompleteBody", `The request body terminated unexpectedly (aws-chunked: ${detail})`);
}

export class AwsChunkedDecoder {
  /** Trailer headers (lower-case names) received after the last chunk. */
  readonly trailers = new Map<string, string>();
  /** Payload bytes produced so far. */
  decodedLength = 0;

  async *decode(source: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
    type State = "size" | "data" | "data-crlf" | "trailer" | "done";
    let state: State = "size";
    let line: Buffer = Buffer.alloc(0);
    let remaining = 0;
    let trailerBytes = 0;

    for await (const piece of source) {
      let buf = Buffer.isBuffer(piece) ? piece : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
      while (buf.length > 0) {
        switch (state) {
          case "data": {
            const take = Math.min(remaining, buf.length);
            const out = buf.subarray(0, take);
            buf = buf.subarray(take);
            remaining -= take;
            this.decodedLength += take;
            if (remaining === 0) state = "data-crlf";
            yield out;
            break;
          }
          case "done":
            throw incomplete("data after the final chunk");
          default: {
            // Line-oriented states: size line, CRLF after data, trailer lines.
            const nl = buf.indexOf(0x0a);
            const part = nl < 0 ? buf : buf.subarray(0, nl + 1);
            buf = nl < 0 ? buf.subarray(buf.length) : buf.subarray(nl + 1);
            line = line.length === 0 ? part : Buffer.concat([line, part]);
            if (line.length > MAX_LINE) throw incomplete("line too long");
            if (nl < 0) break;
            if (line.length < 2 || line[line.length - 2] !== 0x0d) throw incomplete("line not terminated by CRLF");
            const text = line.subarray(0, line.length - 2).toString("latin1");
            line = Buffer.alloc(0);
            state = this.onLine(state, text, (size) => {
              remaining = size;
            });
            if (state === "trailer") {
              trailerBytes += text.length + 2;
              if (trailerBytes > MAX_TRAILER_BYTES) throw incomplete("trailer too large");
            }
          }
        }
      }
    }
    if (state !== "done") throw incomplete(`body ended in state ${state}`);
  }

  private onLine(state: "size" | "data-crlf" | "trailer", text: string, setSize: (n: number) => void) {
    if (state === "data-crlf") {
      if (text !== "") throw incomplete("chunk data longer than its declared size");
      return "size" as const;
    }
    if (state === "size") {
      const hex = (text.split(";", 1)[0] ?? "").trim();
      if (!/^[0-9a-fA-F]{1,16}$/.test(hex)) throw incomplete(`bad chunk size ${JSON.stringify(text.slice(0, 40))}`);
      const size = Number.parseInt(hex, 16);
      if (!Number.isSafeInteger(size)) throw incomplete("chunk size too large");
      if (size === 0) return "trailer" as const;
      setSize(size);
      return "data" as const;
    }
    // trailer
    if (text === "") return "done" as const;
    const colon = text.indexOf(":");
    if (colon <= 0) throw incomplete("malformed trailer");
    this.trailers.set(text.slice(0, colon).trim().toLowerCase(), text.slice(colon + 1).trim());
    return "trailer" as const;
  }
}

/** Whether a request body uses aws-chunked framing. */
export function isAwsChunked(contentEncoding: string | undefined, contentSha256: string | undefined): boolean {
  if (contentSha256?.startsWith("STREAMING-")) return true;
  return (contentEncoding ?? "")
    .split(",")
    .some((e) => e.trim().toLowerCase() === "aws-chunked");
}

/** Content-Encoding to store: the header without the aws-chunked transport coding. */
export function storedContentEncoding(contentEncoding: string | undefined): string | undefined {
  if (contentEncoding === undefined) return undefined;
  const kept = contentEncoding
    .split(",")
    .map((e) => e.trim())
    .filter((e) => e !== "" && e.toLowerCase() !== "aws-chunked");
  return kept.length > 0 ? kept.join(",") : undefined;
}
