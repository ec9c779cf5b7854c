import { describe, expect, it } from "vitest";
import { FUNCTION_CALLS } from "../src/aws-calls/functions";
import { grantsFor, resolveTemplate, simulatedRequests, unconditionedListBuckets, type AwsCall } from "../src/aws-calls/model";

const get = (resource: string, readsMaybeMissingKey = false): AwsCall => ({ operation: "S3 GetObject", action: "s3:GetObject", resource, by: "t", ...(readsMaybeMissingKey ? { readsMaybeMissingKey } : {}) });
const list = (prefix: string): AwsCall => ({ operation: "S3 ListObjectsV2", action: "s3:ListBucket", resource: "arn:{partition}:s3:::{lakeBucket}", context: { "s3:prefix": prefix }, by: "t" });
const values = { partition: "aws", lakeBucket: "lake", assetsBucket: "assets" };

describe("grants derived from call lists", () => {
  it("grants ListBucket unconditioned on a bucket with a maybe-missing read, and only under the listed prefixes otherwise", () => {
    expect(grantsFor([list("curated/*"), get("arn:{partition}:s3:::{lakeBucket}/curated/*")], values)).toEqual([
      { actions: ["s3:GetObject"], resources: ["arn:aws:s3:::lake/curated/*"] },
      { actions: ["s3:ListBucket"], resources: ["arn:aws:s3:::lake"], conditions: [{ test: "StringLike", variable: "s3:prefix", values: ["curated/*"] }] },
    ]);
    expect(grantsFor([list("curated/*"), get("arn:{partition}:s3:::{lakeBucket}/curated/*", true)], values)).toEqual([
      { actions: ["s3:GetObject"], resources: ["arn:aws:s3:::lake/curated/*"] },
      { actions: ["s3:ListBucket"], resources: ["arn:aws:s3:::lake"] },
    ]);
    expect(unconditionedListBuckets([get("arn:{partition}:s3:::{assetsBucket}/k", true)], values)).toEqual(["assets"]);
  });

  it("conditions other context keys with StringEquals on the values the calls carry", () => {
    const put = (ns: string): AwsCall => ({ operation: "PutMetricData", action: "cloudwatch:PutMetricData", resource: "*", context: { "cloudwatch:namespace": ns }, by: "t" });
    expect(grantsFor([put("Glue"), put("{metricsNamespace}")], { metricsNamespace: "eventlake/dev" })).toEqual([
      { actions: ["cloudwatch:PutMetricData"], resources: ["*"], conditions: [{ test: "StringEquals", variable: "cloudwatch:namespace", values: ["Glue", "eventlake/dev"] }] },
    ]);
  });

  it("drops calls made only with an unset value (the AWS-managed stream key) and refuses unresolved templates", () => {
    const kms: AwsCall = { operation: "KMS", action: "kms:GenerateDataKey", resource: "{streamKmsKeyArn}", onlyWith: "streamKmsKeyArn", by: "t" };
    expect(grantsFor([kms], {})).toEqual([]);
    expect(grantsFor([kms], { streamKmsKeyArn: "arn:aws:kms:us-east-1:1:key/k" })).toEqual([{ actions: ["kms:GenerateDataKey"], resources: ["arn:aws:kms:us-east-1:1:key/k"] }]);
    expect(() => resolveTemplate("arn:{partition}:s3:::{lakeBucket}", { partition: "aws" })).toThrow(/no value for \{lakeBucket\}/);
    expect(() => resolveTemplate("{nope}", {})).toThrow(/unknown placeholder/);
  });

  it("simulates a key under a prefix, and the ListBucket rule for every maybe-missing read", () => {
    const requests = simulatedRequests([get("arn:{partition}:s3:::{assetsBucket}/glue/jobs/curation*", true)], values);
    expect(requests.map((r) => [r.action, r.resource])).toEqual([
      ["s3:GetObject", "arn:aws:s3:::assets/glue/jobs/curation/sample/part-00000.parquet"],
      ["s3:ListBucket", "arn:aws:s3:::assets"],
    ]);
  });

  it("every call names an exact action and the code that makes it", () => {
    for (const entry of Object.values(FUNCTION_CALLS)) {
      for (const call of entry.calls) {
        expect(call.action, `${entry.id}: ${call.operation}`).toMatch(/^[a-z0-9-]+:[A-Za-z]+$/);
        expect(call.by.length).toBeGreaterThan(0);
      }
    }
  });
});
