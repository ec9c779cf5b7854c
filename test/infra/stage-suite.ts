/**
 * The infrastructure assertions for one stage, run against the real stacks under Pulumi mocks (harness.ts). Each
 * stage's test file calls stageSuite() once (Pulumi's mock state is process-global: one scenario per file).
 * Expected values come from the stage settings (packages/core/src/stage-config.ts) plus hard invariants that no
 * setting may break (API Gateway's 30 s, both throttling limits, least privilege, encryption, TLS-only...).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { LAKE_PREFIXES, stageConfig, type StageConfig } from "@eventlake/core/stage-config";
import { allPolicies, policyOf, runStage, type RecordedResource, type RunStageOptions, type Scenario } from "./harness";
import { describeViolations, leastPrivilegeViolations } from "./iam-rules";
import { alarmAssertions, expectedAlarmCount } from "./alarm-assertions";
import { curatedLayerAssertions, withCuratedLayer } from "./curated-layer";
import { rawArchiveAssertions, withRawArchive } from "./raw-archive";
import { compactorAssertions, withCompactor } from "./compactor";
import { operationsAssertions, withOperations } from "./operations";
import { RESOURCE_TYPES } from "./resource-types";
import { cliOutputsAssertions } from "./cli-outputs";
import { roleCallAssertions } from "./role-calls";
import { grantLines } from "./iam-simulation";
import { SERVICE_NAME_VARIABLE } from "@eventlake/core/functions/define";
import { ingestFunction } from "@eventlake/core/functions/ingest";

export const EXPECTED_ROUTES = [
  "POST /v1/track",
  "POST /v1/identify",
  "POST /v1/page",
  "POST /v1/screen",
  "POST /v1/group",
  "POST /v1/alias",
  "POST /v1/batch",
  "POST /v1/events",
  // The short routes Segment's client SDKs post to (analytics.js: t/i/p/s/g/a; mobile and batching: b).
  "POST /v1/t",
  "POST /v1/i",
  "POST /v1/p",
  "POST /v1/s",
  "POST /v1/g",
  "POST /v1/a",
  "POST /v1/b",
  "GET /health",
];

const T = RESOURCE_TYPES;

export interface StageExpectations {
  /** The alarm email the scenario deploys with (undefined: no subscription). */
  alarmEmail?: string;
}

type Rule = { id: string; status: string; filter?: { prefix?: string }; transitions?: { days: number; storageClass: string }[]; expiration?: { days: number } } & Record<string, unknown>;

const str = (value: unknown) => String(value);

export function stageSuite(stage: string, options: RunStageOptions, expectations: StageExpectations) {
  const cfg: StageConfig = stageConfig(stage);
  const retain = cfg.removal.retainData;
  let s: Scenario;
  let fn: RecordedResource;
  let stream: RecordedResource;
  let lakeBucket: RecordedResource;
  let assetsBucket: RecordedResource;

  beforeAll(async () => {
    s = await runStage(stage, options);
    fn = s.one(T.fn, "Ingest");
    stream = s.one(T.stream, "Events");
    lakeBucket = s.one(T.bucket, "Lake");
    assetsBucket = s.one(T.bucket, "Assets");
  }, 120_000);

  alarmAssertions(stage, cfg, () => s);
  curatedLayerAssertions(stage, cfg, () => s);
  rawArchiveAssertions(stage, cfg, () => s);
  compactorAssertions(stage, cfg, () => s);
  operationsAssertions(stage, cfg, () => s);
  cliOutputsAssertions(stage, () => s);
  roleCallAssertions(stage, cfg, () => s);

  describe(`stage "${stage}": app and inventory`, () => {
    it("configures the app: name, AWS provider pinned, protection and removal from the stage settings", () => {
      expect(s.app.name).toBe("eventlake");
      expect(s.app.home).toBe("aws");
      expect(s.app.protect).toBe(cfg.removal.protect);
      expect(s.app.removal).toBe(retain ? "retain" : "remove");
      expect(s.app.providers).toMatchObject({ aws: { version: "7.20.0", defaultTags: { tags: { app: "eventlake", stage } } } });
      expect(s.outputs._protect).toBe(cfg.removal.protect);
    });

    it("creates exactly the expected resources (a new resource type needs assertions here)", () => {
      const counts: Record<string, number> = {};
      for (const r of s.resources) counts[r.type] = (counts[r.type] ?? 0) + 1;
      const expected: Record<string, number> = {
        [T.topic]: 1,
        [T.topicPolicy]: 1,
        ...(expectations.alarmEmail ? { [T.subscription]: 1 } : {}),
        [T.bucket]: 2,
        [T.publicAccessBlock]: 2,
        [T.encryption]: 2,
        [T.ownership]: 2,
        [T.lifecycle]: 2,
        [T.bucketPolicy]: 2,
        ...(cfg.lake.versioning ? { [T.versioning]: 1 } : {}),
        [T.stream]: 1,
        [T.randomBytes]: 1,
        [T.role]: 1,
        [T.fn]: 1,
        [T.logGroup]: 2,
        [T.object]: 1,
        [T.api]: 1,
        [T.apiStage]: 1,
        [T.route]: EXPECTED_ROUTES.length,
        [T.integration]: EXPECTED_ROUTES.length,
        [T.permission]: EXPECTED_ROUTES.length,
        [RESOURCE_TYPES.alarm]: expectedAlarmCount(s, stage, cfg),
        [RESOURCE_TYPES.dashboard]: 1,
      };
      expect(counts).toEqual(withOperations(withCompactor(withRawArchive(withCuratedLayer(expected)))));
    });

    it("exports the API URL, stream and bucket names and the alarm topic", () => {
      expect(s.outputs).toMatchObject({
        apiUrl: s.one(T.api).state.apiEndpoint,
        streamName: stream.state.name,
        streamArn: stream.state.arn,
        lakeBucket: lakeBucket.state.bucket,
        assetsBucket: assetsBucket.state.bucket,
        alarmTopicArn: s.one(T.topic).state.arn,
        ingestFunction: fn.state.name,
      });
      expect(str(s.outputs.apiUrl)).toMatch(/^https:\/\//);
    });
  });

  describe(`stage "${stage}": Kinesis stream`, () => {
    it("has the stage's capacity mode, retention, KMS encryption and shard-level metrics", () => {
      const { inputs } = stream;
      expect(inputs.retentionPeriod).toBe(cfg.stream.retentionHours);
      expect(inputs.encryptionType).toBe("KMS");
      expect(inputs.kmsKeyId).toBe(cfg.stream.kmsKeyId);
      expect(inputs.shardLevelMetrics).toEqual([...cfg.stream.shardLevelMetrics]);
      expect((inputs.shardLevelMetrics as string[]).length).toBeGreaterThan(0);
      if (cfg.stream.mode === "provisioned") {
        expect(inputs.streamModeDetails).toEqual({ streamMode: "PROVISIONED" });
        expect(inputs.shardCount).toBe(cfg.stream.shards);
        // The autoscaler owns the shard count after creation.
        expect(stream.opts.ignoreChanges).toContain("shardCount");
      } else {
        expect(inputs.streamModeDetails).toEqual({ streamMode: "ON_DEMAND" });
        expect(inputs.shardCount).toBeUndefined();
      }
    });

    it(retain ? "is retained when the stage is removed" : "is deleted with the stage", () => {
      expect(stream.opts.retainOnDelete).toBe(retain);
      expect(stream.inputs.enforceConsumerDeletion).toBe(!retain);
    });
  });

  describe(`stage "${stage}": buckets`, () => {
    const buckets = () => [lakeBucket, assetsBucket];
    const forBucket = (type: string, bucket: RecordedResource) =>
      s.ofType(type).filter((r) => r.inputs.bucket === bucket.state.bucket);

    it(retain ? "are retained and never force-emptied" : "are emptied and deleted with the stage", () => {
      for (const b of buckets()) {
        expect(b.inputs.forceDestroy).toBe(!retain);
        expect(b.opts.retainOnDelete).toBe(retain);
        for (const type of [T.encryption, T.ownership, T.lifecycle, T.publicAccessBlock, T.bucketPolicy]) {
          expect(forBucket(type, b).map((r) => r.opts.retainOnDelete)).toEqual([retain]);
        }
      }
    });

    it("block all public access, enforce bucket-owner ACLs and encrypt by default (SSE-S3)", () => {
      for (const b of buckets()) {
        expect(forBucket(T.publicAccessBlock, b)[0]?.inputs).toMatchObject({
          blockPublicAcls: true,
          blockPublicPolicy: true,
          ignorePublicAcls: true,
          restrictPublicBuckets: true,
        });
        expect(forBucket(T.ownership, b)[0]?.inputs.rule).toEqual({ objectOwnership: "BucketOwnerEnforced" });
        expect(forBucket(T.encryption, b)[0]?.inputs.rules).toEqual([{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }]);
      }
      expect(s.ofType("aws:s3/bucketCorsConfiguration:BucketCorsConfiguration")).toEqual([]);
    });

    it("deny every request without TLS (or with TLS older than 1.2) and allow nothing", () => {
      for (const b of buckets()) {
        const arn = str(b.state.arn);
        const doc = policyOf(forBucket(T.bucketPolicy, b)[0]?.inputs.policy);
        expect(doc.Statement.filter((st) => st.Effect === "Allow")).toEqual([]);
        expect(doc.Statement).toContainEqual({
          Effect: "Deny",
          Principal: "*",
          Action: ["s3:*"],
          Resource: [arn, `${arn}/*`],
          Condition: { Bool: { "aws:SecureTransport": ["false"] } },
        });
        expect(doc.Statement).toContainEqual({
          Effect: "Deny",
          Principal: "*",
          Action: ["s3:*"],
          Resource: [arn, `${arn}/*`],
          Condition: { NumericLessThan: { "s3:TlsVersion": ["1.2"] } },
        });
      }
    });

    it("versions the lake as configured", () => {
      const versioning = forBucket(T.versioning, lakeBucket);
      if (cfg.lake.versioning) expect(versioning[0]?.inputs.versioningConfiguration).toEqual({ status: "Enabled" });
      else expect(versioning).toEqual([]);
      expect(forBucket(T.versioning, assetsBucket)).toEqual([]);
    });

    it("apply the lifecycles: raw/ transitions and expiry, quarantine and scratch expiry, upload hygiene", () => {
      const rules = forBucket(T.lifecycle, lakeBucket)[0]?.inputs.rules as Rule[];
      const byId = Object.fromEntries(rules.map((r) => [r.id, r]));
      for (const r of rules) expect(r.status).toBe("Enabled");
      const raw = byId["raw-archive"];
      expect(raw?.filter).toEqual({ prefix: LAKE_PREFIXES.raw });
      const { infrequentAccessAfterDays, glacierInstantRetrievalAfterDays, expireAfterDays } = cfg.lake.raw;
      const transitions = [
        ...(infrequentAccessAfterDays ? [{ days: infrequentAccessAfterDays, storageClass: "STANDARD_IA" }] : []),
        ...(glacierInstantRetrievalAfterDays ? [{ days: glacierInstantRetrievalAfterDays, storageClass: "GLACIER_IR" }] : []),
      ];
      expect(raw?.transitions ?? []).toEqual(transitions);
      expect(raw?.expiration).toEqual(expireAfterDays === undefined ? undefined : { days: expireAfterDays });
      expect(byId["raw-errors"]?.filter).toEqual({ prefix: LAKE_PREFIXES.rawErrors });
      if (cfg.lake.quarantineExpireAfterDays !== undefined) {
        expect(byId.quarantine).toMatchObject({ filter: { prefix: LAKE_PREFIXES.quarantine }, expiration: { days: cfg.lake.quarantineExpireAfterDays } });
      }
      expect(byId["whole-bucket-hygiene"]).toMatchObject({
        filter: {},
        abortIncompleteMultipartUpload: { daysAfterInitiation: cfg.lake.abortIncompleteUploadsAfterDays },
      });
      if (cfg.lake.versioning) {
        expect(byId["whole-bucket-hygiene"]?.noncurrentVersionExpiration).toEqual({ noncurrentDays: cfg.lake.noncurrentVersionExpirationDays });
      }
      const assetRules = forBucket(T.lifecycle, assetsBucket)[0]?.inputs.rules as Rule[];
      expect(assetRules.filter((r) => r.expiration).map((r) => [r.filter?.prefix, r.expiration?.days])).toEqual([
        ["athena-results/", cfg.lake.scratchExpireAfterDays],
        ["glue/jobs/curation/temp/", cfg.lake.scratchExpireAfterDays],
      ]);
      // Nothing ever expires curated data, aggregates or fallback spills (they wait for replay).
      for (const r of rules) {
        for (const prefix of [LAKE_PREFIXES.curated, LAKE_PREFIXES.aggregates, LAKE_PREFIXES.fallback]) {
          expect(r.filter?.prefix).not.toBe(prefix);
        }
      }
    });
  });

  describe(`stage "${stage}": ingest function`, () => {
    it("pins the runtime and sizes memory and timeout from the stage (within API Gateway's 30 s)", () => {
      expect(fn.inputs.runtime).toBe("nodejs22.x");
      expect(fn.inputs.handler).toBe(ingestFunction.handler);
      expect(fn.inputs.memorySize).toBe(cfg.ingest.memoryMb);
      expect(fn.inputs.timeout).toBe(cfg.ingest.timeoutSeconds);
      expect(fn.inputs.timeout as number).toBeLessThan(30);
      expect(fn.inputs.architectures).toEqual([cfg.ingest.architecture]);
      expect(fn.inputs.reservedConcurrentExecutions).toBe(cfg.ingest.reservedConcurrency);
    });

    it("gets names through its environment contract", () => {
      const env = (fn.inputs.environment as { variables: Record<string, string> }).variables;
      expect(env).toMatchObject({
        [SERVICE_NAME_VARIABLE]: ingestFunction.service,
      });
      // What the handler reads from it at cold start (the schema's names, the stage's values).
      expect(ingestFunction.readEnv(env)).toMatchObject({
        streamName: stream.state.name,
        lakeBucket: lakeBucket.state.bucket,
        fallbackPrefix: LAKE_PREFIXES.fallback,
        schemaDir: "schemas",
        metricsNamespace: `eventlake/${stage}`,
        logLevel: cfg.ingest.logLevel,
        logSampleRate: String(cfg.ingest.debugSampleRate),
        logEvent: "false",
        // On AWS the write keys come from the linked secret, never from the environment.
        writeKeys: undefined,
      });
      // Secret values never sit in the environment: SST ships linked values encrypted (resource.enc, SST_KEY).
      expect(Object.keys(env).filter((k) => k.startsWith("SST_RESOURCE_") && k !== "SST_RESOURCE_App")).toEqual([]);
      expect(env.SST_KEY_FILE).toBe("resource.enc");
    });

    it("ships the schema registry and links only the WriteKeys secret (no data resource)", () => {
      const build = s.builds.find((b) => b.handler === ingestFunction.handler)!;
      expect(build).toBeDefined();
      expect(build.handler).toBe(ingestFunction.handler);
      expect(build.copyFiles.map((c) => ({ to: c.to, isDir: c.isDir, from: c.from.replace(/\\/g, "/").split("/").pop() }))).toEqual([
        { from: "schemas", to: "schemas", isDir: true },
      ]);
      expect(Object.keys(build.links)).toEqual(["WriteKeys"]);
      expect(build.properties).toMatchObject({ architecture: cfg.ingest.architecture });
    });

    it("logs to its own log group with the stage's retention", () => {
      const logGroup = s.one(T.logGroup, "Ingest");
      expect(logGroup.inputs.retentionInDays).toBe(cfg.ingest.logRetentionDays);
      expect(fn.inputs.loggingConfig).toMatchObject({ logGroup: logGroup.inputs.name });
    });
  });

  describe(`stage "${stage}": IAM`, () => {
    it("grants the ingest role exactly kinesis:PutRecords and ListShards on the stream and s3:PutObject under fallback/", () => {
      const role = s.one(T.role, "Ingest");
      const inline = role.inputs.inlinePolicies as { name: string; policy: string }[];
      expect(inline).toHaveLength(1);
      const kms = cfg.stream.kmsKeyId.startsWith("arn:") ? [`kms:GenerateDataKey ${cfg.stream.kmsKeyId}`] : [];
      expect(grantLines(policyOf(inline[0]!.policy).Statement)).toEqual(
        [`kinesis:PutRecords ${str(stream.state.arn)}`, `kinesis:ListShards ${str(stream.state.arn)}`, `s3:PutObject ${str(lakeBucket.state.arn)}/${LAKE_PREFIXES.fallback}*`, ...kms].sort(),
      );
      expect(role.inputs.managedPolicyArns).toEqual(["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]);
      expect(fn.inputs.role).toBe(role.state.arn);
    });

    it("lets only Lambda assume the function role", () => {
      const trust = policyOf(s.one(T.role, "Ingest").inputs.assumeRolePolicy);
      expect(trust.Statement.map((st) => ({ Effect: st.Effect, Action: st.Action, Principal: st.Principal }))).toEqual([
        { Effect: "Allow", Action: ["sts:AssumeRole"], Principal: { Service: ["lambda.amazonaws.com"] } },
      ]);
    });

    it("has no policy that grants a wildcard action (or data actions on every resource)", () => {
      const policies = allPolicies(s);
      // Role (inline + trust), two bucket policies, the topic policy.
      expect(policies.length).toBeGreaterThanOrEqual(5);
      const violations = leastPrivilegeViolations(policies);
      expect(violations, describeViolations(violations)).toEqual([]);
    });
  });

  describe(`stage "${stage}": HTTP API`, () => {
    it("is an HTTP API with CORS for browser SDKs, no credentials", () => {
      const api = s.one(T.api);
      expect(api.inputs.protocolType).toBe("HTTP");
      expect(api.inputs.corsConfiguration).toMatchObject({
        allowOrigins: [...cfg.api.cors.allowOrigins],
        allowMethods: ["GET", "POST"],
        allowHeaders: ["authorization", "content-type", "content-encoding"],
        maxAge: 86_400,
      });
      expect((api.inputs.corsConfiguration as Record<string, unknown>).allowCredentials).toBeFalsy();
    });

    it("throttles the stage with both limits set, and writes JSON access logs to its log group", () => {
      const apiStage = s.one(T.apiStage);
      const settings = apiStage.inputs.defaultRouteSettings as Record<string, unknown>;
      expect(settings.throttlingRateLimit).toBe(cfg.api.throttlingRateLimit);
      expect(settings.throttlingBurstLimit).toBe(cfg.api.throttlingBurstLimit);
      expect(settings.throttlingRateLimit as number).toBeGreaterThan(0);
      expect(settings.throttlingBurstLimit as number).toBeGreaterThan(0);
      expect(settings.detailedMetricsEnabled).toBe(cfg.api.detailedMetrics);
      const logGroup = s.one(T.logGroup, "Api");
      expect(logGroup.inputs.retentionInDays).toBe(cfg.api.accessLogRetentionDays);
      const access = apiStage.inputs.accessLogSettings as { destinationArn: string; format: string };
      expect(access.destinationArn).toBe(logGroup.state.arn);
      // Each line must be valid JSON once API Gateway substitutes the variables (numbers unquoted, "-" quoted).
      const sample = JSON.parse(access.format.replace(/"\$context\.[A-Za-z.]+"/g, '"-"').replace(/\$context\.[A-Za-z.]+/g, "200")) as Record<string, unknown>;
      expect(sample).toMatchObject({ requestId: "-", routeKey: "-", status: 200, responseLatency: 200, errorType: "-", integrationError: "-" });
    });

    it("routes every ingest endpoint and the health check to the ingest function", () => {
      const routes = s.ofType(T.route);
      expect(routes.map((r) => r.inputs.routeKey).sort()).toEqual([...EXPECTED_ROUTES].sort());
      const integrations = new Map(s.ofType(T.integration).map((i) => [`integrations/${i.name}-id`, i]));
      for (const route of routes) {
        expect(route.inputs.authorizationType).toBe("NONE");
        const integration = integrations.get(str(route.inputs.target));
        expect(integration?.inputs).toMatchObject({ integrationType: "AWS_PROXY", payloadFormatVersion: "2.0", integrationUri: fn.state.arn });
      }
      const executionArn = str(s.one(T.api).state.executionArn);
      for (const permission of s.ofType(T.permission)) {
        expect(permission.inputs).toMatchObject({
          action: "lambda:InvokeFunction",
          principal: "apigateway.amazonaws.com",
          function: fn.state.arn,
          sourceArn: `${executionArn}/*`,
        });
      }
    });
  });

  describe(`stage "${stage}": alerting`, () => {
    it("has one alarm topic that CloudWatch alarms of this account may publish to, over TLS only", () => {
      const topic = s.one(T.topic);
      const doc = policyOf(s.one(T.topicPolicy).inputs.policy);
      expect(s.one(T.topicPolicy).inputs.arn).toBe(topic.state.arn);
      expect(doc.Statement).toEqual([
        expect.objectContaining({ Effect: "Allow", Principal: { Service: ["cloudwatch.amazonaws.com"] }, Action: ["sns:Publish"], Resource: [topic.state.arn] }),
        expect.objectContaining({ Effect: "Deny", Principal: "*", Condition: { Bool: { "aws:SecureTransport": ["false"] } } }),
      ]);
      expect(doc.Statement[0]?.Condition?.StringEquals).toEqual({ "aws:SourceAccount": ["123456789012"] });
    });

    it(expectations.alarmEmail ? "emails the stage's alarm address" : "has no email subscription without an address", () => {
      const subscriptions = s.ofType(T.subscription);
      if (!expectations.alarmEmail) {
        expect(subscriptions).toEqual([]);
        return;
      }
      expect(subscriptions.map((r) => r.inputs)).toEqual([
        { topic: s.one(T.topic).state.arn, protocol: "email", endpoint: expectations.alarmEmail },
      ]);
    });
  });
}
