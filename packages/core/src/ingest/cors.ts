/**
 * The ingest API's CORS configuration, defined once: the stack sets the HTTP API's `corsConfiguration` from it
 * (stacks/api.ts) and the local HTTP API stand-in answers browsers with it exactly as API Gateway does
 * (packages/emulators/src/api-gateway.ts). Browser SDKs post cross-origin from the site's pages, with no credentials
 * (the write key rides in the body or in an Authorization header), so no `allowCredentials`.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-cors.html
 */
import { API_ROUTES, type ApiRoute } from "./routes";

/** An HTTP API `corsConfiguration` (the fields API Gateway takes, in its spelling). */
export interface CorsConfiguration {
  /** `*`, exact origins (`https://www.example.com`), or `https://*` / `http://*` (any origin of that scheme). */
  allowOrigins: readonly string[];
  allowMethods: readonly ApiRoute["method"][];
  /** Request headers a browser may send (lower case). */
  allowHeaders: readonly string[];
  /** Seconds a browser may cache a preflight answer. */
  maxAgeSeconds: number;
}

/**
 * Request headers clients send: `content-type` (analytics.js posts `text/plain`, which needs no preflight, but other
 * clients post `application/json`), `authorization` (HTTP Basic write key) and `content-encoding` (gzip).
 */
export const CORS_ALLOW_HEADERS = ["authorization", "content-type", "content-encoding"] as const;

/** A day: browsers cap it lower anyway (Chromium at 2 hours), and the configuration rarely changes. */
export const CORS_MAX_AGE_SECONDS = 24 * 60 * 60;

/** The API's CORS configuration for a stage's allowed origins: every method of the route table, the headers above. */
export function corsConfiguration(allowOrigins: readonly string[]): CorsConfiguration {
  return {
    allowOrigins,
    allowMethods: [...new Set(API_ROUTES.map((r) => r.method))].sort(),
    allowHeaders: CORS_ALLOW_HEADERS,
    maxAgeSeconds: CORS_MAX_AGE_SECONDS,
  };
}

/** Problems with a stage's allowed origins (empty when valid): what API Gateway accepts in `allowOrigins`. */
export function validateAllowOrigins(origins: readonly string[]): string[] {
  const problems: string[] = [];
  if (origins.length === 0) problems.push("api.cors.allowOrigins must list at least one origin (\"*\" allows every origin)");
  for (const origin of origins) {
    if (origin === "*" || origin === "https://*" || origin === "http://*") continue;
    // An origin is scheme://host[:port], nothing else: no path, no trailing slash.
    let valid = false;
    try {
      const parsed = new URL(origin);
      valid = (parsed.protocol === "https:" || parsed.protocol === "http:") && parsed.origin === origin;
    } catch {
      valid = false;
    }
    if (!valid) {
      problems.push(`api.cors.allowOrigins: ${JSON.stringify(origin)} is not an origin (scheme://host[:port]), "*", "https://*" or "http://*"`);
    }
  }
  return problems;
}
