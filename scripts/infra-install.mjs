#!/usr/bin/env node
/**
 * Installs SST's platform (component sources, their types and @pulumi/* packages) into .sst/platform, offline-safe:
 * only the npm registry is used, never GitHub or AWS. The infra typecheck and the infra tests need it.
 *
 * Idempotent: skipped when .sst/platform was installed by this script for the pinned sst version (about 0.1 s);
 * otherwise `sst install` runs (about 40-80 s, about 300 MB). `--force` reinstalls.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const platform = join(root, ".sst", "platform");
const marker = join(platform, ".eventlake-install");
const force = process.argv.includes("--force");

const sstVersion = JSON.parse(readFileSync(join(root, "node_modules", "sst", "package.json"), "utf8")).version;
const required = [
  "config.d.ts",
  "src/components/index.ts",
  "src/auto/run.ts",
  "node_modules/@pulumi/pulumi/package.json",
  "node_modules/@pulumi/aws/package.json",
];

function installed() {
  if (!existsSync(marker)) return false;
  if (readFileSync(marker, "utf8").trim() !== sstVersion) return false;
  if (readFileSync(join(platform, "version"), "utf8").trim() !== sstVersion) return false;
  return required.every((file) => existsSync(join(platform, file)));
}

if (!force && installed()) {
  console.log(`infra:install: .sst/platform is ready for sst ${sstVersion}`);
  process.exit(0);
}

console.log(`infra:install: installing the SST ${sstVersion} platform into .sst/platform (npm registry only)...`);
const started = Date.now();
rmSync(marker, { force: true });
const result = spawnSync(process.execPath, [join(root, "node_modules", "sst", "bin", "sst.mjs"), "install"], {
  cwd: root,
  stdio: "inherit",
  env: {
    ...process.env,
    // Offline: no Pulumi/bun downloads from GitHub, no bun, no telemetry. Any stage will do for an install.
    SST_SKIP_DEPENDENCY_CHECK: "1",
    SST_NO_BUN: "1",
    SST_TELEMETRY_DISABLED: "1",
    SST_STAGE: process.env.SST_STAGE || "dev",
  },
});
if (result.status !== 0) {
  console.error(`infra:install: sst install failed (exit ${result.status ?? result.signal})`);
  process.exit(1);
}
const missing = required.filter((file) => !existsSync(join(platform, file)));
if (missing.length > 0) {
  console.error(`infra:install: sst install finished but .sst/platform lacks: ${missing.join(", ")}`);
  process.exit(1);
}
writeFileSync(marker, `${sstVersion}\n`);
console.log(`infra:install: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
