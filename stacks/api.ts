/**
 * The public ingest API (API Gateway HTTP API, payload v2): one route per entry of the core's route table (long and
 * short routes, health), all integrated with the ingest function; no API-level authorizer (write keys are checked by
 * the function, Segment-style). Stage throttling with both limits set, JSON access logs to a CloudWatch log group,
 * CORS for browser SDKs from the stage's allowed origins (no credentials): API Gateway answers preflight requests
 * itself and adds the CORS headers to the function's responses.
 * Unknown paths and methods get API Gateway's own 404 without invoking the function.
 */
import { corsConfiguration } from "@eventlake/core/ingest/cors";
import { API_ROUTES as ROUTE_TABLE, apiRouteKey } from "@eventlake/core/ingest/routes";
import type { Ingest } from "./ingest";
import { logRetention, type Stage } from "./stage";

/** Every route key of the API, derived from the core's route table. */
export const API_ROUTES: readonly string[] = ROUTE_TABLE.map(apiRouteKey);

/**
 * Access log line (JSON), including why API Gateway itself answered (throttled, integration failure...).
 * Numeric context variables are unquoted so they log as numbers; the others may be "-" and stay strings.
 */
const ACCESS_LOG_FIELDS: [name: string, variable: string, numeric?: true][] = [
  ["requestId", "$context.requestId"],
  ["requestTime", "$context.requestTime"],
  ["routeKey", "$context.routeKey"],
  ["status", "$context.status", true],
  ["responseLength", "$context.responseLength", true],
  ["responseLatency", "$context.responseLatency", true],
  ["integrationStatus", "$context.integrationStatus"],
  ["integrationLatency", "$context.integration.latency"],
  ["integrationError", "$context.integrationErrorMessage"],
  ["errorType", "$context.error.responseType"],
  ["errorMessage", "$context.error.message"],
  ["sourceIp", "$context.identity.sourceIp"],
  ["userAgent", "$context.identity.userAgent"],
];
export const ACCESS_LOG_FORMAT = `{${ACCESS_LOG_FIELDS.map(([name, variable, numeric]) => (numeric ? `"${name}":${variable}` : `"${name}":"${variable}"`)).join(",")}}`;

export function createApi(stage: Stage, { ingest }: { ingest: Ingest }) {
  const { api: settings } = stage.config;
  const cors = corsConfiguration(settings.cors.allowOrigins);
  const api = new sst.aws.ApiGatewayV2("Api", {
    cors: {
      allowOrigins: [...cors.allowOrigins],
      allowMethods: [...cors.allowMethods],
      allowHeaders: [...cors.allowHeaders],
      maxAge: `${cors.maxAgeSeconds} seconds`,
    },
    accessLog: { retention: logRetention(settings.accessLogRetentionDays) },
    transform: {
      stage: (args) => {
        args.defaultRouteSettings = {
          // Both limits, always: one alone leaves the other at 0 and every request gets 429.
          throttlingRateLimit: settings.throttlingRateLimit,
          throttlingBurstLimit: settings.throttlingBurstLimit,
          detailedMetricsEnabled: settings.detailedMetrics,
        };
        args.accessLogSettings = $util.output(args.accessLogSettings).apply((current) => {
          if (!current) throw new Error("the API stage has no access log destination");
          return { destinationArn: current.destinationArn, format: ACCESS_LOG_FORMAT };
        });
      },
    },
  });

  for (const route of API_ROUTES) {
    api.route(route, ingest.arn);
  }
  return api;
}

export type Api = ReturnType<typeof createApi>;
