/**
 * Strict base64 for the transformation contract. Node's decoder skips any character outside the alphabet, which
 * would turn garbage into bytes; Firehose's (Java) decoder refuses it. Accepted: the standard alphabet, padding
 * only at the end (and then a length that is a multiple of 4), or no padding with a length that is not 1 mod 4.
 */

function isAlphabet(code: number): boolean {
  return (
    (code >= 65 && code <= 90) || // A-Z
    (code >= 97 && code <= 122) || // a-z
    (code >= 48 && code <= 57) || // 0-9
    code === 43 || // +
    code === 47 // /
  );
}

export function isBase64(text: string): boolean {
  let end = text.length;
  let padding = 0;
  while (end > 0 && text.charCodeAt(end - 1) === 61 /* = */ && padding < 2) {
    end--;
    padding++;
  }
  if (padding > 0 && text.length % 4 !== 0) return false;
  if (end % 4 === 1) return false;
  for (let i = 0; i < end; i++) if (!isAlphabet(text.charCodeAt(i))) return false;
  return true;
}

/** The bytes, or undefined when the text is not strict base64. */
export function decodeBase64(text: string): Uint8Array | undefined {
  if (!isBase64(text)) return undefined;
  return Buffer.from(text, "base64");
}

export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}
