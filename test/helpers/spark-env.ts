/**
 * Whether the local Spark environment (glue/.venv with PySpark and boto3, hadoop-aws jars, a Java runtime) is
 * installed, for the tests that run the Glue job's code on real Spark. scripts/glue-env.mjs installs it and `npm test`
 * runs that script first, so CI always has it; elsewhere the tests are reported as skipped with the install command,
 * never as passed. Under CI=true a missing environment fails the tests instead.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";

export const REPO_ROOT = join(import.meta.dirname, "..", "..");
export const GLUE_DIR = join(REPO_ROOT, "glue");
export const GLUE_PYTHON = join(GLUE_DIR, ".venv", "bin", "python");
export const SPARK_INSTALL_COMMAND = "node scripts/glue-env.mjs";

function missingParts(): string[] {
  const missing: string[] = [];
  if (spawnSync("java", ["-version"], { stdio: "ignore" }).status !== 0) missing.push("java");
  if (!existsSync(join(GLUE_DIR, ".venv", ".eventlake-env")) || !existsSync(GLUE_PYTHON)) missing.push("glue/.venv (PySpark, boto3, hadoop-aws)");
  return missing;
}

const missing = missingParts();
if (missing.length > 0 && process.env.CI === "true") {
  throw new Error(`the local Spark environment is missing (${missing.join(", ")}): CI installs it with \`${SPARK_INSTALL_COMMAND}\` (npm test does)`);
}

/** True when the Spark tests can run. */
export const sparkReady = missing.length === 0;

/** The suffix of a describe() title saying why it was skipped (empty when Spark is ready). */
export const sparkSkipNote = sparkReady ? "" : ` [skipped: ${missing.join(", ")} missing; install with \`${SPARK_INSTALL_COMMAND}\`]`;
