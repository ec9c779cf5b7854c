/**
 * RUNBOOK.md, rendered from the alarm catalog (pure). `npm run runbook` writes it; a test fails when the file in the
 * repository differs from what this renders, so the runbook and the alarms cannot disagree.
 */
import { STAGES, type StageConfig } from "../stage-config";
import {
  alarmCatalog,
  alarmResources,
  comparisonSymbol,
  conditionText,
  metricRefs,
  signalText,
  type AlarmComponent,
  type AlarmDefinition,
  type DimensionValue,
  type MetricRef,
} from "./catalog";
import { PIPELINE_FUNCTION_KEYS, PIPELINE_FUNCTIONS } from "./functions";

const COMPONENT_ORDER: readonly AlarmComponent[] = ["ingest", "stream", "raw archive", "curated layer", "operations", "functions"];

const COMPONENT_TITLES: Record<AlarmComponent, string> = {
  ingest: "Ingest",
  stream: "Stream (Kinesis)",
  "raw archive": "Raw archive (Firehose)",
  "curated layer": "Curated layer (Glue streaming job)",
  operations: "Operations (scheduled functions)",
  functions: "Functions (Lambda errors and throttles, one pair per function)",
};

function dimensionText(value: DimensionValue): string {
  if (typeof value === "string") return value;
  const r = value.resource;
  return r.startsWith("function:") ? `<${r.slice("function:".length)} function name>` : `<${r === "stream" ? "stream name" : r === "deliveryStream" ? "delivery stream name" : "Glue job name"}>`;
}

function metricText(ref: MetricRef): string {
  const dims = Object.entries(ref.dimensions)
    .map(([k, v]) => `\`${k}=${dimensionText(v)}\``)
    .join(", ");
  const ns = ref.namespace.startsWith("eventlake/") ? "eventlake/<stage>" : ref.namespace;
  return `\`${ns}\` \`${ref.metricName}\` (${ref.statistic}; ${dims})`;
}

const threshold = (def: AlarmDefinition) => `${comparisonSymbol(def.comparison)} ${def.threshold}`;

/** Markdown of the runbook for the given stages' catalogs (default: every defined stage). */
export function renderRunbook(stages: Readonly<Record<string, StageConfig>> = STAGES): string {
  const stageNames = Object.keys(stages);
  const catalogs = stageNames.map((name) => ({ name, entries: alarmCatalog(name, stages[name]) }));
  const reference = catalogs.find((c) => c.name === "prod") ?? catalogs[0]!;
  const byId = (id: string) => catalogs.map((c) => c.entries.find((e) => e.id === id));

  const out: string[] = [];
  out.push("# eventlake runbook");
  out.push("");
  out.push(
    "<!-- Generated from packages/core/src/alarms/entries.ts by `npm run runbook`. Do not edit by hand: a test fails when this file and the catalog disagree. -->",
  );
  out.push("");
  out.push(
    "One section per alarm of the catalog. On AWS every alarm is a CloudWatch alarm named `eventlake-<stage>-<id>` that notifies the stage's SNS topic when it goes to ALARM and back to OK; its description (in every notification) carries the summary below and a link to its section here. Locally (`npm start`) the same catalog is evaluated on the metrics the functions and stand-ins emit; state changes are printed and appended to `.eventlake/alerts.log`, and `npx eventlake status` shows every alarm's state.",
  );
  out.push("");
  out.push(
    "How alarms are evaluated (CloudWatch's rules, also locally): each period's value is the statistic over the period (or a ratio of sums); an alarm fires when `M` of the last `N` periods breach; periods with no data follow the alarm's missing-data treatment (`notBreaching`: counts as fine, `breaching`: counts as bad, `missing`: no decision, INSUFFICIENT_DATA). Locally, missing periods are simply not counted where CloudWatch may look further back.",
  );
  out.push("");
  out.push(`## Alarms`);
  out.push("");
  out.push(`| alarm | severity | condition (prod) | ${stageNames.map((s) => `${s} threshold`).join(" | ")} |`);
  out.push(`|---|---|---|${stageNames.map(() => "---").join("|")}|`);
  for (const def of reference.entries) {
    const thresholds = byId(def.id).map((d) => (d ? `\`${threshold(d)}\`` : "-"));
    out.push(`| [${def.title}](#${def.id}) | ${def.severity} | ${conditionText(def)} | ${thresholds.join(" | ")} |`);
  }
  out.push("");

  for (const component of COMPONENT_ORDER) {
    const entries = reference.entries.filter((e) => e.component === component);
    if (entries.length === 0) continue;
    out.push(`## ${COMPONENT_TITLES[component]}`);
    out.push("");
    if (component === "functions") {
      out.push(
        `Generated for every function of the pipeline (${PIPELINE_FUNCTION_KEYS.map((k) => `\`${k}\``).join(", ")}); the stacks create both alarms for every function they deploy.`,
      );
      out.push("");
      out.push("| function | role |");
      out.push("|---|---|");
      for (const key of PIPELINE_FUNCTION_KEYS) out.push(`| \`${key}\` | ${PIPELINE_FUNCTIONS[key].role} |`);
      out.push("");
    }
    for (const def of entries) {
      out.push(`<a id="${def.id}"></a>`);
      out.push("");
      out.push(`### ${def.title}`);
      out.push("");
      out.push(`- **Alarm:** \`eventlake-<stage>-${def.id}\`, severity **${def.severity}**`);
      out.push(`- **Summary:** ${def.runbook.summary}`);
      out.push(`- **Metric:** ${metricRefs(def.signal).map(metricText).join("; ")}${def.signal.kind === "ratio" ? `, as ${signalText(def.signal)}` : ""}`);
      out.push(`- **Fires when:** ${conditionText(def, "threshold")}; missing data: \`${def.treatMissingData}\`; threshold: ${def.thresholdSource}`);
      out.push(`- **Notifies on:** ALARM and back to OK${def.notifyOnInsufficientData ? ", and INSUFFICIENT_DATA (no data means the reporter stopped)" : ""}`);
      const perStage = byId(def.id)
        .map((d, i) => (d ? `${stageNames[i]} \`${threshold(d)}\` (period ${d.periodSeconds} s)` : `${stageNames[i]}: -`))
        .join(", ");
      out.push(`- **Per stage:** ${perStage}`);
      const resources = alarmResources(def);
      if (resources.length > 0) out.push(`- **Exists when the stage has:** ${resources.map((r) => `\`${r}\``).join(", ")}`);
      out.push("");
      out.push(`**What it means.** ${def.runbook.meaning}`);
      out.push("");
      out.push("**Check first.**");
      out.push("");
      def.runbook.checkFirst.forEach((line, i) => out.push(`${i + 1}. ${line}`));
      out.push("");
      out.push("**How to fix.**");
      out.push("");
      for (const line of def.runbook.fix) out.push(`- ${line}`);
      out.push("");
    }
  }
  return `${out.join("\n").trimEnd()}\n`;
}
