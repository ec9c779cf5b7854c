/** The curation job's deploy-time starter (functions/glue-starter.ts, invoked once per deploy by stacks/glue.ts). */
import { callsOf } from "../aws-calls/functions";
import { defineFunction } from "./define";
import { GLUE_JOB_NAME } from "./variables";

export const glueStarterFunction = defineFunction({
  id: "CurationStarter",
  service: "glue-starter",
  module: "functions/glue-starter",
  env: { glueJobName: GLUE_JOB_NAME },
  metrics: {},
  calls: callsOf("CurationStarter"),
});
