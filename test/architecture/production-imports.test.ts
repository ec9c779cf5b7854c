/**
 * Local behaviour is injected by the local runtime, never chosen inside production code (ARCHITECTURE.md "One
 * description per function"): no module that ships to AWS or builds what ships (the handlers, the core, the adapters,
 * the stacks) imports from the local runtime's package. Import specifiers are read with TypeScript's own
 * pre-processor, so a comment naming a local file does not count. A failure lists file: specifier.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");
const PRODUCTION = ["functions", "packages/core/src", "packages/adapters/src", "stacks", "sst.config.ts"];

function files(path: string): string[] {
  const full = join(ROOT, path);
  if (statSync(full).isFile()) return [path];
  return readdirSync(full).flatMap((name) => files(join(path, name)));
}

const LOCAL = /(^@eventlake\/local(\/|$))|(^|\/)packages\/local\/|^(\.\.\/)+local\//;

describe("production modules", () => {
  it("import nothing from the local runtime", () => {
    const scanned = PRODUCTION.flatMap(files).filter((f) => /\.(ts|mts|js|mjs)$/.test(f));
    expect(scanned.length).toBeGreaterThan(50);
    const hits: string[] = [];
    for (const file of scanned) {
      const { importedFiles } = ts.preProcessFile(readFileSync(join(ROOT, file), "utf8"), true, true);
      for (const { fileName } of importedFiles) if (LOCAL.test(fileName)) hits.push(`${relative(ROOT, join(ROOT, file))}: ${fileName}`);
    }
    expect(hits).toEqual([]);
  });
});
