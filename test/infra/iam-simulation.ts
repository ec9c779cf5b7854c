/**
 * Evaluates role policies against the calls the role's code makes, with an IAM policy simulator
 * (@cloud-copilot/iam-simulate: AWS's evaluation logic for identity policies, conditions included) instead of our
 * own reading of the documents. Two directions:
 * - every call of the role's list (packages/core/src/aws-calls, glue/runner/aws_calls.json) is Allowed, and so is
 *   s3:ListBucket on the bucket (no request context) for every read of a key that may be missing: S3 answers 403
 *   instead of 404 without it (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html);
 * - every action the role is allowed is one that some call of its list needs (no grant without a call).
 */
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { simulatedRequests, type ArnValues, type AwsCall } from "@eventlake/core/aws-calls/model";
import { ACCOUNT, type PolicyDocument } from "./harness";

export interface RoleUnderTest {
  /** e.g. "Autoscaler (function)". */
  label: string;
  roleArn: string;
  policies: PolicyDocument[];
  calls: readonly AwsCall[];
  values: ArnValues;
}

export interface SimulationFinding {
  role: string;
  action: string;
  resource: string;
  context: Record<string, string>;
  result: string;
  reason: string;
}

/** One request through the simulator; "Allowed", "ImplicitlyDenied", "ExplicitlyDenied" or the simulator's error. */
export async function evaluate(roleArn: string, policies: PolicyDocument[], action: string, resource: string, context: Record<string, string>): Promise<string> {
  const response = await runSimulation(
    {
      identityPolicies: policies.map((policy, i) => ({ name: `policy-${i}`, policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: undefined,
      request: { action, principal: roleArn, resource: { accountId: ACCOUNT, resource }, contextVariables: context },
    },
    {},
  );
  if (response.resultType === "error") return `error: ${JSON.stringify(response.errors)}`;
  return response.overallResult;
}

/** The requests of the role's calls that its policies do not allow (empty: every call works). */
export async function deniedCalls(role: RoleUnderTest): Promise<SimulationFinding[]> {
  const findings: SimulationFinding[] = [];
  for (const request of simulatedRequests(role.calls, role.values)) {
    const result = await evaluate(role.roleArn, role.policies, request.action, request.resource, request.context);
    if (result !== "Allowed") findings.push({ role: role.label, action: request.action, resource: request.resource, context: request.context, result, reason: request.reason });
  }
  return findings;
}

/** Actions the role's Allow statements grant that no call of its list makes. */
export function grantsWithoutACall(role: RoleUnderTest): string[] {
  const called = new Set(role.calls.map((c) => c.action.toLowerCase()));
  // A read of a maybe-missing key needs s3:ListBucket (the rule), even when the code never lists.
  if (role.calls.some((c) => c.readsMaybeMissingKey)) called.add("s3:listbucket");
  const extra = new Set<string>();
  for (const doc of role.policies) {
    for (const st of doc.Statement) {
      if (st.Effect !== "Allow") continue;
      for (const action of st.Action ?? []) if (!called.has(action.toLowerCase())) extra.add(action);
    }
  }
  return [...extra].sort();
}

export function describeFindings(findings: SimulationFinding[]): string {
  return findings.map((f) => `${f.role}: ${f.action} on ${f.resource} ${JSON.stringify(f.context)} -> ${f.result} (needed by: ${f.reason})`).join("\n");
}

/**
 * What statements grant, one line per action and resource ("s3:GetObject arn:...", plus " if {condition}"), sorted:
 * order- and grouping-independent, for assertions on exact grants.
 */
export function grantLines(statements: PolicyDocument["Statement"]): string[] {
  const lines: string[] = [];
  for (const st of statements) {
    if (st.Effect !== "Allow") continue;
    const condition = st.Condition ? ` if ${JSON.stringify(st.Condition)}` : "";
    for (const action of st.Action ?? []) for (const resource of st.Resource ?? []) lines.push(`${action} ${resource}${condition}`);
  }
  return [...new Set(lines)].sort();
}
