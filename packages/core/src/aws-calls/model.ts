/**
 * The AWS calls a piece of code makes, as data: what IAM evaluates for each call (action, resource ARN, request
 * context) and whether it reads a key that may be missing. One list per function (functions.ts) and one for the Glue
 * job (glue/runner/aws_calls.json, next to the runner that makes them). The stacks derive the role grants from these
 * lists (grantsFor), the infra tests evaluate every synthesized role policy against them with an IAM policy
 * simulator, and the local S3 stand-in enforces the same ListBucket rule for each local function
 * (ARCHITECTURE.md, "IAM from the call lists").
 *
 * Pure: ARNs are templates with `{placeholder}`s, resolved with the values of one deployment (or of the local run).
 */

/** What one deployment fills into the templates. */
export const ARN_PLACEHOLDERS = [
  "partition",
  "region",
  "account",
  "streamArn",
  "streamName",
  "lakeBucket",
  "assetsBucket",
  "alarmTopicArn",
  "glueJobName",
  "metricsNamespace",
  "streamKmsKeyArn",
  "transformArn",
  "rawArchiveLogGroupArn",
  "rawArchiveLogStream",
  "curationLogGroupArn",
  "autoscalerStateKey",
  "curationScriptsPrefix",
  /** The Glue job's work prefix without its trailing "/" (`glue/jobs/curation`): `{curationWorkDir}*` covers the folder marker. */
  "curationWorkDir",
] as const;
export type ArnPlaceholder = (typeof ARN_PLACEHOLDERS)[number];
export type ArnValues = Partial<Record<ArnPlaceholder, string>>;

export interface AwsCall {
  /** The SDK/API operation that makes the call (e.g. "S3 GetObject"), for messages. */
  operation: string;
  /** The IAM action AWS authorizes the call with. */
  action: string;
  /**
   * The resource ARN template the call is made on. A template ending in `*` is a prefix: the call is made on keys
   * under it (the grant covers the prefix, the simulation tries a key under it).
   */
  resource: string;
  /** Request context keys the call carries (values are templates too), e.g. `s3:prefix` of a ListObjectsV2. */
  context?: Readonly<Record<string, string>>;
  /**
   * The call reads an object that may not exist (a first run's state file, a pointer, a manifest). S3 answers such
   * a read with 404 only to a caller allowed s3:ListBucket on the bucket, with 403 AccessDenied otherwise
   * (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html): the role needs ListBucket on the bucket,
   * unconditioned (the GetObject request carries no s3:prefix).
   */
  readsMaybeMissingKey?: boolean;
  /** The call is made only when this value is set (e.g. a customer-managed stream key). */
  onlyWith?: ArnPlaceholder;
  /** The code that makes it (file and function), so a failing check names it. */
  by: string;
}

/** The calls of one role: a Lambda function (code we run) or an AWS service acting with a role we give it. */
export interface RoleCalls {
  /** The role's owner: the function's logical name in the stacks (e.g. "Ingest"), or the service role's. */
  id: string;
  /** "function": our code in Lambda; "service": Firehose or Glue acting on our behalf (and our job script). */
  kind: "function" | "service";
  calls: readonly AwsCall[];
}

const PLACEHOLDER = /\{([A-Za-z]+)\}/g;

/** The placeholders a template uses. */
export function placeholdersOf(template: string): ArnPlaceholder[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1] as ArnPlaceholder);
}

/** Fills a template; a placeholder without a value is an error naming it (a call list and a stack disagree). */
export function resolveTemplate(template: string, values: ArnValues): string {
  return template.replace(PLACEHOLDER, (_, name: string) => {
    if (!(ARN_PLACEHOLDERS as readonly string[]).includes(name)) throw new Error(`unknown placeholder {${name}} in "${template}"`);
    const value = values[name as ArnPlaceholder];
    if (value === undefined || value === "") throw new Error(`no value for {${name}} in "${template}"`);
    return value;
  });
}

/** The calls that apply with these values (drops `onlyWith` calls whose value is not set). */
export function applicableCalls(calls: readonly AwsCall[], values: ArnValues): AwsCall[] {
  return calls.filter((c) => c.onlyWith === undefined || (values[c.onlyWith] ?? "") !== "");
}

/** `arn:aws:s3:::bucket/key...` -> `arn:aws:s3:::bucket`; undefined for a non-object ARN. */
export function bucketArnOf(objectArn: string): string | undefined {
  const m = /^(arn:[^:]+:s3:::[^/]+)\/.*$/.exec(objectArn);
  return m?.[1];
}

/** `arn:aws:s3:::bucket` -> `bucket`. */
export function bucketNameOf(bucketArn: string): string | undefined {
  return /^arn:[^:]+:s3:::([^/]+)$/.exec(bucketArn)?.[1];
}

/** An IAM grant derived from calls, in the shape sst.aws.Function's `permissions` and getPolicyDocument take. */
export interface DerivedGrant {
  actions: string[];
  resources: string[];
  conditions?: { test: string; variable: string; values: string[] }[];
}

/**
 * The grants that allow exactly these calls:
 * - per resource (ARN or prefix), the actions called on it;
 * - s3:ListBucket on a bucket unconditioned when any call reads a maybe-missing key of that bucket, otherwise
 *   limited to the `s3:prefix` values the list calls carry (StringLike, so a listed prefix covers its sub-prefixes
 *   only when the call list says `prefix*`);
 * - calls whose context names a condition key other than s3:prefix (e.g. cloudwatch:namespace) are granted on
 *   their resource with StringEquals on the values the calls carry.
 */
export function grantsFor(calls: readonly AwsCall[], values: ArnValues): DerivedGrant[] {
  const applicable = applicableCalls(calls, values);
  const maybeMissingBuckets = new Set<string>();
  for (const c of applicable) {
    if (!c.readsMaybeMissingKey) continue;
    const bucket = bucketArnOf(resolveTemplate(c.resource, values));
    if (!bucket) throw new Error(`${c.operation} (${c.by}) reads a maybe-missing key but "${c.resource}" is not an S3 object ARN`);
    maybeMissingBuckets.add(bucket);
  }

  const plain = new Map<string, Set<string>>(); // resource -> actions
  const conditioned = new Map<string, DerivedGrant>(); // action|resource|variable -> grant
  const listPrefixes = new Map<string, Set<string>>(); // bucket ARN -> s3:prefix values
  const add = (resource: string, action: string) => {
    let actions = plain.get(resource);
    if (!actions) plain.set(resource, (actions = new Set()));
    actions.add(action);
  };

  for (const c of applicable) {
    const resource = resolveTemplate(c.resource, values);
    const context = Object.entries(c.context ?? {}).map(([k, v]) => [k, resolveTemplate(v, values)] as const);
    if (c.action === "s3:ListBucket") {
      if (maybeMissingBuckets.has(resource)) continue;
      const prefix = context.find(([k]) => k === "s3:prefix")?.[1];
      if (prefix === undefined) {
        add(resource, c.action);
        continue;
      }
      let set = listPrefixes.get(resource);
      if (!set) listPrefixes.set(resource, (set = new Set()));
      set.add(prefix);
      continue;
    }
    if (context.length === 0) {
      add(resource, c.action);
      continue;
    }
    for (const [variable, value] of context) {
      const key = `${c.action}|${resource}|${variable}`;
      const existing = conditioned.get(key);
      if (existing) {
        const values = existing.conditions![0]!.values;
        if (!values.includes(value)) values.push(value);
      } else {
        conditioned.set(key, { actions: [c.action], resources: [resource], conditions: [{ test: "StringEquals", variable, values: [value] }] });
      }
    }
  }

  const grants: DerivedGrant[] = [];
  // Resources with the same set of actions share one grant (fewer, readable statements).
  const byActions = new Map<string, DerivedGrant>();
  for (const [resource, actions] of plain) {
    const sorted = [...actions].sort();
    const key = sorted.join(",");
    const g = byActions.get(key);
    if (g) g.resources.push(resource);
    else byActions.set(key, { actions: sorted, resources: [resource] });
  }
  grants.push(...byActions.values());
  for (const bucket of [...maybeMissingBuckets].sort()) grants.push({ actions: ["s3:ListBucket"], resources: [bucket] });
  for (const [bucket, prefixes] of listPrefixes) {
    grants.push({ actions: ["s3:ListBucket"], resources: [bucket], conditions: [{ test: "StringLike", variable: "s3:prefix", values: [...prefixes].sort() }] });
  }
  grants.push(...conditioned.values());
  return grants;
}

/** Concrete requests to evaluate for a call: a key under a prefix for `*` templates, plus the context. */
export interface SimulatedRequest {
  call: AwsCall;
  action: string;
  resource: string;
  context: Record<string, string>;
  /** Why this request is needed (the call itself, or the ListBucket rule for a maybe-missing read). */
  reason: string;
}

/** A sample key under a prefix template: where a `_$folder$` marker or a nested file would go. */
const SAMPLE_SUFFIX = "sample/part-00000.parquet";

/** A concrete resource a call under a pattern is made on: a key under an S3 prefix, a stream of a log group. */
function sampleResource(pattern: string): string {
  if (pattern === "*" || !pattern.endsWith("*")) return pattern;
  const head = pattern.slice(0, -1);
  if (/^arn:[^:]+:s3:::/.test(pattern)) return `${head}${head.endsWith("/") ? "" : "/"}${SAMPLE_SUFFIX}`;
  if (/^arn:[^:]+:logs:/.test(pattern) && head.endsWith(":")) return `${head}log-stream:sample`;
  return `${head}sample`;
}

export function simulatedRequests(calls: readonly AwsCall[], values: ArnValues): SimulatedRequest[] {
  const out: SimulatedRequest[] = [];
  for (const call of applicableCalls(calls, values)) {
    const resolved = resolveTemplate(call.resource, values);
    const resource = sampleResource(resolved);
    const context = Object.fromEntries(Object.entries(call.context ?? {}).map(([k, v]) => [k, resolveTemplate(v, values).replace(/\*$/, "")]));
    out.push({ call, action: call.action, resource, context, reason: `${call.operation} by ${call.by}` });
    if (call.readsMaybeMissingKey) {
      const bucket = bucketArnOf(resolved);
      if (bucket) {
        out.push({
          call,
          action: "s3:ListBucket",
          resource: bucket,
          context: {},
          reason: `${call.operation} by ${call.by} reads a key that may be missing: without s3:ListBucket on the bucket S3 answers 403, not 404`,
        });
      }
    }
  }
  return out;
}

/**
 * The buckets on which these calls are granted s3:ListBucket without condition (what decides whether S3 answers a
 * missing key with 404 or 403). Only the S3 calls are resolved: the local S3 stand-in uses this with local bucket
 * names, without the rest of a deployment's values.
 */
export function unconditionedListBuckets(calls: readonly AwsCall[], values: ArnValues): string[] {
  const s3Calls = calls.filter((c) => c.resource.startsWith("arn:{partition}:s3:::"));
  return grantsFor(s3Calls, { partition: "aws", ...values })
    .filter((g) => g.actions.includes("s3:ListBucket") && !g.conditions)
    .flatMap((g) => g.resources)
    .map((arn) => bucketNameOf(arn))
    .filter((name): name is string => name !== undefined);
}
