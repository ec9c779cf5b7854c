/**
 * App-wide defaults, registered before any resource is created, so every module (and every function SST creates
 * internally) gets them without repeating them.
 */
import { lambdaOnlyTrust } from "./iam";

export function applyDefaults() {
  $transform(sst.aws.Function, (args) => {
    // Pinned; SST's own default moves with SST releases.
    args.runtime ??= "nodejs22.x";
    // Function roles trust only Lambda (see lambdaOnlyTrust), then whatever a module adds itself.
    const own = args.transform?.role;
    args.transform = {
      ...args.transform,
      role: (roleArgs, opts, name) => {
        lambdaOnlyTrust(roleArgs);
        if (typeof own === "function") own(roleArgs, opts, name);
        else if (own) Object.assign(roleArgs, own);
        return undefined;
      },
    };
  });
}
