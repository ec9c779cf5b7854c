/** The Firehose raw archive's pure core: transformation contract, prefixes, object names, error output. */
export * from "./archive-record";
export * from "./base64";
export * from "./contract";
export * from "./datetime-format";
export * from "./error-output";
export * from "./invocations";
export * from "./object-key";
export * from "./positions";
export * from "./prefix";
export * from "./raw-archive";
export * from "./response";
export * from "./transform";
