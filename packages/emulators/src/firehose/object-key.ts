/**
 * S3 object keys as Firehose names them (https://docs.aws.amazon.com/firehose/latest/dev/basic-deliver.html, "S3
 * object name format"): `<evaluated prefix><suffix>`, the suffix being
 * `<DeliveryStreamName>-<DeliveryStreamVersion>-yyyy-MM-dd-HH-mm-ss-<uuid>` plus the compression's extension.
 * The suffix time here is the same instant as the prefix's timestamps: the oldest record's arrival, in UTC.
 */
import { FIREHOSE } from "@eventlake/core/limits";
import { compileDateTimePattern } from "./datetime-format";

export type CompressionFormat = "UNCOMPRESSED" | "GZIP" | "ZIP" | "Snappy" | "HADOOP_SNAPPY";

/** The extension Firehose adds for each compression format (FileExtension unset). */
export const COMPRESSION_EXTENSIONS: Readonly<Record<CompressionFormat, string>> = {
  UNCOMPRESSED: "",
  GZIP: ".gz",
  ZIP: ".zip",
  Snappy: ".snappy",
  HADOOP_SNAPPY: ".hsnappy",
};

const DELIVERY_STREAM_NAME = /^[a-zA-Z0-9_.-]+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const suffixTime = compileDateTimePattern("yyyy-MM-dd-HH-mm-ss");

/** Problems with a delivery stream name (empty when valid). */
export function deliveryStreamNameProblems(name: string): string[] {
  const problems: string[] = [];
  if (name.length < 1 || name.length > FIREHOSE.maxDeliveryStreamNameChars) {
    problems.push(`delivery stream name must be 1-${FIREHOSE.maxDeliveryStreamNameChars} characters`);
  }
  if (!DELIVERY_STREAM_NAME.test(name)) problems.push("delivery stream name may only contain letters, digits, _ . and -");
  return problems;
}

export interface ObjectKeyInput {
  /** The evaluated prefix. */
  prefix: string;
  deliveryStreamName: string;
  /** Starts at 1 and grows with every configuration change. */
  deliveryStreamVersion: number;
  /** The instant of the suffix (epoch ms). */
  timeMs: number;
  /** A random UUID (lower-case, hyphenated). */
  uuid: string;
  compression: CompressionFormat;
}

export function firehoseObjectKey(input: ObjectKeyInput): string {
  const problems = deliveryStreamNameProblems(input.deliveryStreamName);
  if (!Number.isInteger(input.deliveryStreamVersion) || input.deliveryStreamVersion < 1) problems.push("delivery stream version must be an integer >= 1");
  if (!UUID.test(input.uuid)) problems.push(`"${input.uuid}" is not a lower-case UUID`);
  if (problems.length > 0) throw new Error(`cannot name the object: ${problems.join("; ")}`);
  return `${input.prefix}${input.deliveryStreamName}-${input.deliveryStreamVersion}-${suffixTime(input.timeMs)}-${input.uuid}${COMPRESSION_EXTENSIONS[input.compression]}`;
}
