/**
 * The curated layer's catalog: one Glue database per stage and one table per curated dataset (events, quarantine,
 * aggregates), all derived from the curation contract (packages/core/src/curation/contract.ts,
 * `glueTableDefinitions`): columns, partition keys, Parquet SerDe and Athena partition projection. With projection,
 * Athena computes partition locations from the query's filters and the `storage.location.template`: new
 * partitions are queryable the moment the job writes them, with no crawler, no MSCK REPAIR and no catalog writes by
 * the job (which therefore has no Glue catalog permissions at all).
 *
 * Partition projection in the contract: year, month and day are integer ranges; event_type is an `enum` of the
 * canonical event types (the contract's closed set: track, identify, page, screen, group, alias), so queries that
 * do not filter on it (`GROUP BY event_type`) still work. For an open set of values `enum` would not do (a value
 * missing from the list is silently invisible) and `injected` would force every query to filter on the column; the
 * event *name* (an open set) is therefore a column, not a partition.
 *
 * Schema evolution: additive only (new columns at the end); tables are updated in place by the deploy. Also an
 * Athena workgroup whose results go to the assets bucket (athena-results/, expired by its lifecycle).
 * The database and tables are retained with the stage's data (production). Its name carries a hash of the lake
 * bucket's name (`eventlake_<stage>_<8 hex>`, an output: `glueDatabase`): after `sst remove` of a production stage
 * the retained database keeps its name, and the re-created stage, which gets a new bucket, gets a new database
 * instead of failing on AlreadyExistsException. The old database still describes the old (retained) bucket.
 */
import { createHash } from "node:crypto";
import {
  CURATION_CONTRACT,
  glueDatabaseName,
  glueTableDefinitions,
  type CuratedTableName,
  type GlueTableDefinition,
} from "@eventlake/core/curation/contract";
import { ASSET_PREFIXES, type Lake } from "./lake";
import type { Stage } from "./stage";

const pascal = (name: string) => name.replace(/(^|_)([a-z])/g, (_m, _s: string, c: string) => c.toUpperCase());

/** `s3://<bucket>/<prefix>year=${year}/month=${month}/...` with a placeholder for every partition key, ending in "/". */
export function locationTemplate(bucket: string, table: Pick<GlueTableDefinition, "prefix" | "partitionKeys">): string {
  return `s3://${bucket}/${table.prefix}${table.partitionKeys.map((k) => `${k.name}=\${${k.name}}/`).join("")}`;
}

/** 8 hex characters identifying a lake bucket (bucket names are global: a new bucket is a new name). */
export function lakeInstance(bucketName: string): string {
  return createHash("sha256").update(bucketName).digest("hex").slice(0, 8);
}

export function createCatalog(stage: Stage, { lake }: { lake: Lake }) {
  const retain = stage.config.removal.retainData;
  const database = new aws.glue.CatalogDatabase(
    "Catalog",
    {
      name: lake.lake.name.apply((bucket) => glueDatabaseName(stage.name, lakeInstance(bucket))),
      description: `eventlake ${stage.name}: curated events, quarantine and aggregates (Parquet, partition projection)`,
    },
    stage.dataOptions,
  );

  const names = Object.keys(CURATION_CONTRACT.tables) as CuratedTableName[];
  const tables = {} as Record<CuratedTableName, aws.glue.CatalogTable>;
  for (const def of glueTableDefinitions()) {
    const name = names.find((n) => CURATION_CONTRACT.tables[n].name === def.name);
    if (!name) throw new Error(`catalog: table ${def.name} is not one of the contract's tables`);
    tables[name] = new aws.glue.CatalogTable(
      `Catalog${pascal(def.name)}`,
      {
        databaseName: database.name,
        name: def.name,
        description: def.description,
        tableType: def.tableType,
        parameters: lake.lake.name.apply((bucket) => ({
          ...def.parameters,
          "storage.location.template": locationTemplate(bucket, def),
        })),
        partitionKeys: def.partitionKeys.map((k) => ({ name: k.name, type: k.type, comment: k.comment })),
        storageDescriptor: {
          location: $interpolate`s3://${lake.lake.name}/${def.prefix}`,
          inputFormat: def.storage.inputFormat,
          outputFormat: def.storage.outputFormat,
          serDeInfo: { name: `${def.name}-parquet`, serializationLibrary: def.storage.serializationLibrary, parameters: def.storage.serdeParameters },
          columns: def.columns.map((c) => ({ name: c.name, type: c.type, comment: c.comment })),
        },
      },
      stage.dataOptions,
    );
  }

  const workgroup = new aws.athena.Workgroup("Athena", {
    name: `eventlake-${stage.name}`,
    description: database.name.apply((db) => `eventlake ${stage.name}: queries over ${db}`),
    state: "ENABLED",
    // Production keeps saved queries: removing the stage fails while the workgroup holds any.
    forceDestroy: !retain,
    configuration: {
      enforceWorkgroupConfiguration: true,
      publishCloudwatchMetricsEnabled: true,
      engineVersion: { selectedEngineVersion: "Athena engine version 3" },
      resultConfiguration: {
        outputLocation: $interpolate`s3://${lake.assets.name}/${ASSET_PREFIXES.athenaResults}`,
        encryptionConfiguration: { encryptionOption: "SSE_S3" },
      },
    },
  });

  return { database, tables, workgroup };
}

export type Catalog = ReturnType<typeof createCatalog>;
