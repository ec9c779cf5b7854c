import { Command, Option } from "commander";
import { runCompact } from "./compact";
import { runCost } from "./cost";
import { runQuery } from "./query";
import { runSend } from "./send";
import { runStatus } from "./status";
import { runUp } from "./up";
import { FAULT_CELLS } from "../proof/cells";
import { nonNegativeNumber, outputsOption, positiveNumber, regionOption, share, stageOption, wholeNumber } from "./options";
import { LOCAL_VARIABLES } from "../local-config";



const program = new Command()
  .name("eventlake")
  .description("eventlake: a streaming event pipeline on AWS, runnable on this machine")
  .option("-d, --data-dir <dir>", `local data directory (env ${LOCAL_VARIABLES.dataDir})`, undefined)
  .showHelpAfterError();

program
  .command("up")
  .description("run the whole pipeline locally (what `npm start` runs) until Ctrl-C")
  .option("-p, --port <port>", "port of the ingest endpoint", wholeNumber, 8765)
  .option("--host <host>", "interface to listen on", "127.0.0.1")
  .option("--shards <n>", "shards of a new local stream", wholeNumber)
  .option("--no-shard-limits", "turn off Kinesis's per-shard write limits (1 MiB/s, 1,000 records/s)")
  .option("--no-api-throttling", "turn off the API stage throttling")
  .addOption(
    new Option("--curator <engine>", "the curated layer: the DuckDB curator, or the Glue job itself in local Spark (needs `node scripts/glue-env.mjs`)")
      .choices(["duckdb", "spark"])
      .default("duckdb"),
  )
  .action((options) => runUp({ ...program.opts(), ...options }));

program
  .command("send")
  .description("send realistic clickstream events to the local (or any) ingest endpoint")
  .option("-n, --events <n>", "how many events to send", wholeNumber, 10_000)
  .option("-r, --rate <eventsPerSecond>", "target rate; 0 sends as fast as the pipeline answers", wholeNumber, 0)
  .option("-b, --batch-size <n>", "events per /v1/batch request", wholeNumber, 100)
  .option("-c, --concurrency <n>", "requests in flight", wholeNumber, 4)
  .option("--invalid-ratio <ratio>", "share of deliberately invalid events (0..1)", share, 0)
  .option("--users <n>", "size of the simulated user population", wholeNumber, 1_000)
  .option("--seed <n>", "random seed (same seed, same traffic)", wholeNumber, 42)
  .option("--gzip", "gzip request bodies", false)
  .option("--endpoint <url>", "ingest endpoint (default: the running local pipeline)")
  .option("--write-key <key>", `write key (default: the local pipeline's; env ${LOCAL_VARIABLES.writeKey})`)
  .option("--max-retries <n>", "retries of one request after 429/503/network errors", wholeNumber, 8)
  .option("--record <file>", "write each answered event's messageId and outcome (accepted/rejected) to this file, for `eventlake verify --expect`")
  .action((options) => runSend({ ...program.opts(), ...options }));

program
  .command("status")
  .description("show the local stream (shards, records in, throttled writes), fallback spills, and the raw archive (freshness, deliveries); with --stage, a deployed stage's stream, layers, curation job and alarms")
  .option("--json", "print JSON instead of tables", false)
  .addOption(stageOption())
  .addOption(outputsOption())
  .addOption(regionOption())
  .action((options) => runStatus({ ...program.opts(), ...options }));


program
  .command("cost")
  .description("monthly cost and cost per million events per component on AWS, against the naive design (no aggregation, on-demand stream)")
  .requiredOption("-e, --events-per-second <n>", "average event rate", positiveNumber)
  .requiredOption("-s, --event-bytes <bytes>", "average size of one event as written to the stream (canonical JSON)", wholeNumber)
  .option("-r, --events-per-request <n>", "client batching: events per HTTP request", wholeNumber, 100)
  .option("--json", "print JSON instead of tables", false)
  .action((options) => runCost(options));

program
  .command("query")
  .description("SQL (DuckDB) over the local lake: tables events, quarantine, aggregates (Hive partitions year/month/day[/event_type] as strings)")
  .argument("<sql>", 'the query, e.g. "select event_type, count(*) from events group by 1"')
  .option("--json", "print JSON lines (one object per row) instead of a table", false)
  .option("--athena", "print the equivalent Athena query (tables qualified with the stage's Glue database) instead of running it", false)
  .option("--stage <stage>", "stage whose Glue database --athena names", "dev")
  .option("--database <name>", "with --athena: the stage's Glue database (its `glueDatabase` output)")
  .action((sql: string, options) => runQuery({ ...program.opts(), ...options, sql }));


program
  .command("compact")
  .description("run the compactor once on the local lake: merge the small Parquet files of settled curated partitions, print what was merged")
  .option("--settle-minutes <minutes>", "treat partitions as settled when no file in them is younger than this (default: the stage's)", nonNegativeNumber)
  .option("--lookback-days <days>", "event days to look at, 0 for every partition (default: the stage's)", wholeNumber)
  .option("--dry-run", "plan and print, write nothing", false)
  .option("--json", "print the run's full report as JSON", false)
  .action((options) => runCompact({ ...program.opts(), ...options }));

program
  .command("verify")
  .description("loss accounting: reconcile the raw archive, the curated table, quarantine and fallback spills")
  .option("--json", "print JSON instead of a table", false)
  .option("--expect <file>", "also check exactly these events: the file `eventlake send --record` writes (message_id,outcome lines)")
  .addOption(stageOption())
  .addOption(outputsOption())
  .addOption(regionOption())
  .option("--since <time>", "with --stage: reconcile objects written since this time (ISO UTC or relative 6h, 2d)", "1h")
  .action(async (options) => {
    const { runVerify } = await import("./verify");
    await runVerify({ ...program.opts(), ...options });
  });

program
  .command("replay")
  .description("re-send fallback spills, raw archive objects, or quarantined events that pass today's validation into the running local pipeline's stream (or, with --stage, a deployed stage's); the curator keeps one row per messageId")
  .requiredOption("--from <source>", "fallback (ingest spills), raw (the archive, e.g. to rebuild the curated layer) or quarantine (bad rows judged again, e.g. after a schema fix)")
  .option("--since <time>", "only objects of hours from this time on: ISO UTC (2026-11-26T10:00) or relative (6h, 2d)")
  .option("--until <time>", "only objects of hours before this time (same forms)")
  .option("--again", "also re-send objects an earlier replay already re-sent", false)
  .option("--dry-run", "count what would be re-sent; send nothing", false)
  .option("--json", "print JSON instead of a table", false)
  .addOption(stageOption())
  .addOption(outputsOption())
  .addOption(regionOption())
  .action(async (options) => {
    const { runReplay } = await import("./replay");
    await runReplay({ ...program.opts(), ...options });
  });

program
  .command("smoke")
  .description("after a deploy (--stage) or on the local pipeline: events with known ids through the API, then found in raw/ and curated/, with the curation job's state and the alarms; exit 0 only when every event is found once")
  .addOption(stageOption())
  .addOption(outputsOption())
  .addOption(regionOption())
  .option("--write-key <key>", `a write key of the stage (env ${LOCAL_VARIABLES.writeKey}; locally: the pipeline's)`)
  .option("--timeout <seconds>", "how long to wait for the events in raw/ and curated/ (default 900 on a stage, 120 locally)", positiveNumber)
  .option("-b, --batch-size <n>", "events in the /v1/batch request", wholeNumber, 10)
  .option("--json", "print the report as JSON", false)
  .action(async (options) => {
    const { runSmoke } = await import("./smoke");
    process.exitCode = await runSmoke({ ...program.opts(), ...options });
  });

program
  .command("curate")
  .description("run the local curator against a deployed stage's stream and lake until Ctrl-C (what `sst dev` runs on a personal stage instead of the Glue job)")
  .requiredOption("--stage <stage>", "the stage (stream and bucket from the dev command's environment, else from its outputs)")
  .addOption(outputsOption())
  .addOption(regionOption("AWS region (default: AWS_REGION, else the stage's from its outputs)"))
  .action(async (options) => {
    const { runCurate } = await import("./curate");
    await runCurate({ ...program.opts(), ...options });
  });

program
  .command("prove")
  .description("the fault matrix: fresh local pipelines under PutRecords failures, throttling, a saturated shard, S3 errors, a slow transform and kill -9, each reconciled against what the client was answered")
  .option("-n, --events <n>", "events sent per cell", wholeNumber, 5_000)
  .option("-k, --kills <n>", "kill -9 iterations of the kill-9 cell", wholeNumber, 10)
  .option("--cells <names>", `comma-separated cells (default all): ${FAULT_CELLS.map((c) => c.name).join(", ")}`)
  .option("--keep", "keep each cell's data directory (inspect it with `eventlake -d <dir> verify`)", false)
  .option("-v, --verbose", "print the pipelines' runtime messages", false)
  .option("--json", "print JSON instead of tables", false)
  .action(async (options) => {
    const { runProve } = await import("./prove");
    await runProve(options);
  });

await program.parseAsync(process.argv);
