/**
 * No import cycles in the project's TypeScript: packages depend one way (ARCHITECTURE.md, "Modules") and, inside a
 * package, modules that share a type import it from a module below both (ARCHITECTURE.md, "Ports"). A cycle makes
 * module initialization order matter and forces changes to travel around the circle.
 *
 * The graph is built with the TypeScript compiler itself: `preProcessFile` lists every import (type-only imports,
 * re-exports, dynamic `import()` and inline `import("...")` types included) and `resolveModuleName` resolves each
 * with the project's compiler options, so workspace packages (`@eventlake/*`) resolve to their sources. The failure
 * lists every cycle, file by file.
 */
import { readFileSync, realpathSync } from "node:fs";
import { join, relative, sep } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { REPO_ROOT, repoFiles } from "./repo-files";

const SOURCE = /(?<!\.d)\.(?:ts|mts|cts)$/;
const DIRS = ["packages", "functions", "stacks", "scripts", "bench", "test"];

function compilerOptions(): ts.CompilerOptions {
  const parsed = ts.getParsedCommandLineOfConfigFile(join(REPO_ROOT, "tsconfig.json"), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
    },
  });
  if (!parsed) throw new Error("tsconfig.json could not be read");
  return parsed.options;
}

/** Module graph of the repository's TypeScript files: file -> the repository files it imports. */
function importGraph(): Map<string, string[]> {
  const options = compilerOptions();
  const files = [...repoFiles(DIRS, (path) => SOURCE.test(path)), "sst.config.ts"];
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const absolute = join(REPO_ROOT, file);
    const { importedFiles } = ts.preProcessFile(readFileSync(absolute, "utf8"), true, true);
    const targets = new Set<string>();
    for (const { fileName } of importedFiles) {
      const resolved = ts.resolveModuleName(fileName, absolute, options, ts.sys).resolvedModule?.resolvedFileName;
      if (!resolved) continue;
      const target = relative(REPO_ROOT, realpathSync(resolved)).split(sep).join("/");
      if (known.has(target)) targets.add(target);
    }
    graph.set(file, [...targets].sort());
  }
  return graph;
}

/** Strongly connected components with a cycle (more than one module, or a module importing itself). Tarjan's. */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return found.sort((a, b) => a[0]!.localeCompare(b[0]!));
}

/** One concrete circle through a component's first module, for the failure message. */
function circleThrough(component: readonly string[], graph: ReadonlyMap<string, readonly string[]>): string[] {
  const members = new Set(component);
  const start = component[0]!;
  const path: string[] = [];
  const seen = new Set<string>();
  const walk = (v: string): boolean => {
    path.push(v);
    for (const w of graph.get(v) ?? []) {
      if (w === start) return true;
      if (members.has(w) && !seen.has(w)) {
        seen.add(w);
        if (walk(w)) return true;
      }
    }
    path.pop();
    return false;
  };
  walk(start);
  return [...path, start];
}

describe("import cycles", () => {
  it("finds a cycle when there is one", () => {
    const graph = new Map([
      ["a.ts", ["b.ts"]],
      ["b.ts", ["c.ts"]],
      ["c.ts", ["a.ts"]],
      ["d.ts", ["a.ts"]],
      ["e.ts", ["e.ts"]],
    ]);
    expect(cycles(graph)).toEqual([["a.ts", "b.ts", "c.ts"], ["e.ts"]]);
    expect(circleThrough(["a.ts", "b.ts", "c.ts"], graph)).toEqual(["a.ts", "b.ts", "c.ts", "a.ts"]);
  });

  it("resolves the workspace packages to their sources", () => {
    const graph = importGraph();
    // Without these edges a graph of unresolved imports would have no cycles to find.
    expect(graph.get("packages/core/src/ingest/service.ts")).toEqual(expect.arrayContaining(["packages/core/src/ports/index.ts"]));
    expect(graph.get("packages/adapters/src/s3-object-store.ts")).toEqual(expect.arrayContaining(["packages/core/src/ports/index.ts"]));
  });

  it("the project's TypeScript has no import cycles", () => {
    const graph = importGraph();
    const circles = cycles(graph).map(
      (component) => `${circleThrough(component, graph).join("\n  -> ")}\n  (every module on a circle with it: ${component.join(", ")})`,
    );
    expect(circles, `import cycles:\n${circles.join("\n")}\n`).toEqual([]);
  });
});
