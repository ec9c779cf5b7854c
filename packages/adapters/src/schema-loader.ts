import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { schemaDocumentFromJson, type SchemaDocument } from "@eventlake/core/ingest/schema-registry";

/** Example schemas ship here, below the schema directory, and are never loaded: a fresh install enforces nothing. */
export const SCHEMA_EXAMPLES_FOLDER = "examples";

/**
 * Loads every `*.json` schema under a directory (recursively), except the examples folder at its top. A malformed file is an error naming the file, so a
 * bad deploy fails at cold start instead of accepting junk. A missing directory is an error too when `required`
 * (the deployed function is told where its schemas are: losing them must not silently turn validation off).
 */
export function loadSchemaDirectory(dir: string, options: { required?: boolean } = {}): SchemaDocument[] {
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) {
    if (options.required) throw new Error(`schema directory ${dir} does not exist`);
    return [];
  }
  const documents: SchemaDocument[] = [];
  const walk = (current: string) => {
    for (const entry of readdirSync(current, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) {
        if (!(current === dir && entry.name === SCHEMA_EXAMPLES_FOLDER)) walk(path);
      } else if (entry.name.endsWith(".json")) {
        const origin = relative(dir, path);
        let json: unknown;
        try {
          json = JSON.parse(readFileSync(path, "utf8"));
        } catch (error) {
          throw new Error(`schema ${origin} is not valid JSON: ${(error as Error).message}`, { cause: error });
        }
        documents.push(schemaDocumentFromJson(json, origin));
      }
    }
  };
  walk(dir);
  return documents;
}
