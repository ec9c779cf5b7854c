/**
 * The crash-safe compaction protocol: the intent document and the recovery decision, both pure. ARCHITECTURE.md
 * ("Compaction") explains the design; the executor (packages/adapters/src/compaction/executor.ts) carries it out.
 *
 * S3 has no rename and no multi-object transaction, so one merge is a sequence of single-object steps, each atomic
 * and strongly consistent on its own (https://docs.aws.amazon.com/AmazonS3/latest/userguide/Welcome.html#ConsistencyModel;
 * the create-only writes: https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html):
 *
 *   1. intent   PUT the intent (If-None-Match: *) listing the inputs (key, size, ETag, rows), the output key, the
 *               expected row count and the schema fingerprint. Nothing visible changes.
 *   2. output   stream the merge into a multipart upload; before completing it, check the footer of the bytes
 *               written (rows = expected, same schema); CompleteMultipartUpload (If-None-Match: *) makes the whole
 *               output appear at once. From here until step 3 ends a reader listing the partition sees each merged
 *               row twice: the documented duplicate window.
 *   3. inputs   DeleteObjects of exactly the intent's inputs (one request: at most 1,000 keys), after checking none
 *               was replaced since the intent (ETag): a replaced input rolls the merge back instead.
 *   4. done     DELETE the intent.
 *
 * Invariants (what makes every kill point recoverable):
 * - the intent exists before the output does, and is deleted only after the inputs are;
 * - an output key is only ever written with the rows of its intent's inputs, verified before it becomes visible;
 * - an input is deleted only once the verified output exists;
 * - only keys listed in an intent are ever deleted (a writer's new file in the partition is never touched).
 * So at every moment each row is in the inputs, or in a verified output, or both (duplicates, steps 2-3), never in
 * neither; and a re-run that finds an intent can always finish it (output verified: delete what is left of the
 * inputs) or undo it (no output and every input intact: delete the intent).
 */

/** The protocol's steps, in order; the executor reports each, and the crash tests kill the process at each. */
export const PROTOCOL_STEPS = [
  "read-inputs", // footers read; nothing written yet
  "intent-written",
  "output-uploading", // parts uploaded, not completed: invisible
  "output-written", // visible: duplicate window opens
  "inputs-deleted", // duplicate window closed
  "intent-deleted",
] as const;
/** Steps of undoing a merge (an input was replaced under it, or a recovered output does not match its intent). */
export const ROLLBACK_STEPS = ["output-removed", "intent-removed"] as const;
export type ProtocolStep = (typeof PROTOCOL_STEPS)[number] | (typeof ROLLBACK_STEPS)[number];

export const INTENT_KIND = "eventlake.compaction.intent";

export interface IntentInput {
  key: string;
  size: number;
  /** The ETag read; reads are pinned to it (If-Match), and a different ETag later means the input was replaced. */
  etag: string;
  rows: number;
}

export interface CompactionIntent {
  kind: typeof INTENT_KIND;
  version: 1;
  partition: string;
  output: string;
  inputs: IntentInput[];
  /** Sum of the inputs' rows: the output must have exactly this many. */
  expectedRows: number;
  /** Fingerprint of the inputs' (identical) Arrow schema: the output must have the same. */
  schemaFingerprint: string;
  /** ISO-8601; the lease is counted from it. */
  createdAt: string;
  /** Which run wrote it (logs). */
  runId: string;
}

export class IntentFormatError extends Error {
  override readonly name = "IntentFormatError";
}

export function serializeIntent(intent: CompactionIntent): string {
  return `${JSON.stringify(intent, null, 1)}\n`;
}

const isNonNegativeInt = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
const isText = (v: unknown): v is string => typeof v === "string" && v.length > 0;

/** Parses and checks an intent object's text; an IntentFormatError names what is wrong. */
export function parseIntent(text: string, key = "intent"): CompactionIntent {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new IntentFormatError(`${key}: not JSON`);
  }
  const fail = (what: string): never => {
    throw new IntentFormatError(`${key}: ${what}`);
  };
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) fail("not a JSON object");
  const r = raw as Record<string, unknown>;
  if (r.kind !== INTENT_KIND) fail(`kind must be "${INTENT_KIND}"`);
  if (r.version !== 1) fail(`unsupported version ${JSON.stringify(r.version)}`);
  if (!isText(r.partition) || !r.partition.endsWith("/")) fail("partition must be a key prefix ending in /");
  const partition = r.partition as string;
  if (!isText(r.output) || !r.output.startsWith(partition)) fail("output must be a key in the partition");
  if (!Array.isArray(r.inputs) || r.inputs.length < 2) fail("inputs must list at least two files");
  const inputs = (r.inputs as unknown[]).map((item, i): IntentInput => {
    const o = (item && typeof item === "object" ? item : {}) as Record<string, unknown>;
    if (!isText(o.key) || !o.key.startsWith(partition)) fail(`inputs[${i}].key must be a key in the partition`);
    if (o.key === r.output) fail(`inputs[${i}] is the output`);
    if (!isNonNegativeInt(o.size)) fail(`inputs[${i}].size must be a non-negative integer`);
    if (!isText(o.etag)) fail(`inputs[${i}].etag is required`);
    if (!isNonNegativeInt(o.rows)) fail(`inputs[${i}].rows must be a non-negative integer`);
    return { key: o.key as string, size: o.size as number, etag: o.etag as string, rows: o.rows as number };
  });
  if (new Set(inputs.map((x) => x.key)).size !== inputs.length) fail("inputs repeat a key");
  if (!isNonNegativeInt(r.expectedRows)) fail("expectedRows must be a non-negative integer");
  if (inputs.reduce((sum, x) => sum + x.rows, 0) !== r.expectedRows) fail("expectedRows is not the sum of the inputs' rows");
  if (!isText(r.schemaFingerprint)) fail("schemaFingerprint is required");
  if (!isText(r.createdAt) || Number.isNaN(Date.parse(r.createdAt))) fail("createdAt must be an ISO-8601 time");
  if (typeof r.runId !== "string") fail("runId must be a string");
  return {
    kind: INTENT_KIND,
    version: 1,
    partition,
    output: r.output as string,
    inputs,
    expectedRows: r.expectedRows as number,
    schemaFingerprint: r.schemaFingerprint as string,
    createdAt: r.createdAt as string,
    runId: r.runId as string,
  };
}

/** What a recovering run observed about an intent's objects. */
export interface RecoveryObservation {
  /** Now minus the intent's createdAt. */
  ageMs: number;
  /**
   * "verified": the output exists with the intent's row count and schema; "invalid": it exists but does not match
   * (or cannot be read as Parquet); "missing": no such key.
   */
  output: "verified" | "invalid" | "missing";
  /** Per intent input: present with the intent's ETag, present with another ETag (replaced), or missing. */
  inputs: Record<string, "intact" | "replaced" | "missing">;
}

export type RecoveryAction =
  /** Young enough to belong to a live run: leave it (and its partition) alone. */
  | { action: "wait" }
  /** The verified output holds every row: delete the inputs still present (only those of the intent), then the intent. */
  | { action: "roll-forward"; deleteInputs: string[] }
  /** Every input is intact, so the merge can be undone: delete the output if present, then the intent. */
  | { action: "roll-back"; deleteOutput: boolean }
  /** Neither is safe: delete nothing, report (every row is still somewhere; a human decides). */
  | { action: "stuck"; reason: string };

/**
 * The recovery decision for an intent found by a later run. Roll forward whenever the output is verified (it holds
 * every row of the inputs, even if some were already deleted); roll back only when every input is intact (nothing
 * to lose by undoing). A replaced input (a writer rewrote it since the merge read it) with a verified output is
 * rolled back when possible, since the output holds the old version's rows; if some other input is already gone,
 * it is stuck (deleting the replaced file could lose its new rows; keeping it may duplicate).
 */
export function decideRecovery(intent: CompactionIntent, seen: RecoveryObservation, leaseMs: number): RecoveryAction {
  if (seen.ageMs < leaseMs) return { action: "wait" };
  const states = intent.inputs.map((i) => seen.inputs[i.key] ?? "missing");
  const allIntact = states.every((s) => s === "intact");
  const anyReplaced = states.includes("replaced");
  if (seen.output === "verified" && !anyReplaced) {
    return { action: "roll-forward", deleteInputs: intent.inputs.filter((i) => seen.inputs[i.key] === "intact").map((i) => i.key) };
  }
  if (allIntact || (anyReplaced && states.every((s) => s !== "missing"))) {
    return { action: "roll-back", deleteOutput: seen.output !== "missing" };
  }
  if (seen.output === "verified") {
    return { action: "stuck", reason: "an input was replaced after the merge read it and another input is already deleted" };
  }
  return {
    action: "stuck",
    reason:
      seen.output === "missing"
        ? "inputs are missing but the output was never written (deleted outside the protocol?)"
        : "the output does not match the intent and some inputs are already deleted",
  };
}
