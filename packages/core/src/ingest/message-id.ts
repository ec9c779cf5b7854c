import { v7 } from "uuid";

/**
 * messageId for events the client sent without one: a UUIDv7 (RFC 9562), whose leading 48 bits are the Unix time in
 * milliseconds, so ids sort by creation time and index well.
 */
export function newMessageId(): string {
  return v7();
}
