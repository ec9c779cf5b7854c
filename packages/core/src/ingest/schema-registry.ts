import { Ajv, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import type { EventRejectionReason } from "./reasons";

// ajv-formats is CommonJS; under ESM interop its default export may arrive wrapped.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ??
  addFormatsModule) as unknown as (ajv: Ajv) => void;

/**
 * A versioned JSON Schema for one track event's `properties`, self-describing like Snowplow's schemas:
 * `{"self": {"event": "Order Completed", "version": "1-0-0"}, "type": "object", ...}`.
 */
export interface SchemaDocument {
  event: string;
  /** SchemaVer MODEL-REVISION-ADDITION, e.g. "1-0-0". */
  version: string;
  schema: Record<string, unknown>;
}

export type SchemaCheck =
  | { ok: true; version: string | null }
  | { ok: false; reason: Extract<EventRejectionReason, "schema_violation" | "unknown_schema_version">; message: string };

export interface SchemaRegistry {
  readonly size: number;
  /** Validates a track event's properties; events of unregistered names pass with version null. */
  check(eventName: string, requestedVersion: string | undefined, properties: unknown): SchemaCheck;
}

const SCHEMAVER = /^\d+-\d+-\d+$/;

/** Registry key: the event name trimmed and lower-cased, as the curation contract normalizes names. */
export const schemaKey = (eventName: string) => eventName.trim().toLowerCase();

function compareSchemaVer(a: string, b: string): number {
  const pa = a.split("-").map(Number);
  const pb = b.split("-").map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Compiles every schema once (at cold start); checks are then plain function calls. */
export function createSchemaRegistry(documents: readonly SchemaDocument[]): SchemaRegistry {
  const ajv = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true });
  addFormats(ajv);
  ajv.addKeyword({ keyword: "self", schemaType: "object" });

  const byEvent = new Map<string, { latest: string; versions: Map<string, ValidateFunction> }>();
  for (const doc of documents) {
    if (!SCHEMAVER.test(doc.version)) {
      throw new Error(`schema for "${doc.event}": version "${doc.version}" is not MODEL-REVISION-ADDITION`);
    }
    const key = schemaKey(doc.event);
    let entry = byEvent.get(key);
    if (!entry) {
      entry = { latest: doc.version, versions: new Map() };
      byEvent.set(key, entry);
    }
    if (entry.versions.has(doc.version)) throw new Error(`schema for "${doc.event}" ${doc.version} is defined twice`);
    try {
      entry.versions.set(doc.version, ajv.compile(doc.schema));
    } catch (error) {
      throw new Error(`schema for "${doc.event}" ${doc.version} does not compile: ${(error as Error).message}`, {
        cause: error,
      });
    }
    if (compareSchemaVer(doc.version, entry.latest) > 0) entry.latest = doc.version;
  }

  return {
    size: documents.length,
    check(eventName, requestedVersion, properties) {
      const entry = byEvent.get(schemaKey(eventName));
      if (!entry) return { ok: true, version: null };
      const version = requestedVersion ?? entry.latest;
      const validate = entry.versions.get(version);
      if (!validate) {
        return { ok: false, reason: "unknown_schema_version", message: `no schema ${version} for "${eventName}"` };
      }
      if (validate(properties ?? {})) return { ok: true, version };
      const first = validate.errors?.[0];
      const where = first?.instancePath ? `properties${first.instancePath.replaceAll("/", ".")}` : "properties";
      return { ok: false, reason: "schema_violation", message: `${where} ${first?.message ?? "is invalid"} (schema ${version})` };
    },
  };
}

/** Reads the self-description of a schema file's JSON. Throws with the file name on a malformed document. */
export function schemaDocumentFromJson(json: unknown, origin: string): SchemaDocument {
  const doc = json as { self?: { event?: unknown; version?: unknown } } | null;
  const event = doc?.self?.event;
  const version = doc?.self?.version;
  if (typeof event !== "string" || typeof version !== "string") {
    throw new Error(`${origin}: a schema needs "self": {"event": "...", "version": "1-0-0"}`);
  }
  return { event, version, schema: json as Record<string, unknown> };
}
