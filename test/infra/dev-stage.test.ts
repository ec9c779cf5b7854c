/**
 * `sst deploy --stage dev` (and any personal stage) under Pulumi mocks: development settings, everything cleaned up
 * on removal, no alarm subscription unless an address is given, WriteKeys deployable before it is set.
 */
import { stageSuite } from "./stage-suite";
import { DEPLOY_VARIABLES } from "@eventlake/core/deploy-variables";

stageSuite("dev", { env: { [DEPLOY_VARIABLES.alarmEmail]: undefined, SST_SECRET_WriteKeys: undefined } }, {});
