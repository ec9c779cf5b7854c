/** The Firehose raw archive's pure core: transformation contract, the invocation event, the archive's settings. */
export * from "./archive-record";
export * from "./base64";
export * from "./contract";
export * from "./invocations";
export * from "./raw-archive";
export * from "./transform";
