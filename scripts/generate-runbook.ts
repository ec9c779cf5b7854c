/**
 * `npm run runbook`: writes RUNBOOK.md from the alarm catalog (packages/core/src/alarms/entries.ts).
 * `npm run runbook -- --check` only compares, and exits 1 when the file is out of date (test/docs/runbook.test.ts
 * does the same check in `npm test`).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { renderRunbook } from "@eventlake/core/alarms/runbook";

const path = fileURLToPath(new URL("../RUNBOOK.md", import.meta.url));
const expected = renderRunbook();
let current: string | undefined;
try {
  current = readFileSync(path, "utf8");
} catch {
  current = undefined;
}

if (process.argv.includes("--check")) {
  if (current !== expected) {
    console.error("RUNBOOK.md is out of date with the alarm catalog: run `npm run runbook`.");
    process.exit(1);
  }
  console.log("RUNBOOK.md matches the alarm catalog.");
} else if (current === expected) {
  console.log("RUNBOOK.md is up to date.");
} else {
  writeFileSync(path, expected);
  console.log(`wrote ${path}`);
}
