/**
 * The curated layer of one stage (called by stageSuite on its scenario): the Glue catalog derived from the curation
 * contract (columns, partition keys, SerDe, partition projection), the streaming job (version, workers, auto
 * scaling, metrics, logs, arguments the Python runner accepts), its assets (plan = the compiled contract, a runner
 * zip Python can import), its least-privilege role, and the deploy-time start.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CURATION_CONTRACT, SQL_TYPES, glueDatabaseName } from "@eventlake/core/curation/contract";
import { glueJobPlanJson } from "@eventlake/core/glue/job-plan";
import { metricsNamespace, type StageConfig } from "@eventlake/core/stage-config";
import { ROOT, policyOf, type RecordedResource, type Scenario } from "./harness";
import { grantLines } from "./iam-simulation";
import { RESOURCE_TYPES, addCounts } from "./resource-types";
import { glueStarterFunction } from "@eventlake/core/functions/glue-starter";
import { watchdogFunction } from "@eventlake/core/functions/watchdog";

/** Resources the curated layer adds to a stage, by type (stageSuite adds them to its inventory). */
export const CURATED_LAYER_COUNTS: Readonly<Record<string, number>> = {
  [RESOURCE_TYPES.database]: 1,
  [RESOURCE_TYPES.table]: 3,
  [RESOURCE_TYPES.workgroup]: 1,
  [RESOURCE_TYPES.glueJob]: 1,
  // script, runner zip, plan; and the starter function's code
  [RESOURCE_TYPES.object]: 4,
  // the job's role; the starter's
  [RESOURCE_TYPES.role]: 2,
  [RESOURCE_TYPES.rolePolicy]: 1,
  // the job's continuous log group; the starter's
  [RESOURCE_TYPES.logGroup]: 2,
  [RESOURCE_TYPES.fn]: 1,
  [RESOURCE_TYPES.invocation]: 1,
};

/** Adds the curated layer's resources to an expected inventory. */
export function withCuratedLayer(expected: Record<string, number>): Record<string, number> {
  return addCounts(expected, CURATED_LAYER_COUNTS);
}

const str = (v: unknown) => String(v);

/** Runs glue/runner/args.py on the job's arguments, as Glue passes them. */
function parseWithRunner(args: Record<string, string>): { ok: boolean; out: string } {
  const argv = ["eventlake_job.py", "--JOB_NAME", "job", ...Object.entries(args).flat()];
  const code = "import json,sys; from runner.args import parse_job_args; print(json.dumps(parse_job_args(sys.argv[1:])._asdict()))";
  const result = spawnSync("python3", ["-c", code, ...argv], { cwd: join(ROOT, "glue"), encoding: "utf8" });
  return { ok: result.status === 0, out: `${result.stdout}${result.stderr}` };
}

/** Imports the uploaded runner zip with Python's zipimport (what --extra-py-files does) and lists its modules. */
function importRunnerZip(base64: string): { ok: boolean; out: string } {
  const code = [
    "import base64,sys,tempfile,zipfile,json",
    "path=tempfile.mktemp(suffix='.zip'); open(path,'wb').write(base64.b64decode(sys.stdin.read()))",
    "assert zipfile.ZipFile(path).testzip() is None",
    "sys.path.insert(0,path)",
    "import runner.kpl, runner.batch, runner.plan",
    "print(json.dumps(sorted(zipfile.ZipFile(path).namelist())))",
  ].join("\n");
  const result = spawnSync("python3", ["-c", code], { input: base64, encoding: "utf8", cwd: "/" });
  return { ok: result.status === 0, out: `${result.stdout}${result.stderr}` };
}

export function curatedLayerAssertions(stage: string, cfg: StageConfig, scenario: () => Scenario) {
  const retain = cfg.removal.retainData;
  const bucketOf = (s: Scenario, prefix: string) => str(s.one("aws:s3/bucket:Bucket", prefix).state.bucket);
  const jobOf = (s: Scenario) => s.one(RESOURCE_TYPES.glueJob, "CurationJob");
  const argsOf = (s: Scenario) => jobOf(s).inputs.defaultArguments as Record<string, string>;

  describe(`stage "${stage}": curated layer catalog`, () => {
    it("has the stage's Glue database and one table per contract table, retained with the stage's data", () => {
      const s = scenario();
      const db = s.one(RESOURCE_TYPES.database, "Catalog");
      // Named after the stage and its lake bucket: a re-created stage (new bucket) cannot collide with the database
      // a removed production stage retained.
      const lake = bucketOf(s, "Lake");
      const instance = createHash("sha256").update(lake).digest("hex").slice(0, 8);
      expect(db.inputs.name).toBe(glueDatabaseName(stage, instance));
      expect(db.inputs.name).toMatch(new RegExp(`^eventlake_${stage}_[0-9a-f]{8}$`));
      expect(glueDatabaseName(stage, createHash("sha256").update(`${lake}-recreated`).digest("hex").slice(0, 8))).not.toBe(db.inputs.name);
      expect(db.opts.retainOnDelete).toBe(retain);
      const tables = s.ofType(RESOURCE_TYPES.table);
      expect(tables.map((t) => t.inputs.name).sort()).toEqual(Object.values(CURATION_CONTRACT.tables).map((t) => t.name).sort());
      for (const t of tables) {
        expect(t.inputs.databaseName).toBe(db.inputs.name);
        expect(t.opts.retainOnDelete).toBe(retain);
      }
    });

    it("gives each table the contract's columns and partition keys, as external Parquet tables", () => {
      const s = scenario();
      const lake = bucketOf(s, "Lake");
      for (const def of Object.values(CURATION_CONTRACT.tables)) {
        const table = s.ofType(RESOURCE_TYPES.table).find((t) => t.inputs.name === def.name)!;
        const sd = table.inputs.storageDescriptor as Record<string, unknown>;
        expect(table.inputs.tableType).toBe("EXTERNAL_TABLE");
        expect((sd.columns as { name: string; type: string }[]).map((c) => [c.name, c.type])).toEqual(
          def.columns.map((c) => [c.name, SQL_TYPES[c.type].glue]),
        );
        expect((table.inputs.partitionKeys as { name: string; type: string }[]).map((k) => [k.name, k.type])).toEqual(
          def.partitionColumns.map((p) => [p.name, "string"]),
        );
        expect(sd).toMatchObject({
          location: `s3://${lake}/${def.prefix}`,
          inputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
          outputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
          serDeInfo: { serializationLibrary: "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe" },
        });
      }
      expect(CURATION_CONTRACT.tables.events.partitionColumns.map((p) => p.name)).toEqual(["year", "month", "day", "event_type"]);
    });

    it("projects every partition key (no crawler, no MSCK): a projection per key and a location template", () => {
      const s = scenario();
      const lake = bucketOf(s, "Lake");
      for (const def of Object.values(CURATION_CONTRACT.tables)) {
        const params = s.ofType(RESOURCE_TYPES.table).find((t) => t.inputs.name === def.name)!.inputs.parameters as Record<string, string>;
        expect(params).toMatchObject({ "projection.enabled": "true", classification: "parquet", EXTERNAL: "TRUE" });
        for (const p of def.partitionColumns) {
          expect(params[`projection.${p.name}.type`]).toBe(p.projection.type);
          if (p.projection.type === "enum") expect(params[`projection.${p.name}.values`]).toBe(p.projection.values.join(","));
          else expect(params[`projection.${p.name}.range`]).toBe(p.projection.range.join(","));
        }
        expect(params["storage.location.template"]).toBe(
          `s3://${lake}/${def.prefix}${def.partitionColumns.map((p) => `${p.name}=\${${p.name}}/`).join("")}`,
        );
      }
    });

    it("has an Athena workgroup whose results go to the assets bucket", () => {
      const s = scenario();
      const wg = s.one(RESOURCE_TYPES.workgroup, "Athena");
      expect(wg.inputs).toMatchObject({
        name: `eventlake-${stage}`,
        forceDestroy: !retain,
        configuration: {
          enforceWorkgroupConfiguration: true,
          resultConfiguration: { outputLocation: `s3://${bucketOf(s, "Assets")}/athena-results/`, encryptionConfiguration: { encryptionOption: "SSE_S3" } },
        },
      });
    });

    it("exports the database, table, workgroup and job names", () => {
      const s = scenario();
      expect(s.outputs).toMatchObject({
        glueDatabase: s.one(RESOURCE_TYPES.database, "Catalog").inputs.name,
        glueTables: { events: "events", quarantine: "quarantine", aggregates: "aggregates" },
        athenaWorkgroup: `eventlake-${stage}`,
        curationJob: jobOf(s).inputs.name,
      });
    });
  });

  describe(`stage "${stage}": curated layer streaming job`, () => {
    it("is a pinned Glue streaming job on G.025X workers with auto scaling, one run at a time", () => {
      const job = jobOf(scenario());
      expect(job.inputs).toMatchObject({
        name: `eventlake-${stage}-curation`,
        glueVersion: cfg.curation.glueVersion,
        workerType: cfg.curation.workerType,
        numberOfWorkers: cfg.curation.maxWorkers,
        executionProperty: { maxConcurrentRuns: 1 },
        command: { name: "gluestreaming", pythonVersion: "3" },
      });
      expect(["4.0", "3.0"]).toContain(job.inputs.glueVersion);
      expect(job.inputs.maxCapacity).toBeUndefined();
    });

    it("is restarted by Glue for maintenance only in the stage's window, which the watchdog expects", () => {
      const job = jobOf(scenario());
      // No timeout: a streaming run lives until stopped; with one above 7 days Glue uses the window.
      expect(job.inputs.timeout).toBeUndefined();
      expect(job.inputs.maintenanceWindow).toBe(cfg.curation.maintenanceWindow);
      const watchdog = scenario().ofType(RESOURCE_TYPES.fn).find((f) => f.inputs.handler === watchdogFunction.handler)!;
      expect(watchdogFunction.readEnv((watchdog.inputs.environment as { variables: Record<string, string> }).variables).maintenanceWindow).toBe(
        cfg.curation.maintenanceWindow,
      );
    });

    it("turns on auto scaling, job and observability (consumer lag) metrics and continuous logs to its own group", () => {
      const s = scenario();
      const args = argsOf(s);
      const logGroup = s.one(RESOURCE_TYPES.logGroup, "CurationLogs");
      expect(args).toMatchObject({
        "--job-language": "python",
        "--enable-auto-scaling": "true",
        "--enable-metrics": "true",
        "--enable-observability-metrics": "true",
        "--enable-continuous-cloudwatch-log": "true",
        "--continuous-log-logGroup": logGroup.inputs.name,
      });
      expect(logGroup.inputs.retentionInDays).toBe(cfg.curation.logRetentionDays);
      // Streaming jobs resume from their Spark checkpoint; job bookmarks do not apply.
      expect(args["--job-bookmark-option"]).toBeUndefined();
    });

    it("runs the uploaded script with the runner package and the plan compiled from the contract", () => {
      const s = scenario();
      const assets = bucketOf(s, "Assets");
      const args = argsOf(s);
      const object = (name: string) => s.one(RESOURCE_TYPES.object, name);
      const [script, runner, plan] = [object("CurationScript"), object("CurationRunner"), object("CurationPlan")];
      for (const o of [script, runner, plan]) {
        expect(o.inputs.bucket).toBe(assets);
        expect(str(o.inputs.key)).toMatch(/^glue\/scripts\/curation\/[a-z_-]+-[0-9a-f]{16}\.(py|zip|json)$/);
      }
      expect((jobOf(s).inputs.command as { scriptLocation: string }).scriptLocation).toBe(`s3://${assets}/${str(script.inputs.key)}`);
      expect((script.inputs.source as Record<string, unknown>).__pulumiAsset).toBe(true);
      expect(args["--extra-py-files"]).toBe(`s3://${assets}/${str(runner.inputs.key)}`);
      expect(args["--plan_key"]).toBe(plan.inputs.key);
      expect(plan.inputs.content).toBe(glueJobPlanJson());
    });

    it("ships a runner zip that Python imports, with every module of glue/runner", () => {
      const runner = scenario().one(RESOURCE_TYPES.object, "CurationRunner");
      const result = importRunnerZip(str(runner.inputs.contentBase64));
      expect(result.ok, result.out).toBe(true);
      const modules = readdirSync(join(ROOT, "glue", "runner")).filter((f) => f.endsWith(".py")).map((f) => `runner/${f}`).sort();
      expect(JSON.parse(result.out)).toEqual(modules);
    });

    it("passes arguments the Python runner accepts: the stream, the buckets, the window, checkpoint and state", () => {
      const s = scenario();
      const args = argsOf(s);
      const parsed = parseWithRunner(args);
      expect(parsed.ok, parsed.out).toBe(true);
      expect(JSON.parse(parsed.out)).toMatchObject({
        stream_arn: s.one("aws:kinesis/stream:Stream").state.arn,
        starting_position: "TRIM_HORIZON",
        window_seconds: cfg.curation.windowSeconds,
        lake_bucket: bucketOf(s, "Lake"),
        assets_bucket: bucketOf(s, "Assets"),
        checkpoint_uri: `s3://${bucketOf(s, "Assets")}/glue/jobs/curation/checkpoint/`,
        state_prefix: "glue/jobs/curation/state/",
        staging_prefix: "glue/jobs/curation/temp/staging/",
        metrics_namespace: metricsNamespace(stage),
      });
    });
  });

  describe(`stage "${stage}": curated layer IAM`, () => {
    it("lets only Glue assume the job role", () => {
      const role = scenario().one(RESOURCE_TYPES.role, "CurationJobRole");
      expect(jobOf(scenario()).inputs.roleArn).toBe(role.state.arn);
      expect(policyOf(role.inputs.assumeRolePolicy).Statement.map((st) => ({ Effect: st.Effect, Action: st.Action, Principal: st.Principal }))).toEqual([
        { Effect: "Allow", Action: ["sts:AssumeRole"], Principal: { Service: ["glue.amazonaws.com"] } },
      ]);
      expect(role.inputs.managedPolicyArns ?? []).toEqual([]);
      expect(role.inputs.inlinePolicies ?? []).toEqual([]);
    });

    it("grants the job exactly its reads and writes: stream, table prefixes, its assets, metrics by namespace, logs", () => {
      const s = scenario();
      const lake = `arn:aws:s3:::${bucketOf(s, "Lake")}`;
      const assets = `arn:aws:s3:::${bucketOf(s, "Assets")}`;
      const policy = s.one(RESOURCE_TYPES.rolePolicy, "CurationJobPolicy");
      expect(policy.inputs.role).toBe("CurationJobRole-id"); // the role's id (harness: "<name>-id")
      const list = policyOf(policy.inputs.policy).Statement;
      const lines = grantLines(list);
      const usesCmk = !cfg.stream.kmsKeyId.startsWith("alias/aws/");
      const streamArn = String(s.one("aws:kinesis/stream:Stream").state.arn);
      const work = `${assets}/glue/jobs/curation`;
      const logs = String(s.one(RESOURCE_TYPES.logGroup, "CurationLogs").state.arn);
      const glueLogs = ["output", "error"].map((g) => `arn:aws:logs:us-east-1:123456789012:log-group:/aws-glue/jobs/${g}`);
      expect(lines).toEqual(
        [
          ...["DescribeStream", "DescribeStreamSummary", "ListShards", "GetShardIterator", "GetRecords"].map((a) => `kinesis:${a} ${streamArn}`),
          ...(usesCmk ? [`kms:Decrypt ${cfg.stream.kmsKeyId}`] : []),
          ...Object.values(CURATION_CONTRACT.tables).flatMap((t) => [`s3:PutObject ${lake}/${t.prefix}*`, `s3:DeleteObject ${lake}/${t.prefix}*`]),
          `s3:GetObject ${assets}/glue/scripts/curation/*`,
          // The whole work prefix (checkpoint, state, temp) with no "/" before "*", and the EMRFS folder marker next to it.
          ...["s3:GetObject", "s3:PutObject", "s3:DeleteObject"].map((a) => `${a} ${work}*`),
          `s3:PutObject ${work}_$folder$`,
          // Unconditioned: the state pointer and the manifests are missing on a first batch (403 without it).
          `s3:ListBucket ${assets}`,
          `cloudwatch:PutMetricData * if {"StringEquals":{"cloudwatch:namespace":["${metricsNamespace(stage)}","Glue"]}}`,
          ...[logs, ...glueLogs].flatMap((g) => [`logs:CreateLogGroup ${g}`, `logs:CreateLogStream ${g}:*`, `logs:PutLogEvents ${g}:*`]),
        ].sort(),
      );
      // Nothing on the raw archive, fallback spills or the whole lake; no Glue catalog access (partition projection).
      const all = list;
      expect(all.flatMap((st) => st.Resource ?? []).filter((r) => r.startsWith(lake) && !Object.values(CURATION_CONTRACT.tables).some((t) => r === `${lake}/${t.prefix}*`))).toEqual([]);
      expect(all.flatMap((st) => st.Action ?? []).filter((a) => a.startsWith("glue:"))).toEqual([]);
    });
  });

  describe(`stage "${stage}": curated layer start after deploy`, () => {
    it("invokes the starter when the job definition changes; the starter may only read, start and stop that job", () => {
      const s = scenario();
      const starter: RecordedResource = s.ofType(RESOURCE_TYPES.fn).find((f) => f.inputs.handler === glueStarterFunction.handler)!;
      expect(starter).toBeDefined();
      const job = jobOf(s);
      expect(glueStarterFunction.readEnv((starter.inputs.environment as { variables: Record<string, string> }).variables).glueJobName).toBe(job.inputs.name);
      const invocation = s.one(RESOURCE_TYPES.invocation, "CurationStart");
      expect(invocation.inputs.functionName).toBe(starter.state.name);
      expect(Object.keys(invocation.inputs.triggers as Record<string, string>).sort()).toEqual(["assets", "definition"]);
      const role = s.ofType(RESOURCE_TYPES.role).find((r) => r.state.arn === starter.inputs.role)!;
      const inline = (role.inputs.inlinePolicies as { policy: string }[]).map((p) => policyOf(p.policy).Statement).flat();
      const jobArn = `arn:aws:glue:us-east-1:123456789012:job/${str(job.inputs.name)}`;
      expect(grantLines(inline)).toEqual(["glue:BatchStopJobRun", "glue:GetJob", "glue:GetJobRuns", "glue:StartJobRun"].map((a) => `${a} ${jobArn}`));
    });
  });
}
