import type { LocalComponent } from "./pipeline-context";
import { rawArchiveComponent } from "./firehose";
import { curatorComponent } from "./curator";
import { localAlarmsComponent } from "./alarms";
import { LOCAL_CURATION_JOB } from "./local-config";
import { schedulerComponent, supervisedJob } from "./scheduler";

/**
 * The parts of the local pipeline after the ingest path, in data-flow order (raw archive, curated layer,
 * scheduler, alarms). A new stage of the pipeline registers its local component here.
 */
export const LOCAL_COMPONENTS: readonly LocalComponent[] = [
  rawArchiveComponent(),
  // The curator plays the Glue streaming job: a local job the watchdog checks (alive) and restarts.
  supervisedJob("curator", LOCAL_CURATION_JOB, (ctx) => curatorComponent().start(ctx)),
  // Scheduled functions (autoscaler, watchdog, compactor) on the stage's schedules, with the local alarm topic.
  schedulerComponent(),
  // Last: it watches the parts before it (their functions, stand-ins and metrics).
  localAlarmsComponent(),
];
