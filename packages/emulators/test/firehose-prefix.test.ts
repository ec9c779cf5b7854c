import { describe, expect, it } from "vitest";
import { compileDateTimePattern, DateTimePatternError, formatUtc } from "../src/firehose/datetime-format";
import { COMPRESSION_EXTENSIONS, firehoseObjectKey } from "../src/firehose/object-key";
import {
  DEFAULT_TIMESTAMP_EXPRESSION,
  evaluatePrefix,
  parsePrefix,
  PrefixConfigError,
  PrefixEvaluationError,
  randomStringFromUuid,
  resolvePrefixes,
} from "../src/firehose/prefix";
import { RAW_ARCHIVE, rawArchiveDeliveryStreamName } from "@eventlake/core/firehose/raw-archive";

// 2018-08-27T10:30:05.123Z (the instant of AWS's prefix examples), a Monday.
const AUG_27 = Date.UTC(2018, 7, 27, 10, 30, 5, 123);
const sequence = (...values: string[]) => {
  let i = 0;
  return () => values[i++ % values.length]!;
};
const problemsOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (error) {
    if (error instanceof PrefixConfigError) return [...error.problems];
    throw error;
  }
  throw new Error("expected a PrefixConfigError");
};

describe("timestamp patterns (Java DateTimeFormatter subset, UTC)", () => {
  it.each([
    ["yyyy/MM/dd/HH/", "2018/08/27/10/"],
    ["yyyy-MM-dd-HH-mm-ss", "2018-08-27-10-30-05"],
    ["yy", "18"],
    ["y", "2018"],
    ["uuuu", "2018"],
    ["M/d/H/m/s", "8/27/10/30/5"],
    ["MMM MMMM MMMMM", "Aug August A"],
    ["E EEEE EEEEE", "Mon Monday M"],
    ["D DD DDD", "239 239 239"],
    ["h K k a", "10 10 10 AM"],
    ["S SS SSS SSSSSS", "1 12 123 123000"],
    ["Q QQ QQQ QQQQ", "3 03 Q3 3rd quarter"],
    ["G", "AD"],
    ["'year='yyyy'/month='MM", "year=2018/month=08"],
    ["''yyyy''", "'2018'"],
    ["'it''s' HH", "it's 10"],
    ["yyyy_MM=dd+HH.", "2018_08=27+10."],
  ])("%s -> %s", (pattern, expected) => {
    expect(formatUtc(pattern, AUG_27)).toBe(expected);
  });

  it("uses UTC and 24-hour fields across midnight and year ends", () => {
    const f = compileDateTimePattern("yyyy-MM-dd HH hh a k D");
    expect(f(Date.UTC(2020, 11, 31, 23, 59, 59))).toBe("2020-12-31 23 11 PM 23 366");
    expect(f(Date.UTC(2021, 0, 1, 0, 0, 0))).toBe("2021-01-01 00 12 AM 24 1");
  });

  it.each([
    ["ddd", /too many pattern letters: d/],
    ["HHH", /too many pattern letters: H/],
    ["YYYY", /week-based/],
    ["ww", /week-based/],
    ["yyyy'x", /unterminated quoted literal/],
    ["yyyy[MM]", /optional sections/],
    ["yyyy#", /reserved/],
    ["XXX", /time-zone/],
    ["Z", /time-zone/],
    ["b", /unknown pattern letter: b/],
    ["aa", /too many pattern letters: a/],
  ])("refuses %s", (pattern, message) => {
    expect(() => compileDateTimePattern(pattern)).toThrow(DateTimePatternError);
    expect(() => compileDateTimePattern(pattern)).toThrow(message);
  });
});

describe("prefix parsing and evaluation", () => {
  it("evaluates every timestamp in a prefix to the same instant (the oldest record's arrival)", () => {
    const p = parsePrefix("raw/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/", "Prefix");
    expect(evaluatePrefix(p, { arrivalMs: AUG_27, randomString: () => "x".repeat(11) })).toBe("raw/year=2018/month=08/day=27/hour=10/");
  });

  it("gives each random-string use a new 11-character string", () => {
    const p = parsePrefix("a/!{firehose:random-string}/b/!{firehose:random-string}/", "Prefix");
    expect(evaluatePrefix(p, { arrivalMs: AUG_27, randomString: sequence("046b6c7f-0b", "5abf82daaa5") })).toBe("a/046b6c7f-0b/b/5abf82daaa5/");
    expect(() => evaluatePrefix(p, { arrivalMs: AUG_27, randomString: () => "short" })).toThrow(PrefixEvaluationError);
    expect(randomStringFromUuid("9d0ab03f-6a58-4a0f-88c8-5f3b6e8a1f2c")).toBe("9d0ab03f-6a");
  });

  it("puts the error output type where it is used", () => {
    const errors = parsePrefix("err/!{firehose:error-output-type}/!{timestamp:yyyy}/", "ErrorOutputPrefix");
    expect(evaluatePrefix(errors, { arrivalMs: AUG_27, randomString: () => "", errorOutputType: "processing-failed" })).toBe("err/processing-failed/2018/");
    expect(() => evaluatePrefix(errors, { arrivalMs: AUG_27, randomString: () => "" })).toThrow(/error output type/);
  });

  it("refuses a prefix longer than 512 characters once evaluated", () => {
    const random = () => "x".repeat(11);
    expect(evaluatePrefix(parsePrefix(`${"a".repeat(500)}/!{firehose:random-string}`, "Prefix"), { arrivalMs: AUG_27, randomString: random })).toHaveLength(512);
    const over = parsePrefix(`${"a".repeat(501)}/!{firehose:random-string}`, "Prefix");
    expect(() => evaluatePrefix(over, { arrivalMs: AUG_27, randomString: random })).toThrow(/513 characters/);
  });

  it.each([
    ["raw/!{timestamp:yyyy", /never closed/],
    ["raw/!{timestamp}", /namespace:value/],
    ["raw/!{nope:x}/", /unknown expression namespace "nope"/],
    ["raw/!{firehose:uuid}/", /unknown firehose expression "uuid"/],
    ["raw/!{timestamp:YYYY}/", /week-based/],
    ["raw/!{partitionKeyFromLambda:k}/", /needs dynamic partitioning/],
    ["raw/!{partitionKeyFromQuery:k}/", /needs dynamic partitioning/],
  ])("refuses the syntax error in %s", (text, message) => {
    expect(problemsOf(() => parsePrefix(text, "Prefix")).join("\n")).toMatch(message);
  });
});

describe("prefix configuration rules (AWS's examples and semantic rules)", () => {
  const at = (resolved: ReturnType<typeof resolvePrefixes>) => ({
    prefix: evaluatePrefix(resolved.prefix, { arrivalMs: AUG_27, randomString: () => "5abf82daaa5" }),
    error: evaluatePrefix(resolved.errorOutputPrefix, { arrivalMs: AUG_27, randomString: () => "5abf82daaa5", errorOutputType: "processing-failed" }),
  });

  it("defaults an unspecified Prefix to yyyy/MM/dd/HH/", () => {
    expect(at(resolvePrefixes({ errorOutputPrefix: "myFirehoseFailures/!{firehose:error-output-type}/" }))).toEqual({
      prefix: "2018/08/27/10/",
      error: "myFirehoseFailures/processing-failed/",
    });
  });

  it("appends the default timestamp to a literal Prefix and derives the error prefix from it", () => {
    const resolved = resolvePrefixes({ prefix: "myFirehosePrefix/" });
    expect(resolved.prefix.text).toBe(`myFirehosePrefix/${DEFAULT_TIMESTAMP_EXPRESSION}`);
    expect(at(resolved)).toEqual({ prefix: "myFirehosePrefix/2018/08/27/10/", error: "myFirehosePrefix/processing-failed/2018/08/27/10/" });
  });

  it("evaluates AWS's mixed example (literal text, random string, repeated timestamps)", () => {
    const resolved = resolvePrefixes({
      prefix: "myFirehose/DeliveredYear=!{timestamp:yyyy}/anyMonth/rand=!{firehose:random-string}",
      errorOutputPrefix: "myFirehoseFailures/!{firehose:error-output-type}/!{timestamp:yyyy}/anyMonth/!{timestamp:dd}",
    });
    expect(at(resolved)).toEqual({
      prefix: "myFirehose/DeliveredYear=2018/anyMonth/rand=5abf82daaa5",
      error: "myFirehoseFailures/processing-failed/2018/anyMonth/27",
    });
  });

  it("evaluates a quoted-literal error prefix like AWS's Hive-style example", () => {
    const resolved = resolvePrefixes({
      prefix: "myPrefix/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/",
      errorOutputPrefix: "myErrorPrefix/!{timestamp:'year='yyyy'/month='MM'/day='dd'/hour='HH}/!{firehose:error-output-type}",
    });
    expect(at(resolved)).toEqual({
      prefix: "myPrefix/year=2018/month=08/day=27/hour=10/",
      error: "myErrorPrefix/year=2018/month=08/day=27/hour=10/processing-failed",
    });
  });

  it.each([
    [{ prefix: "!{timestamp:yyyy/MM/dd}" }, /ErrorOutputPrefix cannot be empty when Prefix contains expressions/],
    [{ prefix: "a/!{firehose:error-output-type}/", errorOutputPrefix: "e/!{firehose:error-output-type}/" }, /Prefix cannot contain !\{firehose:error-output-type\}/],
    [{ prefix: "a/!{timestamp:yyyy}/", errorOutputPrefix: "e/!{timestamp:yyyy}/" }, /must contain !\{firehose:error-output-type\}/],
    [{ prefix: "a/!{partitionKeyFromLambda:k}/", errorOutputPrefix: "e/!{firehose:error-output-type}/" }, /needs dynamic partitioning/],
    [{ prefix: `${"p".repeat(1025)}` }, /Prefix is longer than 1024/],
  ])("refuses %j", (config, message) => {
    expect(problemsOf(() => resolvePrefixes(config)).join("\n")).toMatch(message);
  });

  it("gives the raw archive Hive-style arrival-time partitions under raw/ and errors under raw-errors/", () => {
    expect(RAW_ARCHIVE.prefix).toBe("raw/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/");
    expect(RAW_ARCHIVE.errorOutputPrefix.startsWith("raw-errors/")).toBe(true);
    const resolved = resolvePrefixes({ prefix: RAW_ARCHIVE.prefix, errorOutputPrefix: RAW_ARCHIVE.errorOutputPrefix });
    expect(resolved.errorOutputPrefix.hasErrorOutputType).toBe(true);
    expect(at(resolved)).toEqual({
      prefix: "raw/year=2018/month=08/day=27/hour=10/",
      error: "raw-errors/processing-failed/year=2018/month=08/day=27/hour=10/",
    });
  });
});

describe("object names", () => {
  it("names objects <prefix><stream>-<version>-yyyy-MM-dd-HH-mm-ss-<uuid>.gz", () => {
    const key = firehoseObjectKey({
      prefix: "raw/year=2018/month=08/day=27/hour=10/",
      deliveryStreamName: rawArchiveDeliveryStreamName("local"),
      deliveryStreamVersion: 1,
      timeMs: AUG_27,
      uuid: "9d0ab03f-6a58-4a0f-88c8-5f3b6e8a1f2c",
      compression: "GZIP",
    });
    expect(key).toBe("raw/year=2018/month=08/day=27/hour=10/eventlake-local-raw-archive-1-2018-08-27-10-30-05-9d0ab03f-6a58-4a0f-88c8-5f3b6e8a1f2c.gz");
    expect(COMPRESSION_EXTENSIONS.UNCOMPRESSED).toBe("");
  });

  it("refuses invalid names, versions and ids", () => {
    const base = { prefix: "", deliveryStreamName: "s", deliveryStreamVersion: 1, timeMs: AUG_27, uuid: "9d0ab03f-6a58-4a0f-88c8-5f3b6e8a1f2c", compression: "GZIP" as const };
    expect(() => firehoseObjectKey({ ...base, deliveryStreamName: "bad name" })).toThrow(/letters, digits/);
    expect(() => firehoseObjectKey({ ...base, deliveryStreamName: "x".repeat(65) })).toThrow(/1-64/);
    expect(() => firehoseObjectKey({ ...base, deliveryStreamVersion: 0 })).toThrow(/version/);
    expect(() => firehoseObjectKey({ ...base, uuid: "not-a-uuid" })).toThrow(/UUID/);
    expect(rawArchiveDeliveryStreamName("a".repeat(80))).toHaveLength(64);
  });
});
