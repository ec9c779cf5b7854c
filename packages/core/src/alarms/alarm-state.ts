/**
 * A CloudWatch alarm's state (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricAlarm.html,
 * StateValue): what notifications, `eventlake smoke` and `status` report, on AWS and locally.
 */
export type AlarmState = "OK" | "ALARM" | "INSUFFICIENT_DATA";
