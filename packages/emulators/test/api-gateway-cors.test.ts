/**
 * The local HTTP API answers browsers as API Gateway HTTP APIs do when the API has a CORS configuration
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-cors.html): preflight requests are answered
 * by the gateway itself (the integration is not invoked), the configured CORS headers are added to the integration's
 * responses when the request has an Origin, and CORS headers the integration returns are ignored.
 */
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { corsConfiguration } from "@eventlake/core/ingest/cors";
import { afterEach, describe, expect, it } from "vitest";
import { startLocalHttpApi, type LocalHttpApi } from "../src/api-gateway";

let api: LocalHttpApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

/** An integration that says yes to everything and returns its own (wrong) CORS headers, which must not leak. */
async function start(allowOrigins: string[]) {
  const invoked: APIGatewayProxyEventV2[] = [];
  api = await startLocalHttpApi({
    cors: corsConfiguration(allowOrigins),
    integration: async (event) => {
      invoked.push(event);
      return {
        statusCode: 200,
        headers: { "content-type": "application/json", "access-control-allow-origin": "https://evil.example", "Access-Control-Allow-Credentials": "true" },
        body: '{"ok":true}',
      };
    },
  });
  return invoked;
}

const corsHeaders = (response: Response) => Object.fromEntries([...response.headers].filter(([name]) => name.startsWith("access-control-")));

describe("local HTTP API: CORS as API Gateway", () => {
  it("answers a preflight itself with the configured headers, without invoking the function", async () => {
    const invoked = await start(["*"]);
    const response = await fetch(`${api!.url}/v1/t`, {
      method: "OPTIONS",
      headers: { origin: "http://shop.example:3000", "access-control-request-method": "POST", "access-control-request-headers": "content-type,authorization" },
    });
    expect(response.status).toBe(204);
    expect(await response.text()).toBe("");
    expect(corsHeaders(response)).toEqual({
      "access-control-allow-origin": "*",
      "access-control-allow-methods": "GET,POST",
      "access-control-allow-headers": "authorization,content-type,content-encoding",
      "access-control-max-age": "86400",
    });
    expect(invoked).toEqual([]);
  });

  it("adds Access-Control-Allow-Origin to the function's answers and drops the function's own CORS headers", async () => {
    const invoked = await start(["*"]);
    const response = await fetch(`${api!.url}/v1/t`, { method: "POST", headers: { origin: "http://shop.example:3000", "content-type": "text/plain" }, body: "{}" });
    expect(response.status).toBe(200);
    expect(corsHeaders(response)).toEqual({ "access-control-allow-origin": "*" });
    expect(invoked).toHaveLength(1);
    // No Origin (not a browser's cross-origin request): no CORS headers at all.
    const plain = await fetch(`${api!.url}/v1/t`, { method: "POST", body: "{}" });
    expect(corsHeaders(plain)).toEqual({});
  });

  it("with listed origins: echoes an allowed origin (exact or https://*), and gives others no CORS headers", async () => {
    await start(["https://www.example.com", "http://*"]);
    const preflight = (origin: string) =>
      fetch(`${api!.url}/v1/b`, { method: "OPTIONS", headers: { origin, "access-control-request-method": "POST" } });
    expect(corsHeaders(await preflight("https://www.example.com"))["access-control-allow-origin"]).toBe("https://www.example.com");
    expect(corsHeaders(await preflight("http://localhost:8080"))["access-control-allow-origin"]).toBe("http://localhost:8080");
    const refused = await preflight("https://evil.example");
    expect(refused.status).toBe(204);
    expect(corsHeaders(refused)).toEqual({});
    const post = await fetch(`${api!.url}/v1/b`, { method: "POST", headers: { origin: "https://evil.example" }, body: "{}" });
    expect(corsHeaders(post)).toEqual({});
  });

  it("passes an OPTIONS request that is not a preflight to the function (no Access-Control-Request-Method)", async () => {
    const invoked = await start(["*"]);
    const response = await fetch(`${api!.url}/v1/t`, { method: "OPTIONS", headers: { origin: "http://shop.example" } });
    expect(invoked.map((e) => e.requestContext.http.method)).toEqual(["OPTIONS"]);
    expect(corsHeaders(response)).toEqual({ "access-control-allow-origin": "*" });
  });
});
