/**
 * Every role of the stage, simulated against the calls its code makes (iam-simulation.ts): the Lambda functions'
 * roles (packages/core/src/aws-calls/functions.ts), the raw archive's Firehose role and the curation Glue job's
 * role (glue/runner/aws_calls.json). A role that is missing a call, or grants an action no call makes, fails here.
 */
import { describe, expect, it } from "vitest";
import { FUNCTION_CALLS, type FunctionId } from "@eventlake/core/aws-calls/functions";
import type { ArnValues, AwsCall } from "@eventlake/core/aws-calls/model";
import { autoscalerStateKey } from "@eventlake/core/autoscaler/state";
import { glueTableDefinitions } from "@eventlake/core/curation/contract";
import { metricsNamespace, type StageConfig } from "@eventlake/core/stage-config";
import jobCalls from "../../glue/runner/aws_calls.json";
import { ACCOUNT, REGION, policyOf, type PolicyDocument, type RecordedResource, type Scenario } from "./harness";
import { deniedCalls, describeFindings, grantsWithoutACall, type RoleUnderTest } from "./iam-simulation";
import { RESOURCE_TYPES } from "./resource-types";

const T = RESOURCE_TYPES;
const JOB_CALLS = (jobCalls as { calls: AwsCall[] }).calls;

/** The role's own policy documents: inline policies of the role and RolePolicy resources attached to it. */
function policiesOf(s: Scenario, role: RecordedResource): PolicyDocument[] {
  const inline = ((role.inputs.inlinePolicies as { policy: unknown }[] | undefined) ?? []).map((p) => policyOf(p.policy));
  const attached = s.ofType(T.rolePolicy).filter((p) => p.inputs.role === role.state.id || p.inputs.role === `${role.name}-id` || p.inputs.role === role.state.name);
  return [...inline, ...attached.map((p) => policyOf(p.inputs.policy))];
}

function functionRole(s: Scenario, id: FunctionId): RecordedResource {
  const fns = s.ofType(T.fn).filter((f) => f.name === id || f.name.startsWith(`${id}Function`) || f.name.startsWith(`${id}Handler`) || f.name === `${id}Function`);
  if (fns.length !== 1) throw new Error(`function ${id}: found ${fns.map((f) => f.name).join(", ") || "none"} among ${s.ofType(T.fn).map((f) => f.name).join(", ")}`);
  const role = s.ofType(T.role).find((r) => r.state.arn === fns[0]!.inputs.role);
  if (!role) throw new Error(`function ${id}: no role with ARN ${String(fns[0]!.inputs.role)}`);
  return role;
}

const str = (v: unknown) => String(v);

function stageValues(s: Scenario, stage: string, cfg: StageConfig): ArnValues {
  const bucket = (prefix: string) => str(s.one(T.bucket, prefix).state.bucket);
  const stream = s.one(T.stream, "Events");
  const transform = s.ofType(T.fn).find((f) => f.name.startsWith("RawTransform"));
  const rawLogGroup = s.ofType(T.logGroup).find((g) => g.name === "RawArchiveLogs");
  const rawLogStream = s.ofType("aws:cloudwatch/logStream:LogStream").find((g) => g.name === "RawArchiveLogStream");
  const curationLogs = s.ofType(T.logGroup).find((g) => g.name === "CurationLogs");
  const job = s.ofType("aws:glue/job:Job")[0];
  const kms = cfg.stream.kmsKeyId.startsWith("alias/aws/") ? undefined : cfg.stream.kmsKeyId;
  return {
    partition: "aws",
    region: REGION,
    account: ACCOUNT,
    streamArn: str(stream.state.arn),
    streamName: str(stream.state.name),
    lakeBucket: bucket("Lake"),
    assetsBucket: bucket("Assets"),
    alarmTopicArn: str(s.one(T.topic).state.arn),
    glueJobName: job ? str(job.inputs.name) : undefined,
    metricsNamespace: metricsNamespace(stage),
    streamKmsKeyArn: kms,
    transformArn: transform ? str(transform.state.arn) : undefined,
    rawArchiveLogGroupArn: rawLogGroup ? str(rawLogGroup.state.arn) : undefined,
    rawArchiveLogStream: rawLogStream ? str(rawLogStream.state.name) : undefined,
    curationLogGroupArn: curationLogs ? str(curationLogs.state.arn) : undefined,
    autoscalerStateKey: autoscalerStateKey(str(stream.state.name)),
    curationScriptsPrefix: "glue/scripts/curation/",
    curationWorkDir: "glue/jobs/curation",
  };
}

export function roleCallAssertions(stage: string, cfg: StageConfig, scenario: () => Scenario) {
  const roles = (): RoleUnderTest[] => {
    const s = scenario();
    const values = stageValues(s, stage, cfg);
    const out: RoleUnderTest[] = [];
    for (const entry of Object.values(FUNCTION_CALLS)) {
      const role =
        entry.kind === "function" ? functionRole(s, entry.id) : s.one(T.role, `${entry.id}Role`);
      out.push({ label: `${entry.id} (${entry.kind})`, roleArn: str(role.state.arn), policies: policiesOf(s, role), calls: entry.calls, values });
    }
    // EventBridge Scheduler's roles (sst.aws.CronV2): they invoke their function, nothing else.
    for (const id of ["Autoscaler", "Compactor", "Watchdog"] as const) {
      const fn = s.ofType(T.fn).find((f) => f.name.startsWith(`${id}Handler`))!;
      const role = s.one(T.role, `${id}Role`);
      const calls: AwsCall[] = [{ operation: "Scheduler invokes the function", action: "lambda:InvokeFunction", resource: str(fn.state.arn), by: `sst.aws.CronV2 ${id}` }];
      out.push({ label: `${id} schedule (EventBridge Scheduler)`, roleArn: str(role.state.arn), policies: policiesOf(s, role), calls, values });
    }
    const job = s.one(T.role, "CurationJobRole");
    out.push({ label: "CurationJob (Glue job and its runner)", roleArn: str(job.state.arn), policies: policiesOf(s, job), calls: JOB_CALLS, values });
    return out;
  };

  describe(`stage "${stage}": every role allows exactly its code's AWS calls (IAM policy simulation)`, () => {
    it("covers every role of the stage", () => {
      const covered = new Set(roles().map((r) => r.roleArn));
      const uncovered = scenario()
        .ofType(T.role)
        .filter((r) => !covered.has(str(r.state.arn)) && policiesOf(scenario(), r).length > 0);
      expect(uncovered.map((r) => `${r.name}: ${JSON.stringify(policiesOf(scenario(), r))} trust ${String(r.inputs.assumeRolePolicy)}`)).toEqual([]);
    });

    it("allows every call, and s3:ListBucket on the bucket for every read of a key that may be missing", async () => {
      const findings = (await Promise.all(roles().map(deniedCalls))).flat();
      expect(findings, describeFindings(findings)).toEqual([]);
    });

    it("grants no action that no call needs", () => {
      const extra = roles().flatMap((r) => grantsWithoutACall(r).map((a) => `${r.label}: ${a}`));
      expect(extra).toEqual([]);
    });

    it("grants s3:ListBucket unconditioned to exactly the roles that read maybe-missing keys", () => {
      const unconditioned = roles()
        .filter((r) => r.policies.some((d) => d.Statement.some((st) => st.Effect === "Allow" && st.Action?.includes("s3:ListBucket") && !st.Condition)))
        .map((r) => r.label)
        .sort();
      const readers = roles()
        .filter((r) => r.calls.some((c) => c.readsMaybeMissingKey))
        .map((r) => r.label)
        .sort();
      expect(readers).toEqual(["Autoscaler (function)", "Compactor (function)", "CurationJob (Glue job and its runner)"]);
      expect(unconditioned).toEqual(readers);
    });

    it("the job's call list names exactly the lake table prefixes of the curation contract, and its paths are under its work prefix", () => {
      const lakePrefixes = new Set(
        JOB_CALLS.filter((c) => c.resource.includes("{lakeBucket}/")).map((c) => c.resource.split("{lakeBucket}/")[1]!.replace(/\*$/, "")),
      );
      expect([...lakePrefixes].sort()).toEqual(glueTableDefinitions().map((t) => t.prefix).sort());
      const job = scenario().ofType("aws:glue/job:Job")[0]!;
      const args = job.inputs.defaultArguments as Record<string, string>;
      const assets = str(scenario().one(T.bucket, "Assets").state.bucket);
      for (const key of ["--checkpoint_prefix", "--state_prefix", "--staging_prefix"]) expect(args[key], key).toMatch(/^glue\/jobs\/curation\//);
      expect(args["--TempDir"]).toBe(`s3://${assets}/glue/jobs/curation/temp/spark/`);
    });
  });
}
