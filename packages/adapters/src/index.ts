/** Adapters: AWS SDK v3 clients behind the core's ports. The same code talks to AWS and to the local stand-ins. */
export { awsTargetFromEnv, clientConfig, type AwsTarget } from "./aws-config";
export { KinesisStreamWriter, fallbackKey, type KinesisStreamWriterOptions } from "./kinesis-stream-writer";
export { DELETE_BATCH, S3ObjectStore, S3ObjectStoreError, type S3ObjectStoreOptions } from "./s3-object-store";
export { loadSchemaDirectory } from "./schema-loader";
