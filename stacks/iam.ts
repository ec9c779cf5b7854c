/**
 * Least privilege, enforced while the stacks are built: every grant names exact actions (no `*`, no `service:*`, no
 * `service:Put*`) on exact resources. A wildcard fails the deploy (and `npm test`) before anything reaches AWS.
 * Functions get their data access through these grants, never through `link` (linking a bucket grants `s3:*`,
 * a stream `kinesis:*`); linking is only used for SST Secrets.
 */
import { grantsFor, type ArnPlaceholder, type ArnValues, type AwsCall, type DerivedGrant } from "@eventlake/core/aws-calls/model";

export interface Grant {
  actions: string[];
  resources: $util.Input<$util.Input<string>[]>;
}

/** `service:Action` with a literal action name (letters only). */
const EXACT_ACTION = /^[a-z0-9-]+:[A-Za-z]+$/;

export function grant(actions: string[], resources: Grant["resources"]): Grant {
  if (actions.length === 0) throw new Error("a grant needs at least one action");
  for (const action of actions) {
    if (!EXACT_ACTION.test(action)) {
      throw new Error(`IAM action "${action}" is not an exact action: wildcards are not allowed (least privilege)`);
    }
  }
  return { actions: [...actions], resources };
}

/** Objects under one prefix of a bucket: `arn:aws:s3:::<bucket>/<prefix>*`. */
export function objectsUnder(bucketArn: $util.Input<string>, prefix: string): $util.Output<string> {
  if (!prefix.endsWith("/")) throw new Error(`prefix "${prefix}" must end with "/"`);
  return $interpolate`${bucketArn}/${prefix}*`;
}

/**
 * Trust policy for function roles. SST 4.17.1's `sst.aws.Function` checks `!dev` on an Output (always false), so
 * every deployed role also trusts the account root (`arn:aws:iam::<account>:root`), which `sst dev` needs to run the
 * function locally with its role. Outside `sst dev`, only Lambda may assume a function's role. Applied to every
 * function by defaults.ts.
 */
export function lambdaOnlyTrust(args: aws.iam.RoleArgs): undefined {
  if ($dev) return undefined;
  args.assumeRolePolicy = aws.iam.assumeRolePolicyForPrincipal({ Service: "lambda.amazonaws.com" });
  return undefined;
}

/**
 * The grants that allow exactly these calls (packages/core/src/aws-calls): derived, never written by hand, so a
 * role cannot miss a call its code makes or keep one it no longer makes. `values` fills the ARN templates; every
 * derived action still passes grant()'s exact-action check.
 */
export function grantsFromCalls(
  calls: readonly AwsCall[],
  values: { [K in ArnPlaceholder]?: $util.Input<string | undefined> },
): $util.Output<DerivedGrant[]> {
  const keys = Object.keys(values) as ArnPlaceholder[];
  return $resolve(keys.map((k) => values[k])).apply((resolved) => {
    const concrete: ArnValues = {};
    keys.forEach((k, i) => {
      const v = resolved[i];
      if (typeof v === "string" && v !== "") concrete[k] = v;
    });
    return grantsFor(calls, concrete).map((g) => ({ ...grant(g.actions, g.resources), ...(g.conditions ? { conditions: g.conditions } : {}) }) as DerivedGrant);
  });
}

/** The placeholders every deployment fills: partition, region, account. */
export function accountValues() {
  return {
    partition: aws.getPartitionOutput({}).partition,
    region: aws.getRegionOutput({}).region,
    account: aws.getCallerIdentityOutput({}).accountId,
  };
}
