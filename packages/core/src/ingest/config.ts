import { CURATION_CONTRACT } from "../curation/contract";

/**
 * Ingest limits and rules. Segment's HTTP Tracking API values by default (32 KB per event, 500 KB per request,
 * 2,500 events per batch), overridable per stage.
 */
export interface IngestConfig {
  /** Serialized size of one event as received, in bytes. */
  maxEventBytes: number;
  /** Request body as received (before decompression), in bytes. */
  maxBodyBytes: number;
  /** Request body after decompression: the hard cap that stops gzip bombs. */
  maxDecompressedBodyBytes: number;
  maxBatchEvents: number;
  maxMessageIdChars: number;
  /** Deepest nesting of objects/arrays allowed inside one event. */
  maxNestingDepth: number;
  /** Events timestamped before this instant are rejected (ms since epoch). */
  timestampFloorMs: number;
  /** Events timestamped further than this in the future (after skew correction) are rejected. */
  maxFutureSkewMs: number;
}

export const DEFAULT_INGEST_CONFIG: Readonly<IngestConfig> = Object.freeze({
  maxEventBytes: 32 * 1024,
  maxBodyBytes: 500 * 1024,
  maxDecompressedBodyBytes: 4 * 1024 * 1024,
  maxBatchEvents: 2_500,
  maxMessageIdChars: 100,
  maxNestingDepth: 32,
  timestampFloorMs: Date.UTC(2000, 0, 1),
  maxFutureSkewMs: 24 * 60 * 60 * 1000,
});

/** The variable that overrides one limit: `EVENTLAKE_INGEST_<NAME>` (maxBatchEvents: EVENTLAKE_INGEST_MAX_BATCH_EVENTS). */
export function ingestLimitVariable(name: keyof IngestConfig): string {
  return `EVENTLAKE_INGEST_${name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

/** Reads overrides from `EVENTLAKE_INGEST_<NAME>` variables (ingestLimitVariable). */
export function ingestConfigFromEnv(env: Record<string, string | undefined>): IngestConfig {
  const config: IngestConfig = { ...DEFAULT_INGEST_CONFIG };
  for (const name of Object.keys(config) as (keyof IngestConfig)[]) {
    const envName = ingestLimitVariable(name);
    const raw = env[envName];
    if (raw === undefined || raw === "") continue;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0) {
      throw new Error(`${envName} must be a non-negative number, got ${JSON.stringify(raw)}`);
    }
    config[name] = value;
  }
  if (config.maxDecompressedBodyBytes < config.maxBodyBytes) {
    throw new Error("maxDecompressedBodyBytes must be at least maxBodyBytes");
  }
  // An event the ingest accepts must be one the curation contract curates: the ingest's time bounds may be
  // stricter than the contract's, never looser (ARCHITECTURE.md, "One notion of a valid event").
  const { floor, maxFutureSkewSeconds } = CURATION_CONTRACT.timestampBounds;
  if (config.timestampFloorMs < Date.parse(floor)) {
    throw new Error(`${ingestLimitVariable("timestampFloorMs")} must not be before the curation contract's floor (${floor})`);
  }
  if (config.maxFutureSkewMs > maxFutureSkewSeconds * 1000) {
    throw new Error(`${ingestLimitVariable("maxFutureSkewMs")} must not exceed the curation contract's ${maxFutureSkewSeconds} s`);
  }
  return config;
}
