import { describe, expect, it } from "vitest";
import { corsConfiguration, validateAllowOrigins } from "../src/ingest/cors";
import { API_ROUTES, apiRouteKey, routeForPath } from "../src/ingest/routes";
import { STAGES, validateStageConfig } from "../src/stage-config";

describe("route table", () => {
  it("has the long routes, Segment's short client routes and the health check, each path once", () => {
    expect(API_ROUTES.map(apiRouteKey)).toEqual([
      "POST /v1/track", "POST /v1/identify", "POST /v1/page", "POST /v1/screen", "POST /v1/group", "POST /v1/alias", "POST /v1/batch", "POST /v1/events",
      "POST /v1/t", "POST /v1/i", "POST /v1/p", "POST /v1/s", "POST /v1/g", "POST /v1/a", "POST /v1/b",
      "GET /health",
    ]);
    expect(new Set(API_ROUTES.map((r) => r.path)).size).toBe(API_ROUTES.length);
    expect(routeForPath("/v1/b/")?.endpoint).toBe("batch");
    expect(routeForPath("/v1/B")).toBeUndefined();
  });
});

describe("CORS configuration", () => {
  it("allows every method of the route table and the headers clients send", () => {
    expect(corsConfiguration(["*"])).toEqual({
      allowOrigins: ["*"],
      allowMethods: ["GET", "POST"],
      allowHeaders: ["authorization", "content-type", "content-encoding"],
      maxAgeSeconds: 86_400,
    });
  });

  it("accepts what API Gateway accepts as allowed origins and refuses the rest", () => {
    expect(validateAllowOrigins(["*"])).toEqual([]);
    expect(validateAllowOrigins(["https://www.example.com", "http://localhost:3000", "https://*"])).toEqual([]);
    for (const bad of [[], ["www.example.com"], ["https://www.example.com/"], ["https://example.com/shop"], ["ftp://example.com"]]) {
      expect(validateAllowOrigins(bad), JSON.stringify(bad)).not.toEqual([]);
    }
    const broken = { ...STAGES.prod, api: { ...STAGES.prod.api, cors: { allowOrigins: ["example.com"] } } };
    expect(validateStageConfig(broken).join("\n")).toMatch(/allowOrigins/);
    for (const stage of Object.values(STAGES)) expect(validateStageConfig(stage)).toEqual([]);
  });
});
