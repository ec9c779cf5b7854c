import { createHash, timingSafeEqual } from "node:crypto";

/** A write key as stored: only its SHA-256, never the key itself, and the source it stands for. */
export interface StoredWriteKey {
  sourceId: string;
  sha256: Buffer;
}

export function hashWriteKey(key: string): Buffer {
  return createHash("sha256").update(key, "utf8").digest();
}

/**
 * Reads the stage's write-key secret: a JSON object mapping source ids to the hex SHA-256 of their key,
 * e.g. {"web": "9f86d0...", "ios": "..."}.
 */
export function parseWriteKeySecret(secret: string): StoredWriteKey[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(secret);
  } catch {
    throw new Error("the write-key secret must be JSON: {\"<sourceId>\": \"<sha256 hex of the key>\"}");
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new Error("the write-key secret must be a JSON object of sourceId -> sha256 hex");
  }
  return Object.entries(parsed as Record<string, unknown>).map(([sourceId, hex]) => {
    if (typeof hex !== "string" || !/^[0-9a-f]{64}$/i.test(hex)) {
      throw new Error(`write key for source "${sourceId}" must be a 64-character SHA-256 hex digest`);
    }
    return { sourceId, sha256: Buffer.from(hex, "hex") };
  });
}

/**
 * Extracts the key a client presents the ways Segment clients send it: HTTP Basic with the key as user name and
 * an empty password, or a Bearer token.
 */
export function writeKeyFromAuthorization(authorization: string | undefined): string | undefined {
  if (!authorization) return undefined;
  const space = authorization.indexOf(" ");
  if (space < 0) return undefined;
  const scheme = authorization.slice(0, space).toLowerCase();
  const value = authorization.slice(space + 1).trim();
  if (scheme === "bearer") return value || undefined;
  if (scheme === "basic") {
    const decoded = Buffer.from(value, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    const user = colon >= 0 ? decoded.slice(0, colon) : decoded;
    return user || undefined;
  }
  return undefined;
}

/**
 * Maps a presented key to its source id. Hashing first gives fixed-length inputs, and every stored key is
 * compared with timingSafeEqual without stopping early, so timing reveals neither the key nor which source matched.
 */
export function authenticate(
  presented: string | undefined,
  keys: readonly StoredWriteKey[],
  compare: (a: Buffer, b: Buffer) => boolean = timingSafeEqual,
): string | undefined {
  if (presented === undefined || presented.length === 0 || presented.length > 1024) return undefined;
  const digest = hashWriteKey(presented);
  let match: string | undefined;
  for (const key of keys) {
    if (compare(digest, key.sha256) && match === undefined) match = key.sourceId;
  }
  return match;
}
