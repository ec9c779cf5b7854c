/**
 * CloudWatch Logs retention values (days): values PutRetentionPolicy accepts
 * (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html) that SST also
 * maps to its own names (stacks/stage.ts). The stage settings (stage-config.ts) and the compaction settings
 * (compaction/settings.ts) both use it, so it lives below both.
 */
export type LogRetentionDays = 1 | 3 | 5 | 7 | 14 | 30 | 60 | 90 | 120 | 150 | 180 | 365 | 400 | 545 | 731 | 1096 | 1827 | 3653;
