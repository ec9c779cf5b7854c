/**
 * Each function's wiring is written once (ARCHITECTURE.md "One description per function"): every handler path, every
 * EVENTLAKE_* / POWERTOOLS_* environment variable name and every custom metric name is spelled in exactly one
 * TypeScript/JavaScript source file of the repository; everything else (stacks, local runtime, tests, bench,
 * scripts) imports the constant. Spelled means in code: string literals, template text and identifiers, read with
 * TypeScript's own scanner, so comments may still name a variable to explain it. Python files (the Glue job) cannot
 * import TypeScript constants and are out of scope.
 *
 * A failure lists each name with every file:line that spells it.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { FUNCTIONS } from "@eventlake/core/functions/index";
import { customMetricNames } from "@eventlake/core/metrics/catalog";

const ROOT = join(import.meta.dirname, "..", "..");
const SOURCE = /\.(ts|mts|cts|tsx|js|mjs|cjs)$/;

function sourceFiles(): string[] {
  const listed = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], { cwd: ROOT, encoding: "utf8" });
  return listed
    .split("\n")
    .filter((f) => SOURCE.test(f) && !f.includes("node_modules/") && !f.startsWith(".sst/") && !f.endsWith(".d.ts"))
    .filter((f) => {
      try {
        readFileSync(join(ROOT, f));
        return true;
      } catch {
        return false; // deleted in the working tree
      }
    });
}

interface Token {
  text: string;
  line: number;
  kind: "string" | "identifier";
}

/** The code tokens of a file that can spell a name: string literals, template pieces, identifiers (no comments). */
function codeTokens(text: string, file: string): Token[] {
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, true, file.endsWith("x") ? ts.LanguageVariant.JSX : ts.LanguageVariant.Standard, text);
  const out: Token[] = [];
  const lineOf = (pos: number) => text.slice(0, pos).split("\n").length;
  // Template literals: the scanner needs to be told when a `}` closes a substitution.
  const templateDepth: number[] = [];
  let braces = 0;
  for (let kind = scanner.scan(); kind !== ts.SyntaxKind.EndOfFileToken; kind = scanner.scan()) {
    if (kind === ts.SyntaxKind.OpenBraceToken) braces++;
    if (kind === ts.SyntaxKind.CloseBraceToken) {
      if (templateDepth.length > 0 && templateDepth[templateDepth.length - 1] === braces) {
        kind = scanner.reScanTemplateToken(false);
        if (kind === ts.SyntaxKind.TemplateTail) templateDepth.pop();
      } else braces--;
    }
    if (kind === ts.SyntaxKind.SlashToken || kind === ts.SyntaxKind.SlashEqualsToken) {
      const re = scanner.reScanSlashToken();
      if (re === ts.SyntaxKind.RegularExpressionLiteral) {
        out.push({ text: scanner.getTokenValue(), line: lineOf(scanner.getTokenStart()), kind: "string" });
        continue;
      }
    }
    switch (kind) {
      case ts.SyntaxKind.StringLiteral:
      case ts.SyntaxKind.NoSubstitutionTemplateLiteral:
      case ts.SyntaxKind.TemplateHead:
      case ts.SyntaxKind.TemplateMiddle:
      case ts.SyntaxKind.TemplateTail:
        out.push({ text: scanner.getTokenValue(), line: lineOf(scanner.getTokenStart()), kind: "string" });
        if (kind === ts.SyntaxKind.TemplateHead) templateDepth.push(braces);
        break;
      case ts.SyntaxKind.Identifier:
        out.push({ text: scanner.getTokenValue(), line: lineOf(scanner.getTokenStart()), kind: "identifier" });
        break;
    }
  }
  return out;
}

const ENV_NAME = /\b(?:EVENTLAKE|POWERTOOLS)_[A-Z0-9_]*[A-Z0-9]\b/g;
const METRIC_NAMES = new Set(customMetricNames());
const HANDLER_MODULES = FUNCTIONS.map((f) => f.module);

type Spellings = Map<string, Map<string, number[]>>;

function record(spellings: Spellings, name: string, file: string, line: number) {
  const files = spellings.get(name) ?? new Map<string, number[]>();
  spellings.set(name, files);
  files.set(file, [...(files.get(file) ?? []), line]);
}

function scan(): { env: Spellings; metrics: Spellings; handlers: Spellings } {
  const env: Spellings = new Map();
  const metrics: Spellings = new Map();
  const handlers: Spellings = new Map();
  for (const file of sourceFiles()) {
    const text = readFileSync(join(ROOT, file), "utf8");
    for (const token of codeTokens(text, file)) {
      for (const m of token.text.matchAll(ENV_NAME)) record(env, m[0], file, token.line);
      // A metric name as a whole string or identifier (an object key such as `{ RecordsIn: 8 }` spells it too).
      if (METRIC_NAMES.has(token.text)) record(metrics, token.text, file, token.line);
      if (token.kind !== "string") continue;
      for (const module of HANDLER_MODULES) {
        // `functions/ingest`, `functions/ingest.ts`, `functions/ingest.handler`, not a path that merely ends so.
        const at = token.text.indexOf(module);
        if (at >= 0 && (at === 0 || !/[\w/.-]/.test(token.text[at - 1]!)) && !/^[\w-]/.test(token.text.slice(at + module.length))) {
          record(handlers, module, file, token.line);
        }
      }
    }
  }
  return { env, metrics, handlers };
}

function violations(spellings: Spellings): string[] {
  const out: string[] = [];
  for (const [name, files] of [...spellings].sort(([a], [b]) => a.localeCompare(b))) {
    if (files.size <= 1) continue;
    const where = [...files].flatMap(([file, lines]) => lines.map((line) => `${file}:${line}`));
    out.push(`${name} is spelled in ${files.size} files:\n    ${where.join("\n    ")}`);
  }
  return out;
}

describe("each name of the functions' wiring is spelled in one source file", () => {
  const found = scan();

  it("finds what it looks for (the scan reads the description modules)", () => {
    for (const module of HANDLER_MODULES) expect(found.handlers.get(module)?.size, module).toBeGreaterThanOrEqual(1);
    for (const name of METRIC_NAMES) expect(found.metrics.get(name)?.size, name).toBeGreaterThanOrEqual(1);
    for (const fn of FUNCTIONS) {
      for (const variable of Object.values(fn.env)) expect(found.env.get(variable.name)?.size, variable.name).toBeGreaterThanOrEqual(1);
    }
  });

  it("handler paths", () => {
    expect(violations(found.handlers).join("\n")).toBe("");
  });

  it("custom metric names", () => {
    expect(violations(found.metrics).join("\n")).toBe("");
  });

  it("EVENTLAKE_* and POWERTOOLS_* environment variable names", () => {
    expect(violations(found.env).join("\n")).toBe("");
  });
});
