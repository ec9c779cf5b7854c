/**
 * The autoscaler function's configuration, passed through one environment variable (EVENTLAKE_AUTOSCALER_CONFIG)
 * by the stack on AWS and by the local scheduler locally, from the same stage settings.
 */
import { validateAutoscalerSettings, type AutoscalerSettings } from "./planner";

export const AUTOSCALER_CONFIG_ENV = "EVENTLAKE_AUTOSCALER_CONFIG";

export interface AutoscalerFunctionConfig {
  settings: AutoscalerSettings;
  bounds: { minShards: number; maxShards: number };
}

export function encodeAutoscalerConfig(config: AutoscalerFunctionConfig): string {
  return JSON.stringify(config);
}

/** Parses and validates; the error names the variable and every problem. */
export function parseAutoscalerConfig(text: string | undefined, scheduleIntervalSeconds?: number): AutoscalerFunctionConfig {
  if (!text) throw new Error(`${AUTOSCALER_CONFIG_ENV} is required`);
  let parsed: AutoscalerFunctionConfig;
  try {
    parsed = JSON.parse(text) as AutoscalerFunctionConfig;
  } catch (err) {
    throw new Error(`${AUTOSCALER_CONFIG_ENV} is not JSON: ${(err as Error).message}`);
  }
  const problems = parsed?.settings ? validateAutoscalerSettings(parsed.settings, scheduleIntervalSeconds) : ["settings are missing"];
  const b = parsed?.bounds;
  if (!b || !Number.isInteger(b.minShards) || !Number.isInteger(b.maxShards) || b.minShards < 1 || b.maxShards < b.minShards) {
    problems.push("bounds must be integers with 1 <= minShards <= maxShards");
  }
  if (problems.length > 0) throw new Error(`${AUTOSCALER_CONFIG_ENV} is invalid: ${problems.join("; ")}`);
  return parsed;
}
