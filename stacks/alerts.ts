/**
 * Alerting: one SNS topic per stage that every CloudWatch alarm and operational notice publishes to, with an email
 * subscription from the stage settings (AWS emails a confirmation link first).
 *
 * The topic is not KMS-encrypted: CloudWatch alarms cannot publish to a topic encrypted with the AWS-managed SNS
 * key, and alarm notices carry no event data. Its policy lets CloudWatch alarms of this account publish and refuses
 * publishing without TLS. Publishers in the account (the operations functions) get `sns:Publish` via their roles.
 */
import type { Stage } from "./stage";

export function createAlerts(stage: Stage) {
  const topic = new sst.aws.SnsTopic("Alarms");
  const account = aws.getCallerIdentityOutput({}).accountId;
  const partition = aws.getPartitionOutput({}).partition;
  const region = aws.getRegionOutput({}).region;

  new aws.sns.TopicPolicy("AlarmsPolicy", {
    arn: topic.arn,
    policy: aws.iam.getPolicyDocumentOutput({
      statements: [
        {
          sid: "CloudWatchAlarmsOfThisAccount",
          effect: "Allow",
          principals: [{ type: "Service", identifiers: ["cloudwatch.amazonaws.com"] }],
          actions: ["sns:Publish"],
          resources: [topic.arn],
          conditions: [
            { test: "StringEquals", variable: "aws:SourceAccount", values: [account] },
            { test: "ArnLike", variable: "aws:SourceArn", values: [$interpolate`arn:${partition}:cloudwatch:${region}:${account}:alarm:*`] },
          ],
        },
        {
          sid: "DenyInsecureTransport",
          effect: "Deny",
          principals: [{ type: "*", identifiers: ["*"] }],
          actions: ["sns:Publish"],
          resources: [topic.arn],
          conditions: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
        },
      ],
    }).json,
  });

  if (stage.alarmEmail) {
    new aws.sns.TopicSubscription("AlarmsEmail", {
      topic: topic.arn,
      protocol: "email",
      endpoint: stage.alarmEmail,
    });
  }

  return { topic };
}

export type Alerts = ReturnType<typeof createAlerts>;
