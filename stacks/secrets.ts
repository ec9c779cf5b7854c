/**
 * Per-stage secrets, stored by SST in the stage's secret store (`npx sst secret set <Name> <value> --stage <stage>`),
 * never in code, config files or logs.
 */
import type { Stage } from "./stage";

export function createSecrets(stage: Stage) {
  /**
   * Write keys: JSON {"<sourceId>": "<sha256 hex of the key>"}; only hashes are stored. Development stages start
   * with no keys ("{}": every write answers 401) so they deploy before anyone sets it; production stages have no
   * placeholder, so deploying fails until the secret is set.
   */
  const writeKeys = new sst.Secret("WriteKeys", stage.production ? undefined : "{}");
  return { writeKeys };
}

export type Secrets = ReturnType<typeof createSecrets>;
