import { Ajv, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import type { EventRejectionReason } from "./reasons";

// ajv-formats is CommonJS; under ESM interop its default export may arrive wrapped.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ??
  addFormatsModule) as unknown as (ajv: Ajv) => void;

/**
 * What a schema does with an event that does not match it:
 * - `reject`: the event is rejected at ingest (a bad row with reason `schema_violation`, in quarantine);
 * - `tag`: the event is accepted and curated, its violations recorded in the curated `schema_violations` column
 *   (as tracking plans in Segment Protocols and RudderStack can propagate violations instead of blocking).
 */
export type SchemaEnforcement = "reject" | "tag";
export const SCHEMA_ENFORCEMENTS: readonly SchemaEnforcement[] = ["reject", "tag"];

/**
 * A versioned JSON Schema for one track event's `properties`, self-describing like Snowplow's schemas:
 * `{"self": {"event": "Order Completed", "version": "1-0-0", "enforcement": "tag"}, "type": "object", ...}`.
 */
export interface SchemaDocument {
  event: string;
  /** SchemaVer MODEL-REVISION-ADDITION, e.g. "1-0-0". */
  version: string;
  /** Default "reject". */
  enforcement?: SchemaEnforcement;
  schema: Record<string, unknown>;
}

/** One way an accepted (`tag`) event does not match its schema: the canonical event's `schemaViolations` items. */
export interface SchemaViolation {
  /** The schema version checked (the one the event named, else the latest). */
  schemaVersion: string;
  /** Where, e.g. "properties.order_id" or "properties". */
  path: string;
  message: string;
}

export type SchemaCheck =
  | { ok: true; version: string | null; violations?: SchemaViolation[] }
  | { ok: false; reason: Extract<EventRejectionReason, "schema_violation" | "unknown_schema_version">; message: string };

export interface SchemaRegistry {
  readonly size: number;
  /**
   * Validates a track event's properties; events of unregistered names pass with version null. A `tag` schema
   * passes non-matching events too, with their violations.
   */
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
  // `reject` stops at the first error (the bad row names it); `tag` records every violation of the event.
  const newAjv = (allErrors: boolean) => {
    const ajv = new Ajv({ allErrors, strict: true, allowUnionTypes: true });
    addFormats(ajv);
    ajv.addKeyword({ keyword: "self", schemaType: "object" });
    return ajv;
  };
  const compilers = { reject: newAjv(false), tag: newAjv(true) };

  type Version = { validate: ValidateFunction; enforcement: SchemaEnforcement };
  const byEvent = new Map<string, { latest: string; versions: Map<string, Version> }>();
  for (const doc of documents) {
    if (!SCHEMAVER.test(doc.version)) {
      throw new Error(`schema for "${doc.event}": version "${doc.version}" is not MODEL-REVISION-ADDITION`);
    }
    const enforcement = doc.enforcement ?? "reject";
    if (!SCHEMA_ENFORCEMENTS.includes(enforcement)) {
      throw new Error(`schema for "${doc.event}" ${doc.version}: enforcement must be one of ${SCHEMA_ENFORCEMENTS.join(", ")}`);
    }
    const key = schemaKey(doc.event);
    let entry = byEvent.get(key);
    if (!entry) {
      entry = { latest: doc.version, versions: new Map() };
      byEvent.set(key, entry);
    }
    if (entry.versions.has(doc.version)) throw new Error(`schema for "${doc.event}" ${doc.version} is defined twice`);
    try {
      entry.versions.set(doc.version, { validate: compilers[enforcement].compile(doc.schema), enforcement });
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
      const found = entry.versions.get(version);
      if (!found) {
        const message = `no schema ${version} for "${eventName}"`;
        // The event's schema family decides, by its latest version's enforcement.
        if (entry.versions.get(entry.latest)!.enforcement === "tag") {
          return { ok: true, version: null, violations: [{ schemaVersion: version, path: "schemaVersion", message }] };
        }
        return { ok: false, reason: "unknown_schema_version", message };
      }
      const { validate, enforcement } = found;
      if (validate(properties ?? {})) return { ok: true, version };
      const errors = validate.errors ?? [];
      const where = (e: (typeof errors)[number] | undefined) => (e?.instancePath ? `properties${e.instancePath.replaceAll("/", ".")}` : "properties");
      if (enforcement === "tag") {
        const violations = errors.map((e) => ({ schemaVersion: version, path: where(e), message: e.message ?? "is invalid" }));
        return { ok: true, version, violations: violations.length ? violations : [{ schemaVersion: version, path: "properties", message: "is invalid" }] };
      }
      const first = errors[0];
      return { ok: false, reason: "schema_violation", message: `${where(first)} ${first?.message ?? "is invalid"} (schema ${version})` };
    },
  };
}

/** Reads the self-description of a schema file's JSON. Throws with the file name on a malformed document. */
export function schemaDocumentFromJson(json: unknown, origin: string): SchemaDocument {
  const doc = json as { self?: { event?: unknown; version?: unknown; enforcement?: unknown } } | null;
  const event = doc?.self?.event;
  const version = doc?.self?.version;
  const enforcement = doc?.self?.enforcement;
  if (typeof event !== "string" || typeof version !== "string") {
    throw new Error(`${origin}: a schema needs "self": {"event": "...", "version": "1-0-0", "enforcement": "reject" | "tag"}`);
  }
  if (enforcement !== undefined && !SCHEMA_ENFORCEMENTS.includes(enforcement as SchemaEnforcement)) {
    throw new Error(`${origin}: "self.enforcement" must be "reject" or "tag", not ${JSON.stringify(enforcement)}`);
  }
  return { event, version, ...(enforcement !== undefined ? { enforcement: enforcement as SchemaEnforcement } : {}), schema: json as Record<string, unknown> };
}
