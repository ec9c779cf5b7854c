/**
 * RUNBOOK.md is generated from the alarm catalog (`npm run runbook`): this fails when the file in the repository
 * differs from what the catalog renders, so the runbook and the alarms never disagree.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { alarmCatalog, runbookLink } from "@eventlake/core/alarms/catalog";
import { renderRunbook } from "@eventlake/core/alarms/runbook";
import { STAGES } from "@eventlake/core/stage-config";

const file = new URL("../../../RUNBOOK.md", import.meta.url);

describe("RUNBOOK.md", () => {
  it("is exactly what the alarm catalog generates (run `npm run runbook` after changing the catalog)", () => {
    expect(readFileSync(file, "utf8")).toBe(renderRunbook());
  });

  it("has the section every alarm's notification points to, with its runbook", () => {
    const text = renderRunbook();
    for (const stage of Object.keys(STAGES)) {
      for (const def of alarmCatalog(stage)) {
        const anchor = runbookLink(def).split("#")[1]!;
        const at = text.indexOf(`<a id="${anchor}"></a>`);
        expect(at, anchor).toBeGreaterThan(0);
        const section = text.slice(at, text.indexOf('<a id="', at + 1) === -1 ? undefined : text.indexOf('<a id="', at + 1));
        expect(section).toContain(def.runbook.checkFirst[0]!);
        expect(section).toContain(def.runbook.fix[0]!);
      }
    }
  });
});
