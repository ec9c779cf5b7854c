/**
 * eventlake's local stand-ins for the AWS services it runs on, one folder per service. packages/local wires them into
 * the local pipeline; tests start them directly. Subpaths (`@eventlake/emulators/s3/server`, ...) import single
 * modules. Nothing in the product (packages/core, packages/adapters, functions/, stacks/) imports this package
 * (eslint.config.js).
 */
export { startLocalS3, type LocalS3, type LocalS3Options } from "./s3/server";
export { startLocalKinesis, type LocalKinesis, type LocalKinesisOptions } from "./kinesis/index";
export { LocalFirehose, type LocalFirehoseOptions } from "./firehose/local-firehose";
export { LocalLambda, LambdaInvocationError, type LocalLambdaOptions } from "./lambda/local-lambda";
export { startLocalHttpApi, type LocalHttpApi, type LocalHttpApiOptions } from "./api-gateway";
export { startLocalSns, type LocalSns, type LocalSnsOptions } from "./sns/server";
export { LocalMetricsStore } from "./metrics/local-store";
export { LocalAlarmEvaluator } from "./alarms/evaluator";
