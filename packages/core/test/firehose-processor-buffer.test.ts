/**
 * The processor buffer's bound assumes a floor on the smallest record the stream carries (MIN_STREAM_RECORD_BYTES):
 * it holds for the smallest canonical event the ingest can write. The bound itself is checked against real
 * invocation requests in packages/emulators/test/firehose-processor-buffer.test.ts.
 */
import { describe, expect, it } from "vitest";
import { MIN_STREAM_RECORD_BYTES } from "../src/firehose/processor-buffer";
import { DEFAULT_INGEST_CONFIG } from "../src/ingest/config";
import { normalizeEvent } from "../src/ingest/normalize";
import { createSchemaRegistry } from "../src/ingest/schema-registry";

describe("processor buffer bound", () => {
  it("the smallest record floor holds for the smallest canonical event the ingest can write", () => {
    const received = Date.UTC(2026, 10, 26);
    const sizes = (["track", "page", "screen", "identify", "group"] as const).map((routeType) => {
      const result = normalizeEvent(
        { anonymousId: "a", messageId: "m", event: "e", groupId: "g" },
        {
          routeType,
          defaultType: undefined,
          batchSentAtMs: undefined,
          outerContext: undefined,
          receivedAtMs: received,
          receivedAt: new Date(received).toISOString(),
          sourceId: "w",
          config: DEFAULT_INGEST_CONFIG,
          schemas: createSchemaRegistry([]),
          newMessageId: () => "m",
        },
      );
      if (!result.ok) throw new Error(result.message);
      return Buffer.byteLength(JSON.stringify(result.event));
    });
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(MIN_STREAM_RECORD_BYTES);
  });
});
