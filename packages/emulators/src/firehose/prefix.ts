/**
 * Firehose S3 prefixes: parsing, the configuration rules and evaluation (AWS "Custom Prefixes
 * for Amazon S3 Objects", https://docs.aws.amazon.com/firehose/latest/dev/s3-prefixes.html).
 *
 * Expressions are `!{namespace:value}`:
 *   - `!{timestamp:<pattern>}`: the arrival time of the oldest record in the object, in UTC, formatted with a Java
 *     DateTimeFormatter pattern (datetime-format.ts). Every use in one evaluation is the same instant.
 *   - `!{firehose:random-string}`: 11 random characters, a new string for each use.
 *   - `!{firehose:error-output-type}`: e.g. `processing-failed`; only in ErrorOutputPrefix.
 *   - `!{partitionKeyFromLambda:<key>}` / `!{partitionKeyFromQuery:<key>}` are refused: they need dynamic
 *     partitioning, which the raw archive does not use (packages/core/src/firehose/raw-archive.ts says why), so the
 *     local Firehose does not model it and answers as Firehose does for a stream without it.
 * Rules enforced by resolvePrefixes(): `!{` only starts an expression; Prefix without a timestamp expression gets
 * `!{timestamp:yyyy/MM/dd/HH/}` appended; ErrorOutputPrefix may be empty only when
 * Prefix has no expression (it then evaluates to `<Prefix><error-output-type>/yyyy/MM/dd/HH/`); an ErrorOutputPrefix
 * with expressions must contain `!{firehose:error-output-type}`; each prefix is at most 512 characters evaluated.
 *
 * Pure: the random strings come from the caller.
 */
import { FIREHOSE } from "@eventlake/core/limits";
import { compileDateTimePattern, DateTimePatternError } from "./datetime-format";

/** What `!{firehose:error-output-type}` evaluates to (https://docs.aws.amazon.com/firehose/latest/dev/s3-prefixes.html). */
export const ERROR_OUTPUT_TYPES = [
  "processing-failed",
  "AmazonOpenSearchService-failed",
  "splunk-failed",
  "format-conversion-failed",
  "http-endpoint-failed",
  "activePartitionExceeded",
] as const;
export type ErrorOutputType = (typeof ERROR_OUTPUT_TYPES)[number];

/** Appended to a Prefix that has no timestamp expression. */
export const DEFAULT_TIMESTAMP_EXPRESSION = "!{timestamp:yyyy/MM/dd/HH/}";

export type PrefixField = "Prefix" | "ErrorOutputPrefix";

export type PrefixPart =
  | { kind: "literal"; text: string }
  | { kind: "timestamp"; pattern: string; format: (epochMs: number) => string }
  | { kind: "random-string" }
  | { kind: "error-output-type" };

export interface ParsedPrefix {
  field: PrefixField;
  /** The prefix as evaluated: the configured text plus any default appended by resolvePrefixes(). */
  text: string;
  parts: PrefixPart[];
  hasExpressions: boolean;
  hasTimestamp: boolean;
  hasErrorOutputType: boolean;
}

/** A configuration Firehose would refuse (CreateDeliveryStream fails with InvalidArgumentException). */
export class PrefixConfigError extends Error {
  override readonly name = "PrefixConfigError";
  constructor(readonly problems: readonly string[]) {
    super(`invalid S3 prefix configuration:\n- ${problems.join("\n- ")}`);
  }
}

/** A prefix that cannot be evaluated for a batch (over 512 characters, no error output type...). */
export class PrefixEvaluationError extends Error {
  override readonly name = "PrefixEvaluationError";
}

/** Parses one prefix; throws PrefixConfigError on a syntax error. */
export function parsePrefix(text: string, field: PrefixField): ParsedPrefix {
  const problems: string[] = [];
  const parts: PrefixPart[] = [];
  let literal = "";
  let i = 0;
  while (i < text.length) {
    const start = text.indexOf("!{", i);
    if (start < 0) {
      literal += text.slice(i);
      break;
    }
    literal += text.slice(i, start);
    const end = text.indexOf("}", start + 2);
    if (end < 0) {
      problems.push(`${field}: "!{" at position ${start} starts an expression that is never closed with "}"`);
      break;
    }
    const body = text.slice(start + 2, end);
    const colon = body.indexOf(":");
    const namespace = colon < 0 ? body : body.slice(0, colon);
    const value = colon < 0 ? "" : body.slice(colon + 1);
    let part: PrefixPart | undefined;
    if (colon < 0) {
      problems.push(`${field}: expression "!{${body}}" must have the form !{namespace:value}`);
    } else if (namespace === "timestamp") {
      try {
        part = { kind: "timestamp", pattern: value, format: compileDateTimePattern(value) };
        if (value === "") problems.push(`${field}: !{timestamp:} needs a pattern`);
      } catch (error) {
        if (!(error instanceof DateTimePatternError)) throw error;
        problems.push(`${field}: ${error.message}`);
      }
    } else if (namespace === "firehose") {
      if (value === "random-string") part = { kind: "random-string" };
      else if (value === "error-output-type") part = { kind: "error-output-type" };
      else problems.push(`${field}: unknown firehose expression "${value}" (random-string or error-output-type)`);
    } else if (namespace === "partitionKeyFromLambda" || namespace === "partitionKeyFromQuery") {
      problems.push(`${field}: !{${namespace}:...} needs dynamic partitioning, which the local Firehose does not model`);
    } else {
      problems.push(`${field}: unknown expression namespace "${namespace}" (timestamp, firehose)`);
    }
    if (part) {
      if (literal) parts.push({ kind: "literal", text: literal });
      literal = "";
      parts.push(part);
    }
    i = end + 1;
  }
  if (literal) parts.push({ kind: "literal", text: literal });
  if (problems.length > 0) throw new PrefixConfigError(problems);
  return describe(field, text, parts);
}

function describe(field: PrefixField, text: string, parts: PrefixPart[]): ParsedPrefix {
  return {
    field,
    text,
    parts,
    hasExpressions: parts.some((p) => p.kind !== "literal"),
    hasTimestamp: parts.some((p) => p.kind === "timestamp"),
    hasErrorOutputType: parts.some((p) => p.kind === "error-output-type"),
  };
}

export interface S3PrefixConfig {
  /** Empty or undefined: Firehose's default `yyyy/MM/dd/HH/`. */
  prefix?: string;
  /** Empty or undefined: allowed only when `prefix` has no expression. */
  errorOutputPrefix?: string;
}

export interface ResolvedPrefixes {
  prefix: ParsedPrefix;
  errorOutputPrefix: ParsedPrefix;
}

/** Applies Firehose's rules and defaults to a destination's prefixes; throws PrefixConfigError listing every problem. */
export function resolvePrefixes(config: S3PrefixConfig): ResolvedPrefixes {
  const problems: string[] = [];
  const prefixText = config.prefix ?? "";
  const errorText = config.errorOutputPrefix ?? "";
  for (const [field, text] of [
    ["Prefix", prefixText],
    ["ErrorOutputPrefix", errorText],
  ] as const) {
    if (text.length > FIREHOSE.maxConfiguredPrefixChars) problems.push(`${field} is longer than ${FIREHOSE.maxConfiguredPrefixChars} characters`);
  }
  const parse = (text: string, field: PrefixField) => {
    try {
      return parsePrefix(text, field);
    } catch (error) {
      if (!(error instanceof PrefixConfigError)) throw error;
      problems.push(...error.problems);
      return undefined;
    }
  };
  let prefix = parse(prefixText, "Prefix");
  let errorPrefix = errorText === "" ? undefined : parse(errorText, "ErrorOutputPrefix");
  if (prefix) {
    if (prefix.hasErrorOutputType) problems.push("Prefix cannot contain !{firehose:error-output-type} (ErrorOutputPrefix only)");
    if (errorText === "" && prefix.hasExpressions) problems.push("ErrorOutputPrefix cannot be empty when Prefix contains expressions");
  }
  if (errorPrefix) {
    if (errorPrefix.hasExpressions && !errorPrefix.hasErrorOutputType) {
      problems.push("ErrorOutputPrefix with expressions must contain !{firehose:error-output-type}");
    }
  }
  if (problems.length > 0 || !prefix) throw new PrefixConfigError(problems);
  if (!errorPrefix) {
    // Prefix has no expression here: errors go to <Prefix><error-output-type>/yyyy/MM/dd/HH/.
    errorPrefix = parsePrefix(`${prefixText}!{firehose:error-output-type}/${DEFAULT_TIMESTAMP_EXPRESSION}`, "ErrorOutputPrefix");
  }
  if (!prefix.hasTimestamp) prefix = parsePrefix(`${prefixText}${DEFAULT_TIMESTAMP_EXPRESSION}`, "Prefix");
  return { prefix, errorOutputPrefix: errorPrefix };
}

export interface PrefixContext {
  /** Approximate arrival time (epoch ms) of the oldest record in the object. */
  arrivalMs: number;
  /** A fresh random string per call (11 characters for Firehose's random-string). */
  randomString: () => string;
  /** Required when the prefix uses !{firehose:error-output-type}. */
  errorOutputType?: ErrorOutputType;
}

/** Evaluates a parsed prefix for one object; throws PrefixEvaluationError. */
export function evaluatePrefix(prefix: ParsedPrefix, ctx: PrefixContext): string {
  let out = "";
  for (const part of prefix.parts) {
    switch (part.kind) {
      case "literal":
        out += part.text;
        break;
      case "timestamp":
        out += part.format(ctx.arrivalMs);
        break;
      case "random-string": {
        const random = ctx.randomString();
        if (random.length !== FIREHOSE.randomStringChars) {
          throw new PrefixEvaluationError(`random-string must be ${FIREHOSE.randomStringChars} characters, got ${random.length}`);
        }
        out += random;
        break;
      }
      case "error-output-type":
        if (!ctx.errorOutputType) throw new PrefixEvaluationError(`${prefix.field} needs an error output type`);
        out += ctx.errorOutputType;
        break;
    }
  }
  if (out.length > FIREHOSE.maxEvaluatedPrefixChars) {
    throw new PrefixEvaluationError(`${prefix.field} evaluates to ${out.length} characters, over Firehose's ${FIREHOSE.maxEvaluatedPrefixChars}`);
  }
  return out;
}

/** Firehose's random-string: 11 characters (its documented examples are the start of a UUID). */
export function randomStringFromUuid(uuid: string): string {
  return uuid.slice(0, FIREHOSE.randomStringChars);
}
