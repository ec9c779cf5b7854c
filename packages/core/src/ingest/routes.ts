/**
 * The ingest API's route table, defined once: the API Gateway routes of the stack (stacks/api.ts), the local HTTP API
 * stand-in (packages/emulators/src/api-gateway.ts) and the ingest service's routing (service.ts) all derive from it.
 *
 * Two spellings reach the same endpoints:
 * - the long routes of Segment's HTTP Tracking API (`/v1/track` ... `/v1/batch`), which server libraries
 *   (@segment/analytics-node, RudderStack's SDKs) post to;
 * - the short routes Segment's client SDKs build as `${apiHost}/${type[0]}`: analytics.js / @segment/analytics-next
 *   posts single events to `/v1/t`, `/v1/i`, `/v1/p`, `/v1/s`, `/v1/g`, `/v1/a` and its batching strategy to `/v1/b`
 *   (segmentio/analytics-next, packages/browser/src/plugins/segmentio/index.ts); the mobile SDKs upload batches to
 *   `/v1/b` (segmentio/analytics-swift, Sources/Segment/Utilities/Networking/HTTPClient.swift).
 * A short route has exactly the semantics of its long form (the same endpoint), so a malformed body gets the same
 * typed error either way.
 */

/** The write endpoints, by their long name (the last path segment of the long route). */
export const INGEST_ROUTES = ["track", "identify", "page", "screen", "group", "alias", "batch", "events"] as const;
export type IngestRoute = (typeof INGEST_ROUTES)[number];

export interface ApiRoute {
  method: "GET" | "POST";
  /** Exact path (API Gateway route keys are exact; no trailing slash). */
  path: string;
  /** What the route does: an ingest endpoint or the health check. */
  endpoint: IngestRoute | "health";
  /** Browsers call it cross-origin: the API's CORS configuration must allow its method. */
  browser: boolean;
}

/** Short route letter -> endpoint, as Segment's client SDKs spell them. */
export const SHORT_ROUTES = { t: "track", i: "identify", p: "page", s: "screen", g: "group", a: "alias", b: "batch" } as const satisfies Record<
  string,
  IngestRoute
>;

/** Every route of the API, in a fixed order. */
export const API_ROUTES: readonly ApiRoute[] = [
  ...INGEST_ROUTES.map((endpoint): ApiRoute => ({ method: "POST", path: `/v1/${endpoint}`, endpoint, browser: true })),
  ...Object.entries(SHORT_ROUTES).map(([letter, endpoint]): ApiRoute => ({ method: "POST", path: `/v1/${letter}`, endpoint, browser: true })),
  { method: "GET", path: "/health", endpoint: "health", browser: false },
];

/** API Gateway route keys (`POST /v1/track`), one per route. */
export function apiRouteKey(route: Pick<ApiRoute, "method" | "path">): string {
  return `${route.method} ${route.path}`;
}

/** Routes by path (one method per path). */
const BY_PATH: ReadonlyMap<string, ApiRoute> = new Map(API_ROUTES.map((r) => [r.path, r]));

/** The route serving a path (a trailing slash is ignored), whatever the method; undefined for unknown paths. */
export function routeForPath(path: string): ApiRoute | undefined {
  const normalized = path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
  return BY_PATH.get(normalized);
}
