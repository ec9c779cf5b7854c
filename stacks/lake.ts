/**
 * Storage. Two buckets:
 * - Lake: every byte of event data, one prefix per layer (LAKE_PREFIXES: raw/, raw-errors/, curated/, quarantine/,
 *   aggregates/, fallback/). One bucket keeps the layout identical to the local runtime's, lets Athena tables and
 *   replays address layers by prefix, and still allows least privilege: grants and lifecycle rules are per prefix.
 * - Assets: operational artifacts that are not data of record (Glue job scripts, Spark checkpoints and temp files,
 *   Athena query results), with their own short lifecycles, so that no job or query tool writes into the lake.
 * Both: public access blocked, ACLs off, default encryption SSE-S3 (AES-256; no KMS grants needed by Firehose, Glue,
 * Athena or the functions, no per-request KMS cost), a bucket policy that denies any request without TLS (and TLS
 * older than 1.2), no CORS. Production stages keep them (and their contents) when the stage is removed.
 */
import { LAKE_PREFIXES, type Stage } from "./stage";

/** Prefixes of the assets bucket. */
export const ASSET_PREFIXES = {
  glueScripts: "glue/scripts/",
  /** One work prefix per Glue job (`glue/jobs/<job>/`): its checkpoint, state and temp files (stacks/glue.ts). */
  glueJobs: "glue/jobs/",
  athenaResults: "athena-results/",
} as const;

/** The curation job's work prefix; its temp files (`temp/`) expire like other scratch data. */
export const CURATION_WORK_PREFIX = `${ASSET_PREFIXES.glueJobs}curation/`;
export const CURATION_TEMP_PREFIX = `${CURATION_WORK_PREFIX}temp/`;

function secureBucket(name: string, stage: Stage, versioning: boolean) {
  const retain = stage.config.removal.retainData;
  const bucket = new sst.aws.Bucket(
    name,
    {
      cors: false,
      versioning,
      enforceHttps: true,
      policy: [
        {
          effect: "deny",
          principals: "*",
          actions: ["s3:*"],
          conditions: [{ test: "NumericLessThan", variable: "s3:TlsVersion", values: ["1.2"] }],
        },
      ],
      transform: {
        bucket: (args) => {
          // Development stages empty the bucket on removal; production buckets refuse to be deleted non-empty.
          args.forceDestroy = !retain;
        },
        publicAccessBlock: (args) => {
          args.blockPublicAcls = true;
          args.blockPublicPolicy = true;
          args.ignorePublicAcls = true;
          args.restrictPublicBuckets = true;
        },
      },
    },
    stage.dataOptions,
  );

  new aws.s3.BucketServerSideEncryptionConfiguration(
    `${name}Encryption`,
    {
      bucket: bucket.name,
      rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
    },
    stage.dataOptions,
  );

  new aws.s3.BucketOwnershipControls(
    `${name}Ownership`,
    { bucket: bucket.name, rule: { objectOwnership: "BucketOwnerEnforced" } },
    stage.dataOptions,
  );

  return bucket;
}

type LifecycleRule = aws.types.input.s3.BucketLifecycleConfigurationRule;

function lakeLifecycleRules(stage: Stage): LifecycleRule[] {
  const { lake } = stage.config;
  const { infrequentAccessAfterDays, glacierInstantRetrievalAfterDays, expireAfterDays } = lake.raw;
  const transitions = [
    ...(infrequentAccessAfterDays !== undefined ? [{ days: infrequentAccessAfterDays, storageClass: "STANDARD_IA" }] : []),
    ...(glacierInstantRetrievalAfterDays !== undefined ? [{ days: glacierInstantRetrievalAfterDays, storageClass: "GLACIER_IR" }] : []),
  ];
  const rules: LifecycleRule[] = [
    {
      id: "raw-archive",
      status: "Enabled",
      filter: { prefix: LAKE_PREFIXES.raw },
      ...(transitions.length > 0 ? { transitions } : {}),
      ...(expireAfterDays !== undefined ? { expiration: { days: expireAfterDays } } : {}),
    },
    {
      id: "raw-errors",
      status: "Enabled",
      filter: { prefix: LAKE_PREFIXES.rawErrors },
      ...(transitions.length > 0 ? { transitions } : {}),
      ...(expireAfterDays !== undefined ? { expiration: { days: expireAfterDays } } : {}),
    },
  ];
  if (lake.quarantineExpireAfterDays !== undefined) {
    rules.push({
      id: "quarantine",
      status: "Enabled",
      filter: { prefix: LAKE_PREFIXES.quarantine },
      expiration: { days: lake.quarantineExpireAfterDays },
    });
  }
  rules.push({
    id: "whole-bucket-hygiene",
    status: "Enabled",
    filter: {},
    abortIncompleteMultipartUpload: { daysAfterInitiation: lake.abortIncompleteUploadsAfterDays },
    ...(lake.versioning ? { noncurrentVersionExpiration: { noncurrentDays: lake.noncurrentVersionExpirationDays } } : {}),
  });
  return rules;
}

function assetLifecycleRules(stage: Stage): LifecycleRule[] {
  const shortLived = stage.config.lake.scratchExpireAfterDays;
  return [
    { id: "athena-results", status: "Enabled", filter: { prefix: ASSET_PREFIXES.athenaResults }, expiration: { days: shortLived } },
    { id: "glue-temp", status: "Enabled", filter: { prefix: CURATION_TEMP_PREFIX }, expiration: { days: shortLived } },
    {
      id: "whole-bucket-hygiene",
      status: "Enabled",
      filter: {},
      abortIncompleteMultipartUpload: { daysAfterInitiation: stage.config.lake.abortIncompleteUploadsAfterDays },
    },
  ];
}

export function createLake(stage: Stage) {
  const lake = secureBucket("Lake", stage, stage.config.lake.versioning);
  new aws.s3.BucketLifecycleConfiguration("LakeLifecycle", { bucket: lake.name, rules: lakeLifecycleRules(stage) }, stage.dataOptions);

  const assets = secureBucket("Assets", stage, false);
  new aws.s3.BucketLifecycleConfiguration("AssetsLifecycle", { bucket: assets.name, rules: assetLifecycleRules(stage) }, stage.dataOptions);

  return { lake, assets };
}

export type Lake = ReturnType<typeof createLake>;
