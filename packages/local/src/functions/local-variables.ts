/**
 * Variables only the local entries (this directory) read, set by the local runtime next to the production
 * environment; no production module knows them. Their own module, so the runtime can name them without loading an
 * entry (which builds its handler on import).
 */

/** The stream sampler's directory, for the autoscaler's local metrics port (../metrics/stream-sampler.ts). */
export const STREAM_SAMPLES_VARIABLE = "EVENTLAKE_LOCAL_STREAM_SAMPLES_DIR";
