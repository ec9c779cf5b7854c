/**
 * What `sst dev` changes (docs/deploy.md, "sst dev"): on a personal stage the curated layer is written by the local
 * curator on the developer's machine (an SST dev command, stacks/dev-curation.ts) instead of a Glue streaming job.
 * Pure: the stacks pass `$dev` and the stage.
 */

/** The command `sst dev` runs in its curator pane (packages/local/src/cli/curate.ts), with `--stage <name>`. */
export const DEV_CURATOR_COMMAND = "npx eventlake curate";

/**
 * Whether this deployment runs curation on the developer's machine: `sst dev` on a personal stage. `sst dev` on a
 * production stage is refused: its functions would be replaced by stubs that answer only while a laptop runs.
 */
export function curationRunsLocally(stage: { name: string; production: boolean }, dev: boolean): boolean {
  if (!dev) return false;
  if (stage.production) {
    throw new Error(`\`sst dev\` on the production stage "${stage.name}" would replace its functions with stubs that only answer while \`sst dev\` runs: use a personal stage (\`npx sst dev --stage <your-name>\`)`);
  }
  return true;
}
