/** `eventlake cost`: the cost model (packages/core/src/cost) for an event rate and size, printed or as JSON. */
import { COMPONENTS, costModel, defaultAssumptions, validateCostInput, type CostReport } from "@eventlake/core/cost/model";
import { PRICES, PRICE_TABLE_DATE, PRICE_TABLE_REGION } from "@eventlake/core/cost/prices";
import { n, table } from "./format";

export interface CostOptions {
  eventsPerSecond: number;
  eventBytes: number;
  eventsPerRequest: number;
  json: boolean;
}

const usd = (x: number) => (x >= 100 ? `$${n(Math.round(x))}` : x >= 1 ? `$${x.toFixed(2)}` : `$${x.toFixed(4)}`);
const qty = (x: number) => (x >= 1000 ? n(Math.round(x)) : x >= 10 ? x.toFixed(1) : x.toFixed(4).replace(/\.?0+$/, ""));

export function formatCostReport(report: CostReport): string {
  const [ours, naive] = report.designs;
  const out: string[] = [];
  const { input } = report;
  out.push(
    `eventlake cost model: ${n(input.eventsPerSecond)} events/s x ${n(input.eventBytes)} B, ${n(input.eventsPerRequest)} event(s) per request` +
      `\n${n(Math.round(report.eventsPerMonth))} events/month, ${n(Math.round(report.requestsPerMonth))} requests/month; ${PRICE_TABLE_REGION} prices, table of ${PRICE_TABLE_DATE}\n`,
  );
  const rows = COMPONENTS.map((c) => [c, usd(ours.byComponent[c]), usd((ours.byComponent[c] / report.eventsPerMonth) * 1e6), usd(naive.byComponent[c]), usd((naive.byComponent[c] / report.eventsPerMonth) * 1e6)]);
  rows.push(["total", usd(ours.totalUsd), usd(ours.perMillionEventsUsd), usd(naive.totalUsd), usd(naive.perMillionEventsUsd)]);
  out.push(table(rows, ["component", "eventlake $/month", "$/M events", "naive $/month", "$/M events"]));
  const saving = naive.totalUsd - ours.totalUsd;
  out.push(`\n${saving >= 0 ? `eventlake saves ${usd(saving)}/month (${((saving / naive.totalUsd) * 100).toFixed(0)}%)` : `the naive design is cheaper by ${usd(-saving)}/month at this load`} against the naive design.`);

  for (const design of report.designs) {
    out.push(`\n${design.label}`);
    out.push(table(design.lines.map((l) => [l.component, l.item, qty(l.quantity), `$${PRICES[l.price].usd} / ${PRICES[l.price].per}${PRICES[l.price].verified ? "" : " *"}`, usd(l.usd)]), ["component", "item", "quantity", "unit price", "$/month"]));
    for (const note of design.notes) out.push(`  note: ${note}`);
  }

  out.push("\nassumptions");
  out.push(table(Object.entries(report.assumptions).map(([name, a]) => [name, `${qty(a.value)} ${a.unit}`, a.why]), ["assumption", "value", "why"]));

  out.push("\nprices (* = UNVERIFIED: not checked against an AWS-owned source; verify on the AWS pricing pages before budgeting)");
  out.push(table(report.pricesUsed.map((key) => { const p = PRICES[key]; return [`${p.verified ? " " : "*"} ${p.service}`, p.description, `$${p.usd} / ${p.per}`, p.source]; }), ["service", "price", "usd", "source"]));
  return out.join("\n");
}

export function runCost(options: CostOptions) {
  const input = { eventsPerSecond: options.eventsPerSecond, eventBytes: options.eventBytes, eventsPerRequest: options.eventsPerRequest };
  const problems = validateCostInput(input);
  if (problems.length > 0) {
    console.error(`eventlake cost: ${problems.join("; ")}`);
    process.exit(2);
  }
  const report = costModel(input, defaultAssumptions());
  if (options.json) {
    console.log(JSON.stringify({ ...report, prices: Object.fromEntries(report.pricesUsed.map((k) => [k, PRICES[k]])) }, null, 2));
    return;
  }
  console.log(formatCostReport(report));
}
