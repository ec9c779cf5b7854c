/**
 * Least-privilege rules for every policy document the stacks produce (SPEC 8: no wildcard actions on data
 * resources; each function gets only the calls it makes). Pure: works on rendered policy documents.
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
      const dataActions = (statement.Action ?? []).filter((a) => DATA_SERVICES.has(serviceOf(a)));
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
