/**
 * Least-privilege rules for every policy document the stacks produce (ARCHITECTURE.md, "Guarantees": no wildcard
 * actions on data resources; each function gets only the calls it makes). Pure: works on rendered policy documents.
 */
import type { PolicyDocument, PolicyStatement } from "./harness";

export interface Violation {
  owner: string;
  kind: string;
  reason: string;
  statement: PolicyStatement;
}

/** Services whose resources hold or move event data (or the keys and secrets protecting it). */
const DATA_SERVICES = new Set(["kinesis", "firehose", "s3", "glue", "athena", "sns", "sqs", "kms", "dynamodb", "secretsmanager", "ssm"]);

const serviceOf = (action: string) => action.split(":")[0]?.toLowerCase() ?? "";

/**
 * Actions of data services that have no resource type: AWS only accepts them on "*"
 * (kinesis:DescribeLimits: the account's shard quota and open shard count, for the autoscaler;
 * kinesis:UpdateShardCount: the Service Authorization Reference lists no resource type for it, so a grant on the
 * stream's ARN is refused, https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonkinesisdatastreams.html;
 * the IAM simulation in iam-simulation.ts checks both against AWS's action data).
 * Listed by exact name; any other action of a data service on "*" is still a violation.
 * (cloudwatch:GetMetricData, also "*"-only, needs no entry: CloudWatch is not a data service here, since metrics are
 * not event data. It reads metrics of any namespace, which is why no data service may be granted like it.)
 */
export const ACCOUNT_LEVEL_ACTIONS: ReadonlySet<string> = new Set(["kinesis:DescribeLimits", "kinesis:UpdateShardCount"]);

/** Allow statements that grant a wildcard action (`*`, `s3:*`, `s3:Put*`...), `NotAction`, or data actions on `*`. */
export function leastPrivilegeViolations(policies: { owner: string; kind: string; document: PolicyDocument }[]): Violation[] {
  const violations: Violation[] = [];
  for (const { owner, kind, document } of policies) {
    for (const statement of document.Statement) {
      if (statement.Effect !== "Allow") continue;
      const add = (reason: string) => violations.push({ owner, kind, reason, statement });
      if (statement.NotAction) add(`Allow with NotAction ${JSON.stringify(statement.NotAction)}`);
      for (const action of statement.Action ?? []) {
        if (action.includes("*") || action.includes("?")) add(`wildcard action "${action}"`);
      }
      const dataActions = (statement.Action ?? []).filter((a) => DATA_SERVICES.has(serviceOf(a)) && !ACCOUNT_LEVEL_ACTIONS.has(a));
      // Identity policies name their resources; a data action on "*" (or NotResource) reaches every stream/bucket.
      if (dataActions.length > 0 && !statement.Principal) {
        if (statement.NotResource) add(`data actions ${dataActions.join(", ")} with NotResource`);
        if ((statement.Resource ?? ["*"]).some((r) => r === "*" || /^arn:[^:]*:[^:]*:[^:]*:[^:]*:\*$/.test(r))) {
          add(`data actions ${dataActions.join(", ")} on every resource`);
        }
      }
    }
  }
  return violations;
}

export function describeViolations(violations: Violation[]): string {
  return violations.map((v) => `${v.owner} (${v.kind}): ${v.reason}`).join("\n");
}
