/** The local curator (the Glue streaming job's stand-in) and its engine. */
export { LocalCurator, curatorComponent, readCuratorStatus, curatorStatusPath, type CuratorOptions, type CuratorStatus } from "./curator";
export { CurationEngine, type BatchStats, type OutputFile, type RawRecord } from "./engine";
