/**
 * The least-privilege guards themselves: the policy checker used by the stage suites must catch every form of
 * wildcard grant, and the stacks' grant() helper must refuse to build one.
 */
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { callsOf } from "@eventlake/core/aws-calls/functions";
import { grantsFor } from "@eventlake/core/aws-calls/model";
import { stageConfig } from "@eventlake/core/stage-config";
import { ROOT, type PolicyDocument, type PolicyStatement } from "./harness";
import { ACCOUNT_LEVEL_ACTIONS, leastPrivilegeViolations } from "./iam-rules";

const STREAM = "arn:aws:kinesis:us-east-1:123456789012:stream/events";
const doc = (...Statement: PolicyStatement[]): { owner: string; kind: string; document: PolicyDocument }[] => [
  { owner: "role", kind: "inline", document: { Version: "2012-10-17", Statement } },
];
const reasons = (...statements: PolicyStatement[]) => leastPrivilegeViolations(doc(...statements)).map((v) => v.reason);

interface IamModule {
  grant(actions: string[], resources: string[]): { actions: string[]; resources: string[] };
}
interface StreamModule {
  streamKmsKeyArn(stage: unknown): string | undefined;
}
const importStack = (file: string): Promise<unknown> => import(/* @vite-ignore */ join(ROOT, "stacks", file));

describe("least-privilege checker", () => {
  it.each([["*"], ["kinesis:*"], ["s3:*"], ["s3:Put*"], ["kinesis:Put?ecords"]])("flags the wildcard action %s", (action) => {
    expect(reasons({ Effect: "Allow", Action: [action], Resource: [STREAM] })).toContain(`wildcard action "${action}"`);
  });

  it("flags NotAction and data actions on every resource", () => {
    expect(reasons({ Effect: "Allow", NotAction: ["iam:*"], Resource: ["*"] })[0]).toMatch(/NotAction/);
    expect(reasons({ Effect: "Allow", Action: ["kinesis:PutRecords"], Resource: ["*"] })).toEqual([
      "data actions kinesis:PutRecords on every resource",
    ]);
    expect(reasons({ Effect: "Allow", Action: ["s3:GetObject"], Resource: ["arn:aws:s3:::*"] })).toHaveLength(1);
  });

  it("allows account-level actions (no resource type) on * by name only, never mixed with data actions", () => {
    expect(reasons({ Effect: "Allow", Action: ["kinesis:DescribeLimits"], Resource: ["*"] })).toEqual([]);
    expect(reasons({ Effect: "Allow", Action: ["cloudwatch:GetMetricData"], Resource: ["*"] })).toEqual([]);
    expect(reasons({ Effect: "Allow", Action: ["kinesis:DescribeLimits", "kinesis:PutRecords"], Resource: ["*"] })).toEqual([
      "data actions kinesis:PutRecords on every resource",
    ]);
    expect(reasons({ Effect: "Allow", Action: ["kinesis:DescribeStreamSummary"], Resource: ["*"] })).toHaveLength(1);
  });

  it("accepts exact actions on named resources, non-data actions on *, and Deny statements", () => {
    expect(
      reasons(
        { Effect: "Allow", Action: ["kinesis:PutRecords"], Resource: [STREAM] },
        { Effect: "Allow", Action: ["s3:PutObject"], Resource: ["arn:aws:s3:::lake/fallback/*"] },
        { Effect: "Allow", Action: ["cloudwatch:PutMetricData"], Resource: ["*"] },
        { Effect: "Deny", Action: ["s3:*"], Resource: ["arn:aws:s3:::lake"], Principal: "*" },
      ),
    ).toEqual([]);
  });
});

describe("stacks/iam.ts grant()", () => {
  it("refuses wildcard actions at build time", async () => {
    const { grant } = (await importStack("iam.ts")) as IamModule;
    for (const action of ["*", "kinesis:*", "s3:Put*", "kinesis"]) {
      expect(() => grant([action], [STREAM])).toThrow(/not an exact action/);
    }
    expect(grant(["kinesis:PutRecords"], [STREAM])).toEqual({ actions: ["kinesis:PutRecords"], resources: [STREAM] });
  });
});

describe("stream KMS grants", () => {
  it("needs none with the AWS-managed key, and exactly kms:GenerateDataKey / kms:Decrypt on a customer-managed key", async () => {
    const { streamKmsKeyArn } = (await importStack("stream.ts")) as StreamModule;
    const dev = stageConfig("dev");
    const kmsGrants = (id: "Ingest" | "RawArchive", key: string | undefined) =>
      grantsFor(callsOf(id), { partition: "aws", region: "us-east-1", account: "123456789012", streamArn: STREAM, lakeBucket: "lake", transformArn: "arn:aws:lambda:us-east-1:123456789012:function:t", rawArchiveLogGroupArn: "arn:aws:logs:us-east-1:123456789012:log-group:g", rawArchiveLogStream: "s", ...(key ? { streamKmsKeyArn: key } : {}) })
        .filter((g) => g.actions.some((a) => a.startsWith("kms:")));
    expect(streamKmsKeyArn({ config: dev })).toBeUndefined();
    expect(kmsGrants("Ingest", undefined)).toEqual([]);
    const key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    expect(streamKmsKeyArn({ config: { ...dev, stream: { ...dev.stream, kmsKeyId: key } } })).toBe(key);
    expect(kmsGrants("Ingest", key)).toEqual([{ actions: ["kms:GenerateDataKey"], resources: [key] }]);
    expect(kmsGrants("RawArchive", key)).toEqual([{ actions: ["kms:Decrypt"], resources: [key] }]);
  });
});

describe("account-level actions are exactly the ones AWS only accepts on *", () => {
  it("matches the IAM action data of the simulator (Service Authorization Reference)", async () => {
    const { isWildcardOnlyAction } = await import("@cloud-copilot/iam-simulate");
    for (const action of ACCOUNT_LEVEL_ACTIONS) {
      const [service, name] = action.split(":") as [string, string];
      expect(await isWildcardOnlyAction(service, name), action).toBe(true);
    }
    expect(await isWildcardOnlyAction("kinesis", "PutRecords")).toBe(false);
  });
});
