/**
 * Runs the real SST app (sst.config.ts + stacks/) for one stage under Pulumi mocks, offline: no AWS, no Pulumi CLI,
 * no provider plugin. It does what the SST CLI does around a deploy: sets the globals the CLI injects, answers the
 * two CLI calls `sst.aws.Function` makes (a local JSON-RPC stub at SST_SERVER), answers the AWS data sources the
 * components read, and runs the program through SST's own `run()` (so removal/retain transformations apply).
 * Every custom resource is recorded with its inputs and final resource options.
 *
 * Needs `.sst/platform` (`npm run infra:install`). Pulumi's state is process-global: one runStage() per test file.
 * Depends on SST internals (component sources, the RPC names): sst is pinned; re-check this file on upgrades.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const PLATFORM = join(ROOT, ".sst", "platform");
export const ACCOUNT = "123456789012";
export const REGION = "us-east-1";

export type Inputs = Record<string, unknown>;

export interface RecordedResource {
  type: string;
  name: string;
  inputs: Inputs;
  /** Outputs the mock returned (inputs plus computed ids/ARNs). */
  state: Inputs;
  /** Resource options after every transformation (SST's retain rules included). */
  opts: { retainOnDelete?: boolean; ignoreChanges?: string[]; protect?: boolean; parent?: string };
}

export interface BuildRequest {
  functionID: string;
  handler: string;
  runtime?: string;
  copyFiles: { from: string; to: string; isDir: boolean }[];
  links: Record<string, unknown>;
  properties: Record<string, unknown>;
}

export interface AppSettings {
  name: string;
  home: string;
  protect?: boolean;
  removal?: "remove" | "retain" | "retain-all";
  providers?: Record<string, unknown>;
}

export interface Scenario {
  stage: string;
  app: AppSettings;
  resources: RecordedResource[];
  outputs: Record<string, unknown>;
  builds: BuildRequest[];
  /** SST's own components (type "sst:..."), e.g. a dev command, with their arguments resolved. */
  components: { type: string; name: string; args: Record<string, unknown> }[];
  /** Resources of one type, e.g. "aws:s3/bucket:Bucket". */
  ofType(type: string): RecordedResource[];
  /** The single resource of a type whose logical name starts with `namePrefix`; fails otherwise. */
  one(type: string, namePrefix?: string): RecordedResource;
}

/** A policy document rendered the way AWS stores it. */
export interface PolicyStatement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Action?: string[];
  NotAction?: string[];
  Resource?: string[];
  NotResource?: string[];
  Principal?: "*" | Record<string, string[]>;
  Condition?: Record<string, Record<string, string[]>>;
}
export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

const arrayOf = (value: unknown): string[] | undefined =>
  value === undefined || value === null ? undefined : (Array.isArray(value) ? value : [value]).map(String);

/** Renders aws:iam/getPolicyDocument inputs (camelCase statements) as the JSON document AWS would receive. */
export function renderPolicyDocument(inputs: Inputs): PolicyDocument {
  const statements = (inputs.statements as Inputs[] | undefined) ?? [];
  return {
    Version: "2012-10-17",
    Statement: statements.map((s) => {
      const out: PolicyStatement = { Effect: s.effect === "Deny" || s.effect === "deny" ? "Deny" : "Allow" };
      if (typeof s.sid === "string") out.Sid = s.sid;
      const action = arrayOf(s.actions);
      if (action) out.Action = action;
      const notAction = arrayOf(s.notActions);
      if (notAction) out.NotAction = notAction;
      const resource = arrayOf(s.resources);
      if (resource) out.Resource = resource;
      const notResource = arrayOf(s.notResources);
      if (notResource) out.NotResource = notResource;
      const principals = s.principals as { type: string; identifiers: unknown }[] | undefined;
      if (principals && principals.length > 0) {
        if (principals.some((p) => p.type === "*")) out.Principal = "*";
        else out.Principal = Object.fromEntries(principals.map((p) => [p.type, arrayOf(p.identifiers) ?? []]));
      }
      const conditions = s.conditions as { test: string; variable: string; values: unknown }[] | undefined;
      if (conditions && conditions.length > 0) {
        const condition: Record<string, Record<string, string[]>> = {};
        for (const c of conditions) (condition[c.test] ??= {})[c.variable] = arrayOf(c.values) ?? [];
        out.Condition = condition;
      }
      return out;
    }),
  };
}

const PULUMI_SIG_KEY = "4dabf18193072939515e22adb298388d";

/** Strips Pulumi's secret wrappers ({<sig>: <secret sig>, value}) so assertions see plain values. */
export function unwrapSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (value && typeof value === "object") {
    const record = value as Record<string, unknown>;
    if (PULUMI_SIG_KEY in record && "value" in record) return unwrapSecrets(record.value);
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, unwrapSecrets(v)]));
  }
  return value;
}

/** Physical names and ARNs the mock hands back, so dependent inputs look like the real thing. */
function mockState(type: string, name: string, inputs: Inputs, id: string): Inputs {
  const physical = (field: string) => (typeof inputs[field] === "string" ? (inputs[field] as string) : name);
  const service = type.split(":")[1]?.split("/")[0] ?? "unknown";
  switch (type) {
    case "aws:s3/bucket:Bucket": {
      const bucket = physical("bucket");
      return { bucket, arn: `arn:aws:s3:::${bucket}`, bucketDomainName: `${bucket}.s3.amazonaws.com` };
    }
    case "aws:kinesis/stream:Stream": {
      const n = physical("name");
      return { name: n, arn: `arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/${n}` };
    }
    case "aws:lambda/function:Function": {
      const n = physical("name");
      const arn = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${n}`;
      const invoke = (a: string) => `arn:aws:apigateway:${REGION}:lambda:path/2015-03-31/functions/${a}/invocations`;
      return {
        name: n,
        arn,
        qualifiedArn: `${arn}:$LATEST`,
        invokeArn: invoke(arn),
        qualifiedInvokeArn: invoke(`${arn}:$LATEST`),
        responseStreamingInvokeArn: `arn:aws:apigateway:${REGION}:lambda:path/2021-11-15/functions/${arn}/response-streaming-invocations`,
        lastModified: "2020-01-01T00:00:00.000+0000",
      };
    }
    case "aws:apigatewayv2/api:Api":
      return {
        apiEndpoint: `https://${id}.execute-api.${REGION}.amazonaws.com`,
        executionArn: `arn:aws:execute-api:${REGION}:${ACCOUNT}:${id}`,
        arn: `arn:aws:apigateway:${REGION}::/apis/${id}`,
      };
    case "aws:sns/topic:Topic": {
      const n = physical("name");
      return { name: n, arn: `arn:aws:sns:${REGION}:${ACCOUNT}:${n}` };
    }
    case "aws:iam/role:Role": {
      const n = physical("name");
      return { name: n, arn: `arn:aws:iam::${ACCOUNT}:role/${n}` };
    }
    case "aws:cloudwatch/logGroup:LogGroup": {
      const n = physical("name");
      return { name: n, arn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${n}` };
    }
    case "random:index/randomBytes:RandomBytes":
      return { base64: Buffer.alloc(32, 7).toString("base64"), hex: "07".repeat(32) };
    default:
      return { arn: `arn:aws:${service}:${REGION}:${ACCOUNT}:${id}` };
  }
}

function mockCall(token: string, inputs: Inputs): Inputs {
  switch (token) {
    case "aws:index/getRegion:getRegion":
      return { id: REGION, region: REGION, name: REGION, description: "US East (N. Virginia)", endpoint: `ec2.${REGION}.amazonaws.com` };
    case "aws:index/getPartition:getPartition":
      return { id: "aws", partition: "aws", dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws" };
    case "aws:index/getCallerIdentity:getCallerIdentity":
      return { id: ACCOUNT, accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/test`, userId: "AIDATEST" };
    case "aws:iam/getPolicyDocument:getPolicyDocument": {
      const json = JSON.stringify(renderPolicyDocument(inputs));
      return { id: "policy", json, minifiedJson: json, statements: inputs.statements ?? [] };
    }
    default:
      // A new data source in the stacks must be mocked here on purpose, not silently answered.
      throw new Error(`unmocked Pulumi call ${token}`);
  }
}

/** The CLI's JSON-RPC endpoint, reduced to what the components call during a deploy. */
async function startRpcStub(workDir: string, builds: BuildRequest[]): Promise<Server> {
  const handle = (method: string, args: Inputs): unknown => {
    switch (method) {
      case "Provider.Aws.Bootstrap":
        return { asset: "sst-asset-mock", assetEcrRegistryId: ACCOUNT, assetEcrUrl: "", state: "sst-state-mock", appsyncHttp: "", appsyncRealtime: "" };
      // `sst dev` only: the live proxy's AppSync endpoints and the registration of each function as a dev target.
      case "Provider.Aws.Appsync":
        return { http: "appsync-http.mock", realtime: "appsync-realtime.mock" };
      case "Runtime.AddTarget":
        return {};
      case "Runtime.Build": {
        builds.push(args as unknown as BuildRequest);
        const handler = String(args.handler);
        const out = join(workDir, "bundles", String(args.functionID));
        const file = join(out, `${handler.slice(0, handler.lastIndexOf("."))}.mjs`);
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, "export const handler = async () => ({ statusCode: 200 });\n");
        return { handler, out, errors: [], sourcemaps: [] };
      }
      default:
        return undefined;
    }
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { method: string; params: Inputs[] };
      const result = handle(body.method, body.params[0] ?? {});
      res.setHeader("content-type", "application/json");
      res.end(
        JSON.stringify(
          result === undefined ? { error: `rpc: can't find method ${body.method}`, result: null } : { error: null, result },
        ),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}

interface PulumiModule {
  runtime: {
    setMocks(mocks: unknown, project: string, stack: string, preview: boolean): Promise<void>;
    runInPulumiStack(init: () => Promise<unknown>): Promise<unknown>;
    registerStackTransformation(t: (args: { type: string; name: string; props: Inputs; opts: Inputs }) => undefined): void;
    disconnect(): Promise<void>;
  };
  output: unknown;
  interpolate: unknown;
  concat: unknown;
  all: unknown;
  jsonParse: unknown;
  jsonStringify: unknown;
}

interface SstConfig {
  app(input: { stage: string }): Promise<AppSettings> | AppSettings;
  run(): Promise<Record<string, unknown> | undefined>;
}

const importFile = (path: string): Promise<unknown> => import(/* @vite-ignore */ path);

/** Resolves Pulumi outputs (and nested plain values) to plain values. */
async function resolveDeep(value: unknown): Promise<unknown> {
  if (value && typeof value === "object") {
    const promise = (value as { promise?: () => Promise<unknown> }).promise;
    if (typeof promise === "function" && (value as { __pulumiOutput?: boolean }).__pulumiOutput) {
      return resolveDeep(await promise.call(value));
    }
    if (Array.isArray(value)) return Promise.all(value.map(resolveDeep));
    const entries = await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await resolveDeep(v)] as const));
    return Object.fromEntries(entries);
  }
  return value;
}

export interface RunStageOptions {
  /** Deploy-time environment (SST_SECRET_<Name>, EVENTLAKE_ALARM_EMAIL...), restored afterwards. */
  env?: Record<string, string | undefined>;
  /** Run as `sst dev` does (`$dev` true): functions become live-proxy stubs, dev commands are registered. */
  dev?: boolean;
}

export async function runStage(stage: string, options: RunStageOptions = {}): Promise<Scenario> {
  if (!existsSync(join(PLATFORM, "src", "components", "index.ts"))) {
    throw new Error(".sst/platform is missing: run `npm run infra:install` first (npm test does it)");
  }
  const savedEnv = { ...process.env };
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  const workDir = mkdtempSync(join(tmpdir(), "eventlake-infra-"));
  const resources: RecordedResource[] = [];
  const builds: BuildRequest[] = [];
  const components: { type: string; name: string; args: Inputs }[] = [];
  const failures: unknown[] = [];
  const onRejection = (reason: unknown) => failures.push(reason);
  process.on("unhandledRejection", onRejection);
  const server = await startRpcStub(workDir, builds);
  try {
    const address = server.address();
    if (!address || typeof address === "string") throw new Error("rpc stub has no port");
    process.env.SST_SERVER = `http://127.0.0.1:${address.port}`;

    const pulumi = (await importFile(join(PLATFORM, "node_modules", "@pulumi", "pulumi", "index.js"))) as PulumiModule;
    const awsModule = await importFile(join(PLATFORM, "node_modules", "@pulumi", "aws", "index.js"));
    const g = globalThis as Record<string, unknown>;
    g.$config = (config: unknown) => config;
    const config = ((await importFile(join(ROOT, "sst.config.ts"))) as { default: SstConfig }).default;
    const app = await config.app({ stage });

    const pending = new Map<string, RecordedResource>();
    await pulumi.runtime.setMocks(
      {
        newResource(raw: { type: string; name: string; inputs: Inputs; id?: string }) {
          const args = { ...raw, inputs: unwrapSecrets(raw.inputs) as Inputs };
          const id = args.id || `${args.name}-id`;
          const state = { ...args.inputs, ...mockState(args.type, args.name, args.inputs, id) };
          const recorded = pending.get(`${args.type}::${args.name}`);
          if (recorded) {
            recorded.inputs = args.inputs;
            recorded.state = state;
          } else {
            resources.push({ type: args.type, name: args.name, inputs: args.inputs, state, opts: {} });
          }
          return { id, state };
        },
        call(args: { token: string; inputs: Inputs }) {
          return mockCall(args.token, unwrapSecrets(args.inputs) as Inputs);
        },
      },
      app.name,
      stage,
      false,
    );

    // What the CLI injects before evaluating `run()`.
    Object.assign(g, {
      $app: { name: app.name, stage, removal: app.removal ?? "retain", protect: app.protect ?? false, providers: app.providers ?? {} },
      $dev: options.dev ?? false,
      $cli: {
        command: options.dev ? "dev" : "deploy",
        rpc: process.env.SST_SERVER,
        paths: { home: join(workDir, "home"), root: ROOT, work: join(workDir, "work"), platform: PLATFORM },
        state: { version: {} },
      },
      $util: pulumi,
      $output: pulumi.output,
      $interpolate: pulumi.interpolate,
      $concat: pulumi.concat,
      $resolve: pulumi.all,
      $jsonParse: pulumi.jsonParse,
      $jsonStringify: pulumi.jsonStringify,
      aws: awsModule,
    });
    const component = (await importFile(join(PLATFORM, "src", "components", "component.ts"))) as Inputs;
    g.$transform = component.$transform;
    g.$asset = component.$asset;
    g.sst = await importFile(join(PLATFORM, "src", "components", "index.ts"));
    // SST components receive their arguments before Pulumi sees them: record dev commands through SST's own hook.
    const devCommand = (g.sst as { x: { DevCommand: new (...args: never[]) => unknown } }).x.DevCommand;
    (component.$transform as (c: unknown, cb: (args: Inputs, opts: unknown, name: string) => void) => void)(devCommand, (args, _opts, name) => {
      components.push({ type: "sst:sst:DevCommand", name, args });
    });
    const { run } = (await importFile(join(PLATFORM, "src", "auto", "run.ts"))) as {
      run(program: () => Promise<unknown>): Promise<Record<string, unknown>>;
    };

    const outputs = (await pulumi.runtime.runInPulumiStack(() =>
      run(async () => {
        // Registered after SST's own stack transformations, so it sees the final options of every resource.
        pulumi.runtime.registerStackTransformation((args) => {
          const opts = args.opts as { retainOnDelete?: boolean; ignoreChanges?: string[]; protect?: boolean; parent?: { __name?: string } };
          const entry: RecordedResource = {
            type: args.type,
            name: args.name,
            inputs: {},
            state: {},
            opts: {
              retainOnDelete: opts.retainOnDelete,
              ignoreChanges: opts.ignoreChanges,
              protect: opts.protect,
              parent: opts.parent?.__name,
            },
          };
          if (!args.type.startsWith("sst:") && !args.type.startsWith("pulumi:")) {
            pending.set(`${args.type}::${args.name}`, entry);
            resources.push(entry);
          }
          return undefined;
        });
        return config.run();
      }),
    )) as Record<string, unknown>;
    const resolved = (await resolveDeep(outputs)) as Record<string, unknown>;
    const resolvedComponents = await Promise.all(components.map(async (c) => ({ ...c, args: (await resolveDeep(c.args)) as Record<string, unknown> })));
    await pulumi.runtime.disconnect();
    if (failures.length > 0) throw failures[0];

    const live = resources.filter(
      (r) =>
        !r.type.startsWith("pulumi:") &&
        !r.type.startsWith("sst:") &&
        (Object.keys(r.state).length > 0 || Object.keys(r.inputs).length > 0),
    );
    const scenario: Scenario = {
      stage,
      app,
      resources: live,
      outputs: resolved,
      builds,
      components: resolvedComponents,
      ofType: (type) => live.filter((r) => r.type === type),
      one(type, namePrefix = "") {
        const found = live.filter((r) => r.type === type && r.name.startsWith(namePrefix));
        if (found.length !== 1) {
          throw new Error(`expected one ${type} named ${namePrefix}*, found ${found.length}: ${found.map((r) => r.name).join(", ")}`);
        }
        return found[0]!;
      },
    };
    return scenario;
  } finally {
    process.off("unhandledRejection", onRejection);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(workDir, { recursive: true, force: true });
    for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
    Object.assign(process.env, savedEnv);
  }
}

/**
 * Parses a policy input (JSON string or object) into a document with list-valued Action/Resource/Principal
 * entries (AWS accepts a single string or a list; the checks compare lists).
 */
export function policyOf(value: unknown): PolicyDocument {
  const raw = (typeof value === "string" ? JSON.parse(value) : value) as { Version?: string; Statement?: unknown };
  if (!raw || typeof raw !== "object") throw new Error(`not a policy document: ${JSON.stringify(value)}`);
  const statements = (Array.isArray(raw.Statement) ? raw.Statement : [raw.Statement]) as Record<string, unknown>[];
  return {
    Version: "2012-10-17",
    Statement: statements.map((st) => {
      const out = { ...st } as unknown as PolicyStatement;
      for (const key of ["Action", "NotAction", "Resource", "NotResource"] as const) {
        if (st[key] !== undefined) out[key] = arrayOf(st[key]);
      }
      if (st.Principal !== undefined && st.Principal !== "*") {
        out.Principal = Object.fromEntries(
          Object.entries(st.Principal as Record<string, unknown>).map(([k, v]) => [k, arrayOf(v) ?? []]),
        );
      }
      if (st.Condition !== undefined) {
        out.Condition = Object.fromEntries(
          Object.entries(st.Condition as Record<string, Record<string, unknown>>).map(([test, vars]) => [
            test,
            Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, arrayOf(v) ?? []])),
          ]),
        );
      }
      return out;
    }),
  };
}

/** Every IAM-style policy document in the scenario, labelled by the resource that carries it. */
export function allPolicies(scenario: Scenario): { owner: string; kind: string; document: PolicyDocument }[] {
  const out: { owner: string; kind: string; document: PolicyDocument }[] = [];
  for (const r of scenario.resources) {
    const owner = `${r.type} ${r.name}`;
    if (r.type === "aws:iam/role:Role") {
      const inline = (r.inputs.inlinePolicies as { name: string; policy: unknown }[] | undefined) ?? [];
      for (const p of inline) out.push({ owner, kind: `inline policy ${p.name}`, document: policyOf(p.policy) });
      out.push({ owner, kind: "assume role policy", document: policyOf(r.inputs.assumeRolePolicy) });
    } else if (typeof r.inputs.policy === "string" || (r.inputs.policy && typeof r.inputs.policy === "object")) {
      out.push({ owner, kind: "policy", document: policyOf(r.inputs.policy) });
    }
  }
  return out;
}
