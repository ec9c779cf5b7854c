// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- SST's generated platform types
/// <reference path="./.sst/platform/config.d.ts" />

/**
 * eventlake on AWS, one stack per stage: `npx sst deploy --stage <name>` (see docs/deploy.md).
 * Stage settings live in packages/core/src/stage-config.ts; each concern is one module in stacks/, created below in
 * the order data flows: secrets and alerting, storage, the stream, the ingest function, the public API.
 * applyDefaults() first: settings every function gets (pinned runtime, Lambda-only role trust).
 * No top-level imports: the SST CLI evaluates this file itself; modules are imported inside app() and run().
 */
export default $config({
  async app(input) {
    const { assertStageName, stageConfig } = await import("@eventlake/core/stage-config");
    // A name that is not lowercase is refused here, before SST creates anything (`Prod` is not `prod`).
    assertStageName(input.stage);
    const { removal } = stageConfig(input.stage);
    return {
      name: "eventlake",
      home: "aws",
      // Production: `sst remove` refuses to run, and data resources are retained if it ever does.
      protect: removal.protect,
      removal: removal.retainData ? "retain" : "remove",
      providers: {
        aws: {
          version: "7.20.0",
          defaultTags: { tags: { app: "eventlake", stage: input.stage } },
        },
      },
    };
  },

  async run() {
    const { resolveStage } = await import("./stacks/stage");
    const { applyDefaults } = await import("./stacks/defaults");
    const { createSecrets } = await import("./stacks/secrets");
    const { createAlerts } = await import("./stacks/alerts");
    const { createLake } = await import("./stacks/lake");
    const { createStream } = await import("./stacks/stream");
    const { createIngest } = await import("./stacks/ingest");
    const { createApi } = await import("./stacks/api");
    const { createRawArchive } = await import("./stacks/firehose");
    const { createCatalog } = await import("./stacks/catalog");
    const { createCuration } = await import("./stacks/glue");
    const { createDevCuration, curationRunsLocally } = await import("./stacks/dev-curation");
    const { createAlarms } = await import("./stacks/alarms");
    const { createDashboard } = await import("./stacks/dashboard");
    const { createCompactor } = await import("./stacks/compactor");
    const { createAutoscaler } = await import("./stacks/autoscaler");
    const { createWatchdog } = await import("./stacks/watchdog");
    const fns = await import("@eventlake/core/functions/index");

    const stage = resolveStage($app.stage);
    applyDefaults();
    const secrets = createSecrets(stage);
    const alerts = createAlerts(stage);
    const lake = createLake(stage);
    const stream = createStream(stage);
    const ingest = createIngest(stage, { stream, lake, secrets });
    const api = createApi(stage, { ingest });
    // Raw archive: Firehose reads the stream, the transform keeps canonical records byte for byte, gzip NDJSON to raw/.
    const rawArchive = createRawArchive(stage, { stream, lake });
    // Curated layer: the catalog (tables with partition projection, Athena workgroup) and the Glue streaming job.
    const catalog = createCatalog(stage, { lake });
    // Under `sst dev` on a personal stage the local curator runs on the developer's machine against this stage's stream
    // and lake (stacks/dev-curation.ts); otherwise the Glue streaming job does.
    const devCuration = curationRunsLocally(stage, $dev) ? createDevCuration(stage, { stream, lake }) : undefined;
    const curation = devCuration ? undefined : createCuration(stage, { stream, lake });
    // Compaction: merges the small files of settled curated partitions, hourly (crash-safe, see ARCHITECTURE.md).
    const compactor = createCompactor(stage, { lake });
    // Shard autoscaler (UpdateShardCount within AWS's limits) and the job watchdog (keeps the Glue job RUNNING).
    const autoscaler = createAutoscaler(stage, { stream, lake, alerts });
    const watchdog = curation ? createWatchdog(stage, { job: curation.job, alerts }) : undefined;
    // Operations: the alarm catalog on what the stage deploys (every function it creates, by its description's service
    // name, the alarm catalog's key), the dashboard.
    const monitored = {
      api: { id: api.nodes.api.id },
      stream,
      deliveryStream: rawArchive.deliveryStream,
      ...(curation ? { glueJob: curation.job } : {}),
      functions: {
        [fns.ingestFunction.service]: ingest,
        [fns.firehoseTransformFunction.service]: rawArchive.transform,
        ...(curation ? { [fns.glueStarterFunction.service]: curation.starter } : {}),
        [fns.compactorFunction.service]: compactor.function,
        [fns.autoscalerFunction.service]: autoscaler.function,
        ...(watchdog ? { [fns.watchdogFunction.service]: watchdog.function } : {}),
      },
    };
    const alarms = createAlarms(stage, { topic: alerts.topic, ...monitored });
    const dashboard = createDashboard(stage, monitored, alarms);

    // What the CLI's --stage commands read (packages/core/src/stage-outputs.ts): SST writes these to .sst/outputs.json
    // after every deploy, one file for the last deploy, so they say which stage and region they describe.
    return {
      stage: $app.stage,
      region: aws.getRegionOutput({}).region,
      alarmNames: alarms.alarms.map((a) => a.alarm.name),
      apiUrl: api.url,
      streamName: stream.name,
      streamArn: stream.arn,
      lakeBucket: lake.lake.name,
      assetsBucket: lake.assets.name,
      alarmTopicArn: alerts.topic.arn,
      ingestFunction: ingest.name,
      compactorFunction: compactor.function.name,
      autoscalerFunction: autoscaler.function.name,
      watchdogFunction: watchdog?.function.name ?? "",
      rawArchiveStream: rawArchive.deliveryStream.name,
      rawTransformFunction: rawArchive.transform.name,
      glueDatabase: catalog.database.name,
      glueTables: { events: catalog.tables.events.name, quarantine: catalog.tables.quarantine.name, aggregates: catalog.tables.aggregates.name },
      athenaWorkgroup: catalog.workgroup.name,
      // Empty on a stage deployed by `sst dev`: the curator runs on the developer's machine there.
      curationJob: curation?.job.name ?? "",
      dashboardUrl: dashboard.url,
    };
  },
});
