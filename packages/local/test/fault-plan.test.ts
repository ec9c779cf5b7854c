/** The fault plan's injectors: they inject what the plan says, at about its shares, and count what they inject. */
import { S3Error } from "@eventlake/emulators/s3/errors";
import { faultPlanProblems, injectFaults } from "@eventlake/local/fault-plan";
import { describe, expect, it } from "vitest";

const entries = (count: number) => Array.from({ length: count }, (_, index) => ({ index, streamName: "s", shardId: "shardId-000000000000", partitionKey: "k", bytes: 10 }));

describe("fault plan", () => {
  it("rejects shares outside 0..1 and negative latencies", () => {
    expect(faultPlanProblems({ putRecordsEntryFailures: 0.3, functionLatencyMs: { x: 10 } })).toEqual([]);
    expect(faultPlanProblems({ throttledCalls: 1.5, objectStoreErrors: -1, functionLatencyMs: { x: -5 } })).toEqual([
      "throttledCalls must be a share between 0 and 1",
      "objectStoreErrors must be a share between 0 and 1",
      "functionLatencyMs.x must be a number of ms >= 0",
    ]);
  });

  it("fails about the planned share of PutRecords entries, with both error codes, and counts them", () => {
    const faults = injectFaults({ putRecordsEntryFailures: 0.3, seed: 3 });
    const codes = faults.kinesis!.putRecords!(entries(10_000))!;
    const failed = codes.filter((c) => c !== undefined);
    expect(failed.length / codes.length).toBeGreaterThan(0.27);
    expect(failed.length / codes.length).toBeLessThan(0.33);
    expect(new Set(failed)).toEqual(new Set(["ProvisionedThroughputExceededException", "InternalFailure"]));
    expect(faults.counts.putRecordsEntries).toBe(failed.length);
    expect(faults.kinesis!.wholeCall).toBeUndefined();
  });

  it("throttles only PutRecords and GetRecords calls", () => {
    const faults = injectFaults({ throttledCalls: 1 });
    expect(faults.kinesis!.wholeCall!("PutRecords", "s")).toBe("ProvisionedThroughputExceededException");
    expect(faults.kinesis!.wholeCall!("GetRecords", "s")).toBe("ProvisionedThroughputExceededException");
    expect(faults.kinesis!.wholeCall!("ListShards", "s")).toBeUndefined();
    expect(faults.counts.throttledCalls).toBe(2);
  });

  it("answers object calls and listings with SlowDown or InternalError, never bucket creation", () => {
    const faults = injectFaults({ objectStoreErrors: 1 });
    expect(faults.objectStore!({ method: "PUT", bucket: "b" })).toBeUndefined();
    expect(faults.objectStore!({ method: "HEAD", bucket: "b" })).toBeUndefined();
    const errors = Array.from({ length: 50 }, () => faults.objectStore!({ method: "PUT", bucket: "b", key: "k" })!);
    expect(errors.every((e) => e instanceof S3Error)).toBe(true);
    expect(new Set(errors.map((e) => `${e.code} ${e.status}`))).toEqual(new Set(["SlowDown 503", "InternalError 500"]));
    expect(faults.objectStore!({ method: "GET", bucket: "b" })).toBeInstanceOf(S3Error); // a listing
    expect(faults.counts.objectStoreErrors).toBe(51);
  });

  it("injects nothing without a plan", () => {
    expect(injectFaults({})).toEqual({ counts: { putRecordsEntries: 0, throttledCalls: 0, objectStoreErrors: 0, slowedInvocations: 0 } });
  });
});
