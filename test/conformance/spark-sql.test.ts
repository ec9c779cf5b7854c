/**
 * The compiled Spark SQL, syntax-checked offline (ARCHITECTURE.md, "Curated layer"; no test may need AWS): every
 * statement the Glue job runs for the real contract parses with dt-sql-parser's Spark SQL grammar (Spark 3.x) with
 * no errors. The check is syntax only, which is what a grammar can check: function names, arity and column
 * references are not checked here; the DuckDB side of the same compiler is executed by the conformance suite, and
 * the Spark side by test/conformance/spark.test.ts.
 */
import { SparkSQL } from "dt-sql-parser";
import { describe, expect, it } from "vitest";
import { buildGlueJobPlan } from "@eventlake/core/glue/job-plan";

const parser = new SparkSQL();
const errorsOf = (sql: string) => parser.validate(sql).map((e) => `${e.startLine}:${e.startColumn} ${e.message}`);
const plan = buildGlueJobPlan();

describe("compiled Spark SQL (the Glue job's plan)", () => {
  it("has the statements of a micro-batch", () => {
    expect(plan.statements.length).toBeGreaterThanOrEqual(10);
    expect(plan.statements.map((s) => s.name)).toEqual(expect.arrayContaining(plan.tables.map((t) => t.relation)));
  });

  it.each(plan.statements.map((s) => [s.name, s] as const))("%s parses with no errors", (_name, statement) => {
    expect(errorsOf(statement.sql)).toEqual([]);
    if (statement.materialize) expect(errorsOf(statement.query)).toEqual([]);
  });

  it("cleanup statements and the runner's initial-state queries parse", () => {
    const initial = plan.state.map(
      (s) => `SELECT ${s.columns.map((c) => `CAST(NULL AS ${c.type}) AS ${c.name}`).join(", ")}${s.initial === "empty" ? " WHERE false" : ""}`,
    );
    for (const sql of [...plan.cleanup, ...initial]) expect(errorsOf(sql), sql).toEqual([]);
  });

  it("reports a broken statement (the check can fail)", () => {
    const real = plan.statements.find((s) => s.name === "out_events")!.sql;
    const broken = [
      real.replace(/\)(?=[^)]*$)/, ""), // drop the last closing parenthesis
      real.replace("SELECT", "SELEC"),
      `${real} )`, // a stray closing parenthesis
    ];
    for (const sql of broken) {
      expect(sql).not.toBe(real);
      expect(errorsOf(sql).length, sql.slice(0, 120)).toBeGreaterThan(0);
    }
  });
});
