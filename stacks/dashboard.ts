/**
 * The pipeline's CloudWatch dashboard (packages/core/src/alarms/dashboard.ts lays it out from the alarm catalog):
 * ingest requests, accepted, rejected, spilled; the stream's incoming records and throttling; consumer iterator
 * age; Firehose freshness; Glue consumer lag; the curated quarantine rate; function errors, throttles and
 * duration; and the status of every alarm.
 */
import { pipelineDashboard } from "@eventlake/core/alarms/dashboard";
import type { Alarms, MonitoredResources } from "./alarms";
import type { Stage } from "./stage";

export function createDashboard(stage: Stage, resources: MonitoredResources, alarms: Alarms) {
  const region = aws.getRegionOutput({}).region;
  const dashboardName = `${$app.name}-${stage.name}`;
  const body = pipelineDashboard<$util.Input<string>>({
    region,
    stage: stage.name,
    names: {
      stream: resources.stream.name,
      ...(resources.deliveryStream ? { deliveryStream: resources.deliveryStream.name } : {}),
      ...(resources.glueJob ? { glueJob: resources.glueJob.name } : {}),
      functions: Object.fromEntries(Object.entries(resources.functions).map(([key, fn]) => [key, fn.name])),
    },
    catalog: alarms.catalog,
    alarmArns: alarms.alarms.map(({ alarm }) => alarm.arn),
  });
  const dashboard = new aws.cloudwatch.Dashboard("Dashboard", {
    dashboardName,
    dashboardBody: $jsonStringify(body),
  });
  const url = $interpolate`https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards:name=${dashboard.dashboardName}`;
  return { dashboard, url };
}

export type Dashboard = ReturnType<typeof createDashboard>;
