import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import type { Notice, Notifier } from "@eventlake/core/ports";
import { clientConfig, type AwsTarget } from "./aws-config";

/** SNS limits: Subject is ASCII without line breaks, at most 100 characters; a message at most 256 KB. */
const MAX_MESSAGE_BYTES = 256 * 1024;

/**
 * Notifier over SNS Publish to the stage's alarm topic (email subscribers get the subject and message as they are).
 * Locally the same adapter publishes to the local SNS stand-in (EVENTLAKE_SNS_ENDPOINT), which prints each notice
 * and appends it to the alert log. IAM: sns:Publish on the topic.
 */
export class SnsNotifier implements Notifier {
  readonly client: SNSClient;

  constructor(
    private readonly topicArn: string,
    options: { target: AwsTarget },
  ) {
    this.client = new SNSClient(clientConfig(options.target));
  }

  async publish(notice: Notice): Promise<void> {
    const subject = notice.subject.replace(/[^\x20-\x7e]/g, "?").slice(0, 100);
    let message = notice.message;
    if (Buffer.byteLength(message) > MAX_MESSAGE_BYTES) message = `${Buffer.from(message).subarray(0, MAX_MESSAGE_BYTES - 64).toString("utf8")}\n[truncated]`;
    await this.client.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: subject,
        Message: message,
        MessageAttributes: Object.fromEntries(
          Object.entries(notice.attributes ?? {}).map(([name, value]) => [name, { DataType: "String", StringValue: value }]),
        ),
      }),
    );
  }

  destroy(): void {
    this.client.destroy();
  }
}
