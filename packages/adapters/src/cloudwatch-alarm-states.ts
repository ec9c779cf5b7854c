/** The states of named CloudWatch alarms (DescribeAlarms, at most 100 names per call as the API allows). */
import { CloudWatchClient, DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { clientConfig, type AwsTarget } from "./aws-config";

export interface AlarmStateInfo {
  name: string;
  state: string;
  reason: string;
  /** ISO time of the last state change. */
  since?: string;
}

/** DescribeAlarms accepts at most 100 AlarmNames (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html). */
const NAMES_PER_CALL = 100;

export async function describeAlarmStates(target: AwsTarget, names: readonly string[]): Promise<AlarmStateInfo[]> {
  const client = new CloudWatchClient(clientConfig(target));
  try {
    const states: AlarmStateInfo[] = [];
    for (let i = 0; i < names.length; i += NAMES_PER_CALL) {
      let nextToken: string | undefined;
      do {
        const page = await client.send(new DescribeAlarmsCommand({ AlarmNames: names.slice(i, i + NAMES_PER_CALL), AlarmTypes: ["MetricAlarm", "CompositeAlarm"], NextToken: nextToken }));
        for (const a of [...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? [])]) {
          states.push({ name: a.AlarmName ?? "", state: a.StateValue ?? "UNKNOWN", reason: a.StateReason ?? "", ...(a.StateUpdatedTimestamp ? { since: a.StateUpdatedTimestamp.toISOString() } : {}) });
        }
        nextToken = page.NextToken;
      } while (nextToken);
    }
    return states;
  } finally {
    client.destroy();
  }
}
