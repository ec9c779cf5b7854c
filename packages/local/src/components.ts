import type { LocalComponent } from "./runtime";

/**
 * The parts of the local pipeline after the ingest path, in data-flow order (raw archive, curated layer,
 * scheduler, alarms). Each issue that adds a stage of the pipeline registers its local component here.
 */
export const LOCAL_COMPONENTS: readonly LocalComponent[] = [];
