/**
 * Fault injection for tests: failures that neither kinesalite nor AWS produce on demand.
 *
 * All three hooks are optional and are called for JSON 1.1 requests the front receives (`wholeCall` and
 * `delayMs` also for other encodings, as long as X-Amz-Target names an operation):
 *
 *  - `delayMs`: latency added before the call is handled (a number, or per operation).
 *  - `wholeCall(operation, streamName)`: return an error name (e.g. "InternalFailure",
 *    "ProvisionedThroughputExceededException", "LimitExceededException") or `{ name, message?, statusCode? }` to
 *    fail the whole call with that error instead of handling it; undefined handles it normally. The status code
 *    defaults to 500 for InternalFailure, 503 for ServiceUnavailable, 400 otherwise.
 *  - `putRecords(entries)`: for PutRecords and PutRecord, return one forced error code per entry (same order;
 *    undefined = no fault) or undefined for none. Forced entries are answered with that code (and the AWS message
 *    for "ProvisionedThroughputExceededException" and "InternalFailure"), are not written and use no capacity.
 *    For PutRecord a forced code fails the call with that error.
 */
export interface FaultEntry {
  /** Index of the entry in the request. */
  index: number;
  streamName: string;
  shardId: string;
  partitionKey: string;
  explicitHashKey?: string;
  /** Data bytes (decoded). */
  bytes: number;
}

export type PutRecordsFaultCode = "ProvisionedThroughputExceededException" | "InternalFailure" | (string & {});

export interface InjectedError {
  name: string;
  message?: string;
  statusCode?: number;
}

export interface FaultInjector {
  putRecords?: (entries: readonly FaultEntry[]) => ReadonlyArray<PutRecordsFaultCode | undefined> | undefined;
  wholeCall?: (operation: string, streamName: string | undefined) => string | InjectedError | undefined;
  delayMs?: number | ((operation: string) => number);
}

export function injectedDelay(faults: FaultInjector | undefined, operation: string): number {
  const delay = faults?.delayMs;
  const ms = typeof delay === "function" ? delay(operation) : (delay ?? 0);
  return Number.isFinite(ms) && ms > 0 ? ms : 0;
}
