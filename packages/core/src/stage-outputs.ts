/**
 * A deployed stage's resources, from SST's outputs: what sst.config.ts's `run()` returns, which the SST CLI prints and
 * writes to `.sst/outputs.json` after every successful deploy (one file for the last deploy, whatever its stage; see
 * the `run` docs in .sst/platform/config.d.ts). The CLI's `--stage` commands (smoke, status, verify, replay) resolve
 * everything from here, so the outputs carry the stage and region they belong to.
 *
 * Pure: the caller reads the file. Every refusal is one line saying what to do.
 */

/** The outputs the CLI reads, by key (sst.config.ts returns them; a test checks it returns each). */
export const CLI_STAGE_OUTPUTS = ["stage", "region", "apiUrl", "streamName", "lakeBucket", "assetsBucket", "curationJob", "alarmNames"] as const;

export interface StageResources {
  stage: string;
  region: string;
  apiUrl: string;
  streamName: string;
  lakeBucket: string;
  assetsBucket: string;
  /** The Glue curation job; undefined on a personal stage deployed by `sst dev` (the curator runs locally there). */
  curationJob?: string;
  alarmNames: string[];
}

export type StageResolution = { ok: true; resources: StageResources } | { ok: false; message: string };

export const DEFAULT_OUTPUTS_FILE = ".sst/outputs.json";

const deployHint = (stage: string) => `deploy it with \`npx sst deploy --stage ${stage}\` (SST then writes ${DEFAULT_OUTPUTS_FILE}), or pass --outputs <file> holding that stage's outputs`;

/**
 * The stage's resources from the outputs file's text (undefined: the file does not exist). `source` names the file in
 * messages.
 */
export function resolveStageOutputs(stage: string, text: string | undefined, source: string = DEFAULT_OUTPUTS_FILE): StageResolution {
  if (text === undefined) return { ok: false, message: `no outputs for stage "${stage}": ${source} does not exist; ${deployHint(stage)}` };
  let outputs: unknown;
  try {
    outputs = JSON.parse(text);
  } catch {
    return { ok: false, message: `${source} is not JSON; ${deployHint(stage)}` };
  }
  if (typeof outputs !== "object" || outputs === null || Array.isArray(outputs)) return { ok: false, message: `${source} does not hold SST outputs; ${deployHint(stage)}` };
  const o = outputs as Record<string, unknown>;
  if (typeof o.stage !== "string") return { ok: false, message: `${source} does not say which stage it describes (deployed by an older eventlake); ${deployHint(stage)}` };
  if (o.stage !== stage) return { ok: false, message: `${source} holds the outputs of stage "${o.stage}", not "${stage}" (SST keeps only the last deploy's); ${deployHint(stage)}` };
  const text_ = (key: string) => (typeof o[key] === "string" && o[key] !== "" ? (o[key] as string) : undefined);
  const required = ["region", "apiUrl", "streamName", "lakeBucket", "assetsBucket"] as const;
  const missing = required.filter((k) => text_(k) === undefined);
  if (!Array.isArray(o.alarmNames) || o.alarmNames.some((n) => typeof n !== "string")) missing.push("alarmNames" as never);
  if (missing.length > 0) return { ok: false, message: `${source} lacks ${missing.join(", ")} for stage "${stage}"; ${deployHint(stage)}` };
  const curationJob = text_("curationJob");
  return {
    ok: true,
    resources: {
      stage,
      region: text_("region")!,
      apiUrl: text_("apiUrl")!,
      streamName: text_("streamName")!,
      lakeBucket: text_("lakeBucket")!,
      assetsBucket: text_("assetsBucket")!,
      ...(curationJob ? { curationJob } : {}),
      alarmNames: o.alarmNames as string[],
    },
  };
}

/** Where the CLI's AWS calls go: `--region`, else the stage's own region from its outputs. */
export function stageRegion(resources: StageResources, override?: string): string {
  return override?.trim() || resources.region;
}
