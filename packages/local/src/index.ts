/** The local runtime: the whole pipeline on one machine, with stand-ins for the AWS services. */
export { startLocalPipeline, type LocalPipeline, type LocalPipelineOptions } from "./runtime";
export { readLocalInfo, resolveDataDir, type LocalInfo } from "./local-config";
