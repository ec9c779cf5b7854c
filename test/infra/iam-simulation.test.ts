/**
 * The IAM simulation itself can fail: the policies that shipped before (ListBucket conditioned on s3:prefix, a
 * Glue job limited to its deepest prefixes) are refused for the calls that need more, and a grant without a call
 * is reported. Pure: hand-written policies, no stacks.
 */
import { describe, expect, it } from "vitest";
import { callsOf } from "@eventlake/core/aws-calls/functions";
import { grantsFor, type ArnValues, type AwsCall } from "@eventlake/core/aws-calls/model";
import jobCalls from "../../glue/runner/aws_calls.json";
import type { PolicyDocument } from "./harness";
import { deniedCalls, grantsWithoutACall, type RoleUnderTest } from "./iam-simulation";

const ROLE = "arn:aws:iam::123456789012:role/r";
const values: ArnValues = {
  partition: "aws",
  region: "us-east-1",
  account: "123456789012",
  streamArn: "arn:aws:kinesis:us-east-1:123456789012:stream/s",
  streamName: "s",
  lakeBucket: "lake",
  assetsBucket: "assets",
  alarmTopicArn: "arn:aws:sns:us-east-1:123456789012:t",
  autoscalerStateKey: "ops/autoscaler/s.json",
  metricsNamespace: "eventlake/dev",
  glueJobName: "j",
  curationLogGroupArn: "arn:aws:logs:us-east-1:123456789012:log-group:/aws-glue/jobs/j",
  curationScriptsPrefix: "glue/scripts/curation/",
  curationWorkDir: "glue/jobs/curation",
};
const doc = (statements: PolicyDocument["Statement"]): PolicyDocument => ({ Version: "2012-10-17", Statement: statements });
/** The derived grants as a policy document, as the stacks render them. */
const derived = (calls: readonly AwsCall[]) =>
  doc(
    grantsFor(calls, values).map((g) => ({
      Effect: "Allow" as const,
      Action: g.actions,
      Resource: g.resources,
      ...(g.conditions ? { Condition: Object.fromEntries(g.conditions.map((c) => [c.test, { [c.variable]: c.values }])) } : {}),
    })),
  );
const role = (calls: readonly AwsCall[], policies: PolicyDocument[]): RoleUnderTest => ({ label: "r", roleArn: ROLE, policies, calls, values });

describe("IAM simulation of call lists", () => {
  it("refuses the autoscaler policy that shipped: ListBucket limited by s3:prefix does not make a missing state file a 404", async () => {
    const calls = callsOf("Autoscaler");
    const old = doc(
      derived(calls).Statement.map((st) =>
        st.Action?.includes("s3:ListBucket") ? { ...st, Condition: { StringEquals: { "s3:prefix": ["ops/autoscaler/s.json"] } } } : st,
      ),
    );
    const denied = await deniedCalls(role(calls, [old]));
    expect(denied.map((d) => [d.action, d.resource, d.result])).toEqual([["s3:ListBucket", "arn:aws:s3:::assets", "ImplicitlyDenied"]]);
    expect(denied[0]!.reason).toMatch(/may be missing: without s3:ListBucket on the bucket S3 answers 403/);
    expect(await deniedCalls(role(calls, [derived(calls)]))).toEqual([]);
  });

  it("refuses UpdateShardCount granted on the stream's ARN (the action has no resource type)", async () => {
    const calls = callsOf("Autoscaler");
    const onStream = doc([
      ...derived(calls).Statement.map((st) => ({ ...st, Action: (st.Action ?? []).filter((a) => a !== "kinesis:UpdateShardCount") })),
      { Effect: "Allow", Action: ["kinesis:UpdateShardCount"], Resource: [values.streamArn!] },
    ]);
    const denied = await deniedCalls(role(calls, [onStream]));
    expect(denied.map((d) => d.action)).toEqual(["kinesis:UpdateShardCount"]);
  });

  it("refuses a Glue job limited to its deepest prefixes: the folder marker next to its work prefix, the unconditioned list", async () => {
    const calls = (jobCalls as { calls: AwsCall[] }).calls;
    const narrow = doc([
      ...derived(calls).Statement.filter((st) => !(st.Resource ?? []).some((r) => r.startsWith("arn:aws:s3:::assets"))),
      { Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], Resource: ["checkpoint", "state", "temp"].map((p) => `arn:aws:s3:::assets/glue/jobs/curation/${p}*`) },
      { Effect: "Allow", Action: ["s3:GetObject"], Resource: ["arn:aws:s3:::assets/glue/scripts/curation/*"] },
      { Effect: "Allow", Action: ["s3:ListBucket"], Resource: ["arn:aws:s3:::assets"], Condition: { StringLike: { "s3:prefix": ["glue/*"] } } },
    ]);
    const denied = await deniedCalls(role(calls, [narrow]));
    const resources = new Set(denied.map((d) => `${d.action} ${d.resource}`));
    expect(resources).toContain("s3:PutObject arn:aws:s3:::assets/glue/jobs/curation_$folder$");
    expect(resources).toContain("s3:ListBucket arn:aws:s3:::assets");
    expect(await deniedCalls(role(calls, [derived(calls)]))).toEqual([]);
  });

  it("reports a grant no call needs", () => {
    const calls = callsOf("Watchdog");
    const extra = doc([...derived(calls).Statement, { Effect: "Allow", Action: ["glue:DeleteJob"], Resource: ["arn:aws:glue:us-east-1:123456789012:job/j"] }]);
    expect(grantsWithoutACall(role(calls, [extra]))).toEqual(["glue:DeleteJob"]);
    expect(grantsWithoutACall(role(calls, [derived(calls)]))).toEqual([]);
  });
});
