#!/usr/bin/env node
/**
 * Installs what the Glue job needs to run in local Spark (glue/README.md "Running the job locally"):
 *   - glue/.venv: a Python virtual environment with glue/requirements-dev.txt (PySpark, boto3), from PyPI;
 *   - glue/.venv/jars: hadoop-aws and the AWS SDK bundle it was built against (Spark's S3 file system, s3a://),
 *     from Maven Central, checked against the SHA-1 pinned below. Tests pass them with `spark.jars` (local files:
 *     nothing is resolved at run time, so a cached install works offline).
 *
 * Idempotent: skipped in well under a second when the stamp matches the requirements and the jar list; otherwise
 * installs (about 25 s for pip, 280 MB of jars; about 700 MB on disk in all). `--force` reinstalls.
 * Without java or python3 on the machine it says what is missing and exits 0 (the Spark tests then report
 * themselves skipped with this command), except under CI=true, where it fails: CI always runs the Spark tests.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const venv = join(root, "glue", ".venv");
const jarsDir = join(venv, "jars");
const stamp = join(venv, ".eventlake-env");
const requirements = join(root, "glue", "requirements-dev.txt");
const force = process.argv.includes("--force");

/**
 * hadoop-aws must be the version of the Hadoop client PySpark bundles (pyspark/jars/hadoop-client-api-3.3.4.jar for
 * PySpark 3.4.x), and the SDK bundle the one that hadoop-aws 3.3.4's POM declares (hadoop-project aws-java-sdk.version).
 */
const MAVEN = "https://repo1.maven.org/maven2";
const JARS = [
  { path: "org/apache/hadoop/hadoop-aws/3.3.4/hadoop-aws-3.3.4.jar", sha1: "a65839fbf1869f81a1632e09f415e586922e4f80" },
  { path: "com/amazonaws/aws-java-sdk-bundle/1.12.262/aws-java-sdk-bundle-1.12.262.jar", sha1: "02deec3a0ad83d13d032b1812421b23d7a961eea" },
];

const wanted = createHash("sha256")
  .update(readFileSync(requirements))
  .update(JSON.stringify(JARS))
  .digest("hex");

const has = (cmd, args) => spawnSync(cmd, args, { stdio: "ignore" }).status === 0;

function missingTools() {
  const missing = [];
  if (!has("java", ["-version"])) missing.push("java (a JDK 11 or 17, e.g. `apt-get install openjdk-17-jre-headless`)");
  if (!has("python3", ["-c", "import sys, venv; sys.exit(0 if sys.version_info >= (3, 8) else 1)"])) missing.push("python3 (3.8 or later, with venv)");
  return missing;
}

function ready() {
  return existsSync(stamp) && readFileSync(stamp, "utf8").trim() === wanted;
}

async function download(jar) {
  const target = join(jarsDir, jar.path.split("/").pop());
  if (existsSync(target) && sha1(readFileSync(target)) === jar.sha1) return;
  const response = await globalThis.fetch(`${MAVEN}/${jar.path}`);
  if (!response.ok || !response.body) throw new Error(`GET ${MAVEN}/${jar.path}: HTTP ${response.status}`);
  const partial = `${target}.partial`;
  await pipeline(Readable.fromWeb(response.body), createWriteStream(partial));
  const got = sha1(readFileSync(partial));
  if (got !== jar.sha1) {
    rmSync(partial, { force: true });
    throw new Error(`${jar.path}: SHA-1 ${got}, expected ${jar.sha1}`);
  }
  renameSync(partial, target);
}

function sha1(bytes) {
  return createHash("sha1").update(bytes).digest("hex");
}

function run(cmd, args) {
  const result = spawnSync(cmd, args, { cwd: root, stdio: "inherit" });
  if (result.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (exit ${result.status ?? result.signal})`);
}

async function main() {
  if (!force && ready()) {
    console.log("glue:env: glue/.venv is ready (PySpark, boto3, hadoop-aws)");
    return;
  }
  const missing = missingTools();
  if (missing.length > 0) {
    const message = `glue:env: cannot install the local Spark environment, missing: ${missing.join("; ")}`;
    if (process.env.CI === "true") throw new Error(message);
    console.warn(`${message}. The Spark tests will be skipped; install these, then run \`node scripts/glue-env.mjs\`.`);
    return;
  }
  const started = Date.now();
  console.log("glue:env: installing glue/requirements-dev.txt into glue/.venv and hadoop-aws into glue/.venv/jars...");
  rmSync(stamp, { force: true });
  if (force) rmSync(venv, { recursive: true, force: true });
  if (!existsSync(join(venv, "bin", "python"))) run("python3", ["-m", "venv", venv]);
  run(join(venv, "bin", "python"), ["-m", "pip", "install", "--disable-pip-version-check", "--quiet", "-r", requirements]);
  mkdirSync(jarsDir, { recursive: true });
  for (const jar of JARS) await download(jar);
  writeFileSync(stamp, `${wanted}\n`);
  console.log(`glue:env: ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
