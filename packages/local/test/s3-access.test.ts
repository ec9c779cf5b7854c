/**
 * The local S3 stand-in applies S3's missing-key rule per caller, as AWS does: GetObject/HeadObject of a key that
 * does not exist answers 404 NoSuchKey only to a caller allowed s3:ListBucket on the bucket, 403 AccessDenied
 * otherwise (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html). Callers are the roles of
 * packages/core/src/aws-calls, identified by the access key id they sign with; unknown callers keep the default.
 */
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { awsTargetFromEnv, clientConfig } from "@eventlake/adapters/aws-config";
import { S3ObjectStore } from "@eventlake/adapters/s3-object-store";
import { functionCallers } from "@eventlake/emulators/s3/access";
import { startLocalS3, type LocalS3 } from "@eventlake/emulators/s3/server";
import { LOCAL_ARN_VALUES } from "../src/runtime";
import { targetEnv } from "@eventlake/adapters/aws-config";
import { autoscalerFunction } from "@eventlake/core/functions/autoscaler";
import { ingestFunction } from "@eventlake/core/functions/ingest";

const LAKE = LOCAL_ARN_VALUES.lakeBucket;
const ASSETS = LOCAL_ARN_VALUES.assetsBucket;

let dir: string;
let s3: LocalS3;
const clients: S3Client[] = [];
const clientAs = (identity?: string) => {
  const c = new S3Client({ ...clientConfig({ region: "us-east-1", endpoint: s3.endpoint, ...(identity ? { identity } : {}) }), forcePathStyle: true });
  clients.push(c);
  return c;
};
const statusOf = async (p: Promise<unknown>) => {
  try {
    await p;
    return { status: 200, name: "ok" };
  } catch (err) {
    return { status: (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode, name: (err as Error).name };
  }
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "s3-access-"));
  s3 = await startLocalS3({ rootDir: dir, durable: false, callers: functionCallers(LOCAL_ARN_VALUES) });
  const admin = clientAs();
  for (const bucket of [LAKE, ASSETS]) await admin.send(new CreateBucketCommand({ Bucket: bucket }));
  await admin.send(new PutObjectCommand({ Bucket: LAKE, Key: "fallback/present.json", Body: "{}" }));
});

afterAll(async () => {
  for (const c of clients) c.destroy();
  await s3.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("local S3: a missing key answers 403 to a role without s3:ListBucket, 404 with it", () => {
  it("the ingest role (no ListBucket) gets 403 AccessDenied for a missing key, on GetObject and HeadObject", async () => {
    const ingest = clientAs("Ingest");
    expect(await statusOf(ingest.send(new GetObjectCommand({ Bucket: LAKE, Key: "fallback/missing.json" })))).toEqual({ status: 403, name: "AccessDenied" });
    expect((await statusOf(ingest.send(new HeadObjectCommand({ Bucket: LAKE, Key: "fallback/missing.json" })))).status).toBe(403);
    // An existing key is read as before: the rule is only about missing keys.
    expect((await statusOf(ingest.send(new GetObjectCommand({ Bucket: LAKE, Key: "fallback/present.json" })))).status).toBe(200);
  });

  it("the compactor (ListBucket on the lake) gets 404 NoSuchKey there, but 403 on the assets bucket it may not list", async () => {
    const compactor = clientAs("Compactor");
    expect(await statusOf(compactor.send(new GetObjectCommand({ Bucket: LAKE, Key: "curated/missing.parquet" })))).toEqual({ status: 404, name: "NoSuchKey" });
    expect((await statusOf(compactor.send(new GetObjectCommand({ Bucket: ASSETS, Key: "anything" })))).status).toBe(403);
  });

  it("the autoscaler reads its absent state file as missing (ListBucket on the assets bucket)", async () => {
    const env = targetEnv({ S3: s3.endpoint }, autoscalerFunction.id);
    const store = new S3ObjectStore({ bucket: ASSETS, target: awsTargetFromEnv(env, "S3") });
    expect(await store.get(LOCAL_ARN_VALUES.autoscalerStateKey)).toBeUndefined();
    store.client.destroy();
  });

  it("a role without ListBucket reading a maybe-missing key gets a clear error through the adapter, not 'missing'", async () => {
    const env = targetEnv({ S3: s3.endpoint }, ingestFunction.id);
    const store = new S3ObjectStore({ bucket: ASSETS, target: awsTargetFromEnv(env, "S3") });
    await expect(store.get(LOCAL_ARN_VALUES.autoscalerStateKey)).rejects.toThrow(/AccessDenied \(HTTP 403\).*without s3:ListBucket on the bucket/);
    store.client.destroy();
  });

  it("callers without a known identity (CLI, tests) keep the default: 404", async () => {
    for (const identity of [undefined, "local", "someone-else"]) {
      expect(await statusOf(clientAs(identity).send(new GetObjectCommand({ Bucket: ASSETS, Key: "missing" })))).toEqual({ status: 404, name: "NoSuchKey" });
    }
  });
});
