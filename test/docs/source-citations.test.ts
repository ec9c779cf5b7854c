/**
 * Comments and docs explain why in the repository's own terms: an ARCHITECTURE.md section, an AWS documentation URL,
 * or code. A citation of a document that is not in the repository (the product specification by section number, the
 * reference notes the project was started from) or of a work item ("issue 12", "the raw-archive issue") means
 * nothing to someone reading a clone, so no source, test, script or doc file may contain one.
 *
 * The failure lists every hit as file:line. To fix one, state the reason itself and cite where it lives in the
 * repository or in AWS's documentation; a problem is a "problem" here, never an "issue".
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT, repoFiles } from "./repo-files";

/** This file names the patterns it looks for. */
const SELF = "test/docs/source-citations.test.ts";

/** Files exempted, with the reason; empty: every file follows the rule. */
const ALLOWLIST: readonly { file: string; reason: string }[] = [];

const CITATIONS: readonly { what: string; pattern: RegExp }[] = [
  { what: "the product specification", pattern: /\bSPEC\b/ },
  { what: "a reference note outside the repository", pattern: /\b(?:aws-contracts|sst-offline|local-emulators|peers-and-complaints)\b/i },
  { what: "a path outside the repository", pattern: /\.\.\/shared\/|\bshared\/(?:design|reference)\b/ },
  { what: "a work item", pattern: /\bissues?\b/i },
];

const SCANNED = /\.(?:ts|tsx|js|mjs|cjs|py|sh|sql|md|ya?ml)$/;
const ROOT_FILES = ["README.md", "ARCHITECTURE.md", "BENCHMARKS.md", "RUNBOOK.md", "sst.config.ts", "eslint.config.js", "vitest.config.ts"];
const DIRS = ["packages", "functions", "stacks", "scripts", "bench", "test", "glue", "docs", "schemas", ".ci"];

function scannedFiles(): string[] {
  const inDirs = repoFiles(DIRS, (path) => path !== SELF && (SCANNED.test(path) || path.startsWith(".ci/")));
  return [...ROOT_FILES, ...inDirs];
}

function citationsIn(file: string): string[] {
  const hits: string[] = [];
  readFileSync(join(REPO_ROOT, file), "utf8")
    .split("\n")
    .forEach((line, i) => {
      for (const { what, pattern } of CITATIONS) {
        if (pattern.test(line)) hits.push(`${file}:${i + 1}: ${what}: ${line.trim().slice(0, 140)}`);
      }
    });
  return hits;
}

describe("citations", () => {
  it("scans the source, test, script and doc files", () => {
    const files = scannedFiles();
    // A walk that found nothing would pass vacuously.
    expect(files).toEqual(expect.arrayContaining(["ARCHITECTURE.md", "packages/core/src/stage-config.ts", "test/docs/repo-files.ts", ".ci/run"]));
  });

  it("finds each kind of citation it forbids", () => {
    const samples = ["see SPEC 6", "(aws-contracts.md 1.1)", "../shared/reference/x.md", "the raw-archive issue", "Issue 13"];
    for (const sample of samples) expect(CITATIONS.some(({ pattern }) => pattern.test(sample)), sample).toBe(true);
    for (const fine of ["a SPEC_ALARMS list", "https://docs.aws.amazon.com/streams/latest/dev/service-sizes-and-limits.html", "the issuer"]) {
      expect(CITATIONS.some(({ pattern }) => pattern.test(fine)), fine).toBe(false);
    }
  });

  it("no file cites a document outside the repository or a work item", () => {
    const allowed = new Set(ALLOWLIST.map((a) => a.file));
    const hits = scannedFiles()
      .filter((file) => !allowed.has(file))
      .flatMap(citationsIn);
    expect(hits, `cite an ARCHITECTURE.md section, an AWS documentation URL or code instead:\n${hits.join("\n")}\n`).toEqual([]);
  });
});
