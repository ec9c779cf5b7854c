/**
 * A local stand-in for the SNS alarm topic: answers `Publish` over the AWS Query protocol the SDK's SNS client
 * speaks (form-encoded POST, XML answer), so the functions' SnsNotifier runs unchanged through an endpoint
 * override (EVENTLAKE_SNS_ENDPOINT). Each message goes to `onPublish` (the local runtime prints it and appends it
 * to `<dataDir>/alerts.log`, next to the local alarms' notifications). Only the configured topics exist; other
 * actions answer InvalidAction. Publish's own limits apply: Subject ASCII, no line breaks, at most 100 characters;
 * Message up to 256 KB.
 */
import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface PublishedMessage {
  topicArn: string;
  messageId: string;
  subject?: string;
  message: string;
  attributes: Record<string, string>;
  atMs: number;
}

export interface LocalSnsOptions {
  topicArns: readonly string[];
  onPublish(message: PublishedMessage): void;
  host?: string;
  port?: number;
}

export interface LocalSns {
  readonly endpoint: string;
  close(): Promise<void>;
}

const xmlEscape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const XMLNS = "http://sns.amazonaws.com/doc/2010-03-31/";

function sendError(res: http.ServerResponse, status: number, code: string, message: string, type: "Sender" | "Receiver" = "Sender") {
  const body = `<ErrorResponse xmlns="${XMLNS}"><Error><Type>${type}</Type><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`;
  res.writeHead(status, { "content-type": "text/xml", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

/** MessageAttributes.entry.N.Name / .Value.DataType / .Value.StringValue -> { name: value }. */
function attributesOf(form: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (let n = 1; ; n++) {
    const name = form.get(`MessageAttributes.entry.${n}.Name`);
    if (name === null) return out;
    out[name] = form.get(`MessageAttributes.entry.${n}.Value.StringValue`) ?? "";
  }
}

export async function startLocalSns(options: LocalSnsOptions): Promise<LocalSns> {
  const topics = new Set(options.topicArns);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size <= 1024 * 1024) chunks.push(c);
    });
    req.on("end", () => {
      if (size > 1024 * 1024) return sendError(res, 413, "RequestEntityTooLarge", "request too large");
      const form = new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
      const action = form.get("Action");
      if (action !== "Publish") return sendError(res, 400, "InvalidAction", `The action ${action ?? "(none)"} is not valid for this local endpoint`);
      const topicArn = form.get("TopicArn") ?? "";
      if (!topics.has(topicArn)) return sendError(res, 404, "NotFound", "Topic does not exist");
      const message = form.get("Message");
      if (message === null || message === "") return sendError(res, 400, "InvalidParameter", "Invalid parameter: Empty message");
      if (Buffer.byteLength(message) > 256 * 1024) return sendError(res, 400, "InvalidParameter", "Invalid parameter: Message too long");
      const subject = form.get("Subject") ?? undefined;
      if (subject !== undefined && (subject.length === 0 || subject.length > 100 || /[^\x20-\x7e]/.test(subject))) {
        return sendError(res, 400, "InvalidParameter", "Invalid parameter: Subject");
      }
      const messageId = randomUUID();
      try {
        options.onPublish({ topicArn, messageId, ...(subject !== undefined ? { subject } : {}), message, attributes: attributesOf(form), atMs: Date.now() });
      } catch (err) {
        return sendError(res, 500, "InternalError", (err as Error).message, "Receiver");
      }
      const body = `<PublishResponse xmlns="${XMLNS}"><PublishResult><MessageId>${messageId}</MessageId></PublishResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></PublishResponse>`;
      res.writeHead(200, { "content-type": "text/xml", "content-length": Buffer.byteLength(body) });
      res.end(body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://${options.host ?? "127.0.0.1"}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** How a notice reads in the alert log (the local alarms write their notifications to the same file). */
export function noticeLines(m: PublishedMessage): string[] {
  const head = `${new Date(m.atMs).toISOString()} NOTICE ${m.subject ?? "(no subject)"}`;
  const source = m.attributes.source ? [`  From: ${m.attributes.source} (via the alarm topic)`] : [];
  return [head, ...source, ...m.message.split("\n").map((line) => (line ? `  ${line}` : ""))].filter((l, i, all) => l !== "" || all[i - 1] !== "");
}
