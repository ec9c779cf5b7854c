import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import type { CorsConfiguration } from "@eventlake/core/ingest/cors";

/** Invokes the integration (a Lambda function) with the event and returns its result. */
export type HttpApiIntegration = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

/** API Gateway HTTP API's payload limit. */
const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;
const TEXTUAL = /^(text\/|application\/(json|x-ndjson|ndjson|jsonl|x-jsonlines|xml|x-www-form-urlencoded|javascript))/i;
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

function clfTime(d: Date): string {
  const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const p = (n: number) => String(n).padStart(2, "0");
  return `${p(d.getUTCDate())}/${months[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

/**
 * Builds the API Gateway HTTP API (payload format 2.0) event for a request: lower-cased headers with repeated ones
 * joined by commas, cookies split out, query string parsed, and the body base64-encoded unless it is textual and
 * valid UTF-8 (as API Gateway does for binary content).
 */
export function toHttpApiEvent(req: IncomingMessage, body: Buffer, routeKey: string): APIGatewayProxyEventV2 {
  const url = new URL(req.url ?? "/", "http://localhost");
  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!.toLowerCase();
    const value = req.rawHeaders[i + 1]!;
    if (name === "cookie") {
      cookies = [...(cookies ?? []), ...value.split(";").map((c) => c.trim()).filter(Boolean)];
      continue;
    }
    headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  }
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = query[k] === undefined ? v : `${query[k]},${v}`;

  let isBase64Encoded = false;
  let text: string | undefined;
  if (body.length > 0) {
    const textual = TEXTUAL.test(headers["content-type"] ?? "") && !headers["content-encoding"];
    if (textual) {
      try {
        text = strictUtf8.decode(body);
      } catch {
        text = undefined;
      }
    }
    if (text === undefined) {
      text = body.toString("base64");
      isBase64Encoded = true;
    }
  }
  const now = new Date();
  const method = (req.method ?? "GET").toUpperCase();
  const event: APIGatewayProxyEventV2 = {
    version: "2.0",
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    requestContext: {
      accountId: "000000000000",
      apiId: "local",
      domainName: headers.host ?? "localhost",
      domainPrefix: (headers.host ?? "localhost").split(".")[0]!,
      http: {
        method,
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? "127.0.0.1",
        userAgent: headers["user-agent"] ?? "",
      },
      requestId: randomUUID(),
      routeKey,
      stage: "$default",
      time: clfTime(now),
      timeEpoch: now.getTime(),
    },
    isBase64Encoded,
  };
  if (cookies) event.cookies = cookies;
  if (url.search) event.queryStringParameters = query;
  if (text !== undefined) event.body = text;
  return event;
}

export interface LocalHttpApiOptions {
  host?: string;
  port?: number;
  /** Chooses the route key for a request, e.g. "POST /v1/track" or "$default". */
  routeKeyOf?: (method: string, path: string) => string;
  integration: HttpApiIntegration;
  /** Stage throttling (requests/s and burst), answered with 429 as API Gateway does; off when undefined. */
  throttle?: { rateLimit: number; burstLimit: number };
  /** Called when the integration fails (the function threw or timed out): the client gets API Gateway's 500/503. */
  onError?: (error: unknown) => void;
  /** The API's CORS configuration (API Gateway's `corsConfiguration`); without it, no CORS handling at all. */
  cors?: CorsConfiguration;
}

export interface LocalHttpApi {
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

/** A local stand-in for the API Gateway HTTP API in front of one Lambda handler. */
export async function startLocalHttpApi(options: LocalHttpApiOptions): Promise<LocalHttpApi> {
  const routeKeyOf = options.routeKeyOf ?? (() => "$default");
  const bucket = options.throttle ? new TokenBucket(options.throttle.rateLimit, options.throttle.burstLimit) : undefined;
  const cors = options.cors;
  const server = createServer((req, res) => {
    const origin = req.headers.origin;
    const reply = (result: APIGatewayProxyStructuredResultV2) => send(res, cors ? withCorsHeaders(result, cors, origin) : result);
    if (cors && isPreflight(req)) {
      req.resume();
      send(res, preflightResponse(cors, origin));
      return;
    }
    if (bucket && !bucket.take(Date.now())) {
      req.resume();
      reply({
        statusCode: 429,
        headers: { "content-type": "application/json", "retry-after": "1" },
        body: '{"message":"Too Many Requests"}',
      });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_PAYLOAD_BYTES) {
        tooLarge = true;
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (tooLarge) {
        reply({ statusCode: 413, headers: { "content-type": "application/json" }, body: '{"message":"Request Entity Too Large"}' });
        return;
      }
      const url = new URL(req.url ?? "/", "http://localhost");
      const event = toHttpApiEvent(req, Buffer.concat(chunks), routeKeyOf((req.method ?? "GET").toUpperCase(), url.pathname));
      options.integration(event).then(
        (result) => reply(result),
        (error: unknown) => {
          options.onError?.(error);
          // API Gateway answers a failed or timed-out Lambda integration with 500 / 503 and a fixed message.
          const timedOut = (error as { errorType?: string }).errorType === "Sandbox.Timedout";
          reply({
            statusCode: timedOut ? 503 : 500,
            headers: { "content-type": "application/json" },
            body: timedOut ? '{"message":"Service Unavailable"}' : '{"message":"Internal Server Error"}',
          });
        },
      );
    });
    req.on("error", () => res.destroy());
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${options.host ?? "127.0.0.1"}:${port}`,
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

/*
 * CORS as API Gateway HTTP APIs do it when the API has a CORS configuration
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-cors.html):
 * - a preflight (OPTIONS with Origin and Access-Control-Request-Method) is answered by API Gateway itself, even with
 *   no OPTIONS route: the integration is not invoked;
 * - to other requests that carry an Origin, API Gateway adds the configured CORS headers to the integration's
 *   response, and ignores (drops) any CORS headers the integration returned;
 * - without an Origin header, no CORS headers are returned.
 * An origin outside allowOrigins gets no Access-Control-Allow-Origin, so the browser refuses the response.
 */

function isPreflight(req: IncomingMessage): boolean {
  return req.method === "OPTIONS" && req.headers.origin !== undefined && req.headers["access-control-request-method"] !== undefined;
}

/** The Access-Control-Allow-Origin value for a request's origin, or undefined when the origin is not allowed. */
export function allowedOrigin(cors: CorsConfiguration, origin: string | undefined): string | undefined {
  if (origin === undefined) return undefined;
  if (cors.allowOrigins.includes("*")) return "*";
  for (const allowed of cors.allowOrigins) {
    if (allowed === origin) return origin;
    if ((allowed === "https://*" || allowed === "http://*") && origin.startsWith(allowed.slice(0, -1))) return origin;
  }
  return undefined;
}

function preflightResponse(cors: CorsConfiguration, origin: string | undefined): APIGatewayProxyStructuredResultV2 {
  const allowOrigin = allowedOrigin(cors, origin);
  if (allowOrigin === undefined) return { statusCode: 204, headers: {} };
  return {
    statusCode: 204,
    headers: {
      "access-control-allow-origin": allowOrigin,
      "access-control-allow-methods": cors.allowMethods.join(","),
      "access-control-allow-headers": cors.allowHeaders.join(","),
      "access-control-max-age": String(cors.maxAgeSeconds),
    },
  };
}

function withCorsHeaders(result: APIGatewayProxyStructuredResultV2, cors: CorsConfiguration, origin: string | undefined): APIGatewayProxyStructuredResultV2 {
  const headers: Record<string, string | number | boolean> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) {
    if (!name.toLowerCase().startsWith("access-control-")) headers[name] = value;
  }
  const allowOrigin = allowedOrigin(cors, origin);
  if (allowOrigin !== undefined) headers["access-control-allow-origin"] = allowOrigin;
  return { ...result, headers };
}

function send(res: ServerResponse, result: APIGatewayProxyStructuredResultV2) {
  const body = result.body === undefined ? Buffer.alloc(0) : Buffer.from(result.body, result.isBase64Encoded ? "base64" : "utf8");
  res.statusCode = result.statusCode ?? 200;
  for (const [name, value] of Object.entries(result.headers ?? {})) res.setHeader(name, String(value));
  if (result.cookies?.length) res.setHeader("set-cookie", result.cookies);
  res.setHeader("content-length", body.length);
  res.end(body);
}

/** API Gateway's throttle: a token bucket of `burst` tokens refilled at `rate` per second. */
class TokenBucket {
  private tokens: number;
  private last = Date.now();
  constructor(
    private readonly rate: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }
  take(now: number): boolean {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
