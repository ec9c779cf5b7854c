import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { backoffDelayMs, decideRetry, DEFAULT_RETRY_POLICY, failedEntryIndexes, isRetryableCallError } from "../src/kinesis/retry-policy";

describe("retry policy", () => {
  it("resends exactly the entries PutRecords marked failed", () => {
    expect(
      failedEntryIndexes([
        { SequenceNumber: "1" },
        { ErrorCode: "ProvisionedThroughputExceededException" },
        { SequenceNumber: "2" },
        { ErrorCode: "InternalFailure" },
        {},
      ]),
    ).toEqual([1, 3, 4]);
  });

  it("full jitter stays within [0, min(cap, base * 2^attempt))", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 60 }), fc.double({ min: 0, max: 0.9999999, noNaN: true }), (attempt, r) => {
        const d = backoffDelayMs(attempt, DEFAULT_RETRY_POLICY, () => r);
        const cap = Math.min(DEFAULT_RETRY_POLICY.maxDelayMs, DEFAULT_RETRY_POLICY.baseDelayMs * 2 ** attempt);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThan(Math.max(cap, 1));
      }),
    );
  });

  it("never schedules a call that cannot finish before the deadline", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 10_000 }), (attempts, now, deadline) => {
        const decision = decideRetry(attempts, now, deadline, DEFAULT_RETRY_POLICY, () => 0.99);
        if (decision.retry) {
          expect(now + decision.delayMs + DEFAULT_RETRY_POLICY.callBudgetMs).toBeLessThanOrEqual(deadline);
          expect(attempts).toBeLessThan(DEFAULT_RETRY_POLICY.maxAttempts);
        }
      }),
    );
    expect(decideRetry(1, 0, 500, DEFAULT_RETRY_POLICY, Math.random)).toEqual({ retry: false, why: "deadline" });
    expect(decideRetry(DEFAULT_RETRY_POLICY.maxAttempts, 0, 1e9, DEFAULT_RETRY_POLICY, Math.random)).toEqual({ retry: false, why: "attempts" });
  });

  it("retries throttling and transient failures, not validation or access errors", () => {
    expect(isRetryableCallError({ name: "ProvisionedThroughputExceededException" })).toBe(true);
    expect(isRetryableCallError({ name: "KMSThrottlingException" })).toBe(true);
    expect(isRetryableCallError({ name: "Whatever", $metadata: { httpStatusCode: 503 } })).toBe(true);
    expect(isRetryableCallError({ code: "ECONNRESET" })).toBe(true);
    expect(isRetryableCallError({ name: "ValidationException", $metadata: { httpStatusCode: 400 } })).toBe(false);
    expect(isRetryableCallError({ name: "ResourceNotFoundException" })).toBe(false);
    expect(isRetryableCallError({ name: "AccessDeniedException" })).toBe(false);
  });
});
