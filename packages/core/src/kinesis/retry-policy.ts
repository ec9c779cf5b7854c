/**
 * How the stream writer retries, as pure functions: which entries to resend, how long to wait, when to stop.
 * PutRecords answers 200 even when entries failed (FailedRecordCount > 0), so the SDK's own retries never see
 * those failures; this policy resends only the failed entries, with full-jitter exponential backoff
 * (delay = random(0, min(cap, base * 2^attempt))), and never past the caller's deadline.
 */
export interface RetryPolicy {
  baseDelayMs: number;
  maxDelayMs: number;
  /** Time one more PutRecords call needs; no attempt starts unless it can finish before the deadline. */
  callBudgetMs: number;
  /** Safety stop independent of the deadline. */
  maxAttempts: number;
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  baseDelayMs: 50,
  maxDelayMs: 2_000,
  callBudgetMs: 1_000,
  maxAttempts: 12,
});

/** Whole-call errors worth retrying: throttling, and the service's or the network's transient failures. */
const RETRYABLE_ERRORS = new Set([
  "ProvisionedThroughputExceededException",
  "LimitExceededException",
  "ThrottlingException",
  "KMSThrottlingException",
  "InternalFailure",
  "InternalFailureException",
  "ServiceUnavailable",
  "ServiceUnavailableException",
  "RequestTimeout",
  "RequestTimeoutException",
  "TimeoutError",
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
]);

export function isRetryableCallError(error: { name?: string; code?: string; $metadata?: { httpStatusCode?: number } }): boolean {
  if (error.name && RETRYABLE_ERRORS.has(error.name)) return true;
  if (error.code && RETRYABLE_ERRORS.has(error.code)) return true;
  const status = error.$metadata?.httpStatusCode;
  return status !== undefined && status >= 500;
}

/** Indexes (into the request) of the entries a PutRecords response marks failed. */
export function failedEntryIndexes(results: readonly { ErrorCode?: string | undefined; SequenceNumber?: string | undefined }[]): number[] {
  const failed: number[] = [];
  for (let i = 0; i < results.length; i++) {
    const r = results[i]!;
    if (r.ErrorCode || !r.SequenceNumber) failed.push(i);
  }
  return failed;
}

/** Full jitter: uniformly random in [0, min(maxDelay, base * 2^attempt)). `attempt` counts retries from 0. */
export function backoffDelayMs(attempt: number, policy: RetryPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}

export type RetryDecision = { retry: true; delayMs: number } | { retry: false; why: "attempts" | "deadline" };

/**
 * Decides whether to make attempt number `attemptsMade + 1`. The wait is shortened if needed so the call still
 * fits before the deadline; if no call fits, stop (the caller spills what is left).
 */
export function decideRetry(
  attemptsMade: number,
  nowMs: number,
  deadlineMs: number,
  policy: RetryPolicy,
  random: () => number,
): RetryDecision {
  if (attemptsMade >= policy.maxAttempts) return { retry: false, why: "attempts" };
  const room = deadlineMs - nowMs - policy.callBudgetMs;
  if (room < 0) return { retry: false, why: "deadline" };
  return { retry: true, delayMs: Math.min(backoffDelayMs(attemptsMade - 1, policy, random), room) };
}
