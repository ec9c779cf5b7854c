import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { archiveLine, judgeArchiveRecord } from "../src/firehose/archive-record";
import { decodeBase64, isBase64 } from "../src/firehose/base64";
import { InvalidTransformEventError, transformRecords, TransformResponseTooLargeError } from "../src/firehose/transform";

const EVENT = {
  kind: "event",
  formatVersion: 1,
  messageId: "m-1",
  type: "track",
  event: "Signed Up",
  userId: "u1",
  properties: { plan: "pro", text: "naïve café ✓" },
  receivedAt: "2026-01-02T03:04:05.678Z",
  timestamp: "2026-01-02T03:04:05.000Z",
  sourceId: "web",
  schemaVersion: null,
};
const BAD_ROW = {
  kind: "bad_row",
  formatVersion: 1,
  reason: "malformed_json",
  message: "Unexpected token",
  index: 1,
  sourceId: "web",
  receivedAt: "2026-01-02T03:04:05.678Z",
  endpoint: "/v1/events",
  payload: "{broken",
  payloadTruncated: false,
};
const bytes = (text: string) => new TextEncoder().encode(text);
const b64 = (data: Uint8Array | string) => Buffer.from(typeof data === "string" ? bytes(data) : data).toString("base64");

describe("archive records", () => {
  it("accepts canonical events and bad rows and keeps their bytes (with the newline)", () => {
    for (const record of [EVENT, BAD_ROW]) {
      const data = bytes(JSON.stringify(record));
      expect(judgeArchiveRecord(data)).toEqual({ ok: true, kind: record.kind });
      expect(Buffer.from(archiveLine(data)).toString("utf8")).toBe(`${JSON.stringify(record)}\n`);
    }
  });

  it.each([
    ["empty", new Uint8Array(0)],
    ["invalid_utf8", Uint8Array.of(0x7b, 0xff, 0x7d)],
    ["line_break", bytes(JSON.stringify(EVENT, null, 2))],
    ["line_break", bytes(`${JSON.stringify(EVENT)}\r`)],
    ["malformed_json", bytes("{nope")],
    ["malformed_json", bytes(`\uFEFF${JSON.stringify(EVENT)}`)],
    ["not_an_object", bytes("[1,2]")],
    ["not_an_object", bytes("null")],
    ["unknown_kind", bytes('{"kind":"other"}')],
    ["unknown_kind", bytes('{"userId":"u1"}')],
    ["invalid_record", bytes(JSON.stringify({ ...EVENT, messageId: "" }))],
    ["invalid_record", bytes(JSON.stringify({ ...EVENT, type: "click" }))],
    ["invalid_record", bytes(JSON.stringify({ ...BAD_ROW, payload: 3 }))],
    ["invalid_record", bytes(JSON.stringify({ ...EVENT, formatVersion: "1" }))],
  ])("refuses %s", (problem, data) => {
    const verdict = judgeArchiveRecord(data);
    expect(verdict).toMatchObject({ ok: false, problem });
  });
});

describe("strict base64", () => {
  it("accepts padded and unpadded standard base64, refuses anything else", () => {
    for (const ok of ["", "QQ==", "QUI=", "QUJD", "QQ", "QUI", "+/+/"]) expect(isBase64(ok)).toBe(true);
    for (const bad of ["Q", "QQ=", "Q===", "QU JD", "QUJD\n", "QU-_", "=QQQ", "QQ==QQ=="]) expect(isBase64(bad)).toBe(false);
    expect(decodeBase64("QUJD")).toEqual(Buffer.from("ABC"));
    expect(decodeBase64("QU JD")).toBeUndefined();
  });

  it("round-trips any bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (data) => {
        const text = Buffer.from(data).toString("base64");
        expect(isBase64(text)).toBe(true);
        expect(Buffer.from(decodeBase64(text)!)).toEqual(Buffer.from(data));
      }),
    );
  });
});

describe("transformRecords", () => {
  const event = (records: { recordId: string; data: unknown }[]) => ({
    invocationId: "inv-1",
    deliveryStreamArn: "arn:aws:firehose:us-east-1:123456789012:deliverystream/s",
    sourceKinesisStreamArn: "arn:aws:kinesis:us-east-1:123456789012:stream/k",
    region: "us-east-1",
    records: records.map((r) => ({ approximateArrivalTimestamp: 1, ...r })),
  });

  it("computes the response size exactly, and refuses to answer over the limit", () => {
    const input = Array.from({ length: 20 }, (_, i) => ({ recordId: `r-é-${i}`, data: b64(JSON.stringify({ ...EVENT, messageId: `m${i}` })) }));
    const { response, summary } = transformRecords(event(input));
    expect(summary.responseBytes).toBe(Buffer.byteLength(JSON.stringify(response)));
    expect(transformRecords(event([])).summary.responseBytes).toBe(Buffer.byteLength('{"records":[]}'));
    expect(() => transformRecords(event(input), summary.responseBytes - 1)).toThrow(TransformResponseTooLargeError);
  });

  it("refuses something that is not a transformation event", () => {
    expect(() => transformRecords({})).toThrow(InvalidTransformEventError);
    expect(() => transformRecords({ records: [{ data: "" }] })).toThrow(/record 0 has no recordId/);
  });
});
