import { LOCAL_COMPONENTS } from "../components";
import { startSparkCurator } from "../curator/spark-job";
import { LOCAL_CURATION_JOB, resolveDataDir } from "../local-config";
import { startLocalPipeline } from "../runtime";
import { supervisedJob } from "../scheduler";

/** The curated layer: the DuckDB curator (fast, the default) or the Glue job itself in local Spark. */
export type CuratorEngine = "duckdb" | "spark";

function components(curator: CuratorEngine) {
  if (curator === "duckdb") return LOCAL_COMPONENTS;
  return LOCAL_COMPONENTS.map((c) => (c.name === "curator" ? supervisedJob("curator", LOCAL_CURATION_JOB, startSparkCurator) : c));
}

export async function runUp(options: { dataDir?: string; port: number; host: string; shards?: number; shardLimits: boolean; apiThrottling: boolean; curator?: CuratorEngine }) {
  const dataDir = resolveDataDir(options.dataDir);
  const log = (line: string) => process.stdout.write(`${line}\n`);
  let pipeline;
  try {
    pipeline = await startLocalPipeline({
      dataDir,
      host: options.host,
      port: options.port,
      shardLimits: options.shardLimits,
      apiThrottling: options.apiThrottling,
      log,
      ...(options.shards !== undefined ? { shards: options.shards } : {}),
    }, components(options.curator ?? "duckdb"));
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    if (e.code === "EADDRINUSE") {
      console.error(`eventlake: port ${options.port} is in use (is another \`eventlake up\` running?). Try --port <n>.`);
    } else {
      console.error(`eventlake: could not start the local pipeline: ${e.message}`);
    }
    process.exit(1);
  }
  const { info } = pipeline;
  log(`eventlake is running locally (data in ${dataDir})
  ingest endpoint  ${info.endpoint}   (POST /v1/track, /v1/batch, /v1/events ..., SDK short routes /v1/t ... /v1/b; GET /health)
  write key        ${info.writeKey}
  stream           ${info.streamName} (Kinesis stand-in at ${info.kinesisEndpoint})
  lake bucket      ${info.bucket} (S3 stand-in at ${info.s3Endpoint})
  function logs    ${dataDir}/logs/functions.log

Try:  curl -u '${info.writeKey}:' -H 'content-type: application/json' \\
        -d '{"userId":"u1","event":"Signed Up","properties":{"plan":"pro"}}' ${info.endpoint}/v1/track
      npx eventlake send --events 10000
      npx eventlake status
Press Ctrl-C to stop.`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`\n${signal}: stopping...`);
    await pipeline.close();
    log("stopped; data kept in the data directory.");
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}
