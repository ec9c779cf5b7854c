/**
 * Deploy-time environment variables: read by the stacks when a stage is deployed (stacks/stage.ts), never by a
 * function. Named here once; messages and docs-facing text build on these constants.
 */
export const DEPLOY_VARIABLES = {
  /** The address the alarm topic notifies; required by production stages. */
  alarmEmail: "EVENTLAKE_ALARM_EMAIL",
  /** Opt-in reserved concurrency for the ingest function. */
  ingestReservedConcurrency: "EVENTLAKE_INGEST_RESERVED_CONCURRENCY",
  /** The account's concurrency quota (AccountLimit.ConcurrentExecutions), needed to check a reservation. */
  accountConcurrency: "EVENTLAKE_ACCOUNT_CONCURRENCY",
  /** What other functions of the account already reserve. */
  accountReservedConcurrency: "EVENTLAKE_ACCOUNT_RESERVED_CONCURRENCY",
} as const;
