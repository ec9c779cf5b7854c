/**
 * Curation under `sst dev` (docs/deploy.md, "sst dev"): on a personal stage the curated layer is written by the local
 * curator (packages/local/src/curator/), run on the developer's machine by an SST dev command against the stage's
 * real stream and lake bucket, instead of a Glue streaming job that would be billed around the clock (and would
 * need a redeploy for every edit of glue/*.py). The same curation contract drives both engines (the conformance
 * tests prove they agree), so what the dev stage's curated/ holds is what the Glue job would write.
 *
 * `sst.x.DevCommand` does nothing on `sst deploy` and runs its command in a pane of `sst dev`'s multiplexer with the
 * environment given here (.sst/platform/src/components/experimental/dev-command.ts). Consequently, on a stage
 * deployed by `sst dev` there is no Glue job, no deploy-time starter and no watchdog (nothing to keep running), and the
 * Glue job's alarms are skipped by the alarm catalog (no job to watch). A later `sst deploy` of the same stage creates
 * them.
 */
import { DEV_CURATOR_COMMAND, curationRunsLocally } from "@eventlake/core/dev-mode";
import { LAKE_BUCKET, STAGE, STREAM_NAME } from "@eventlake/core/functions/variables";
import type { Lake } from "./lake";
import type { Stage } from "./stage";
import type { Stream } from "./stream";

export { curationRunsLocally };

export function createDevCuration(stage: Stage, { stream, lake }: { stream: Stream; lake: Lake }) {
  const region = aws.getRegionOutput({}).region;
  const command = new sst.x.DevCommand("Curator", {
    dev: { command: `${DEV_CURATOR_COMMAND} --stage ${stage.name}`, autostart: true, title: "curator" },
    environment: {
      // What `eventlake curate` reads (packages/local/src/cli/curate.ts), named as the functions name them.
      [STAGE.name]: stage.name,
      [STREAM_NAME.name]: stream.name,
      [LAKE_BUCKET.name]: lake.lake.name,
      AWS_REGION: region,
    },
  });
  return { command };
}
