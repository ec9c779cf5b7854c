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
    const { stageConfig } = await import("@eventlake/core/stage-config");
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

    const stage = resolveStage($app.stage);
    applyDefaults();
    const secrets = createSecrets(stage);
    const alerts = createAlerts(stage);
    const lake = createLake(stage);
    const stream = createStream(stage);
    const ingest = createIngest(stage, { stream, lake, secrets });
    const api = createApi(stage, { ingest });

    return {
      apiUrl: api.url,
      streamName: stream.name,
      streamArn: stream.arn,
      lakeBucket: lake.lake.name,
      assetsBucket: lake.assets.name,
      alarmTopicArn: alerts.topic.arn,
      ingestFunction: ingest.name,
    };
  },
});
