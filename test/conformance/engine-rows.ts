/** Reads an engine output relation as canonical rows (the fixtures' form), for the conformance suite. */
import { CURATION_CONTRACT, type CuratedTableName } from "@eventlake/core/curation/contract";
import type { CurationEngine } from "@eventlake/local/curator/engine";
import { canonicalRow, sortRows, type Row } from "./fixtures";

export async function readCanonicalRows(engine: CurationEngine, table: CuratedTableName, relation: string): Promise<Row[]> {
  const t = CURATION_CONTRACT.tables[table];
  const select = [
    ...t.columns.map((c) =>
      c.type === "timestamp"
        ? `strftime(${c.name}, '%Y-%m-%dT%H:%M:%S.%fZ') AS ${c.name}`
        : c.type === "string" || c.type === "json"
          ? // Through base64: the client's UTF-8 decoding would drop a leading byte-order mark.
            `to_base64(encode(${c.name})) AS ${c.name}`
          : c.name,
    ),
    ...t.partitionColumns.map((c) => c.name),
  ];
  const rows = await engine.query(`SELECT ${select.join(", ")} FROM ${relation}`);
  return sortRows(
    rows.map((r) => {
      const plain: Row = {};
      for (const [k, v] of Object.entries(r)) {
        const type = t.columns.find((c) => c.name === k)?.type;
        if (v === null) plain[k] = null;
        else if (type === "string" || type === "json") plain[k] = Buffer.from(String(v), "base64").toString("utf8");
        else plain[k] = typeof v === "bigint" ? Number(v) : typeof v === "boolean" ? v : String(v);
      }
      return canonicalRow(table, plain, `${table} output`);
    }),
  );
}
