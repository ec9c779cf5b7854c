import { NodeHttpHandler } from "@smithy/node-http-handler";

/**
 * Where the adapters send their calls. On AWS: region only, credentials from the Lambda role.
 * Locally: an endpoint override pointing at a stand-in on localhost.
 */
export interface AwsTarget {
  region: string;
  /** e.g. http://127.0.0.1:4567 for a local stand-in; undefined on AWS. */
  endpoint?: string;
  /**
   * With an endpoint override: the access key id to sign with. The local runtime gives each function its role's name
   * (e.g. "Autoscaler") as AWS_ACCESS_KEY_ID, and the local S3 stand-in applies that role's grants
   * (packages/emulators/src/s3/access.ts). Unset: "local", the stand-ins' default (no IAM).
   */
  identity?: string;
}

/**
 * Endpoint overrides, by service: unset on AWS; set by the local runtime (and tests, and the stage commands pointed at
 * stand-ins) to send a client's calls to a stand-in. Named here once; callers build them with `targetEnv`.
 */
export const ENDPOINT_VARIABLES = {
  KINESIS: "EVENTLAKE_KINESIS_ENDPOINT",
  S3: "EVENTLAKE_S3_ENDPOINT",
  GLUE: "EVENTLAKE_GLUE_ENDPOINT",
  CLOUDWATCH: "EVENTLAKE_CLOUDWATCH_ENDPOINT",
  SNS: "EVENTLAKE_SNS_ENDPOINT",
} as const;
export type AwsService = keyof typeof ENDPOINT_VARIABLES;

/**
 * The environment that points clients at stand-ins: endpoint overrides by service, and the caller's role as its
 * credentials (the standard AWS variables: no variable of its own, so no production module reads a local one).
 */
export function targetEnv(endpoints: Partial<Record<AwsService, string>>, identity?: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [service, endpoint] of Object.entries(endpoints) as [AwsService, string | undefined][]) {
    if (endpoint) env[ENDPOINT_VARIABLES[service]] = endpoint;
  }
  if (identity) Object.assign(env, { AWS_ACCESS_KEY_ID: identity, AWS_SECRET_ACCESS_KEY: "local" });
  return env;
}

/** Reads the target from the environment the same way on AWS and locally. */
export function awsTargetFromEnv(env: NodeJS.ProcessEnv, service: AwsService): AwsTarget {
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? "us-east-1";
  const endpoint = env[ENDPOINT_VARIABLES[service]] || undefined;
  // Only with an endpoint override: on AWS the SDK's default chain reads the role's credentials itself.
  const identity = env.AWS_ACCESS_KEY_ID || undefined;
  if (!endpoint) return { region };
  return identity ? { region, endpoint, identity } : { region, endpoint };
}

/**
 * Client options shared by every SDK v3 client we build.
 * The SDK defaults to an HTTP/2 handler for some services, which fails with ERR_HTTP2_ERROR against plain
 * `http://` endpoints, so local endpoints get the HTTP/1.1 NodeHttpHandler. Local stand-ins accept any
 * credentials; fixed ones keep the SDK from searching the machine for a profile.
 */
export function clientConfig(target: AwsTarget, extra: { maxAttempts?: number } = {}) {
  const base = {
    region: target.region,
    ...(extra.maxAttempts !== undefined ? { maxAttempts: extra.maxAttempts } : {}),
  };
  if (!target.endpoint) return base;
  return {
    ...base,
    endpoint: target.endpoint,
    requestHandler: new NodeHttpHandler({ connectionTimeout: 2_000, requestTimeout: 30_000 }),
    credentials: { accessKeyId: target.identity ?? "local", secretAccessKey: "local" },
  };
}
