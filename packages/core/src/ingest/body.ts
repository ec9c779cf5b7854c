import { gunzipSync } from "node:zlib";
import { RequestRejected } from "./reasons";
import type { IngestConfig } from "./config";

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/**
 * Turns the HTTP body as API Gateway delivers it into text: base64-decode, enforce the size cap before
 * decompression, gunzip with a hard output cap (a gzip bomb stops at the cap instead of filling memory),
 * and decode strictly as UTF-8.
 */
export function decodeBody(
  body: string | undefined,
  isBase64Encoded: boolean,
  contentEncoding: string | undefined,
  config: Pick<IngestConfig, "maxBodyBytes" | "maxDecompressedBodyBytes">,
): string {
  if (body === undefined || body === "") return "";
  const encoding = (contentEncoding ?? "").trim().toLowerCase();
  const compressed = encoding !== "" && encoding !== "identity";
  if (!isBase64Encoded && !compressed) {
    // Already text (API Gateway delivers textual bodies as strings): only the size needs checking.
    const size = body.length <= config.maxBodyBytes / 3 ? body.length : Buffer.byteLength(body, "utf8");
    if (size > config.maxBodyBytes) throw new RequestRejected("body_too_large", `${size} bytes > ${config.maxBodyBytes}`);
    return body;
  }
  let bytes: Buffer;
  if (isBase64Encoded) {
    // Base64 inflates by 4/3: reject before decoding when the decoded size must exceed the cap.
    if (Math.floor((body.length * 3) / 4) - 2 > config.maxBodyBytes) throw new RequestRejected("body_too_large");
    bytes = Buffer.from(body, "base64");
  } else {
    bytes = Buffer.from(body, "utf8");
  }
  if (bytes.length > config.maxBodyBytes) {
    throw new RequestRejected("body_too_large", `${bytes.length} bytes > ${config.maxBodyBytes}`);
  }

  if (encoding === "gzip" || encoding === "x-gzip") {
    try {
      bytes = gunzipSync(bytes, { maxOutputLength: config.maxDecompressedBodyBytes });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") {
        throw new RequestRejected("decompressed_body_too_large", `cap is ${config.maxDecompressedBodyBytes} bytes`);
      }
      throw new RequestRejected("invalid_gzip");
    }
  } else if (encoding !== "" && encoding !== "identity") {
    throw new RequestRejected("unsupported_content_encoding", encoding);
  }
  if (bytes.length > config.maxDecompressedBodyBytes) throw new RequestRejected("decompressed_body_too_large");

  try {
    return strictUtf8.decode(bytes);
  } catch {
    throw new RequestRejected("invalid_utf8");
  }
}
