/**
 * The Glue job's deploy-time assets, built from the repository at deploy time (nothing generated is committed, so
 * nothing goes stale): the job script, the runner package as a zip for `--extra-py-files`, and the curation plan
 * (the contract compiled to Spark SQL). Each gets a content-addressed key, so a change to any of them changes the
 * job's arguments, which updates the job and makes the deploy-time starter restart it on the new version.
 */
import { createHash } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { glueJobPlanJson } from "@eventlake/core/glue/job-plan";

/** Repository paths (relative to the app root, where SST runs). */
export const GLUE_SOURCES = { dir: "glue", script: "glue/eventlake_job.py", runner: "glue/runner" } as const;

export interface GlueAssets {
  script: { path: string; key: string };
  runner: { entries: string[]; base64: string; key: string };
  plan: { json: string; key: string };
  /** Hash of all three: changes whenever any of them does. */
  version: string;
}

const sha256 = (data: string | Uint8Array) => createHash("sha256").update(data).digest("hex");

/**
 * A deterministic zip (stored entries, fixed timestamps, sorted names): same files, same bytes. Enough for Python's
 * zipimport, which is how Glue loads --extra-py-files.
 */
export function storedZip(files: readonly { name: string; data: Uint8Array }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  const DOS_DATE_1980_01_01 = 0x21;
  for (const file of [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const name = Buffer.from(file.name, "utf8");
    const crc = crc32(file.data);
    const size = file.data.byteLength;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt16LE(0, 10); // time
    local.writeUInt16LE(DOS_DATE_1980_01_01, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(size, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.byteLength, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4); // made by
    central.writeUInt16LE(20, 6); // needed
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(0, 10);
    central.writeUInt16LE(0, 12);
    central.writeUInt16LE(DOS_DATE_1980_01_01, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(size, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.byteLength, 28);
    // extra, comment, disk, internal and external attributes: 0
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, Buffer.from(file.data));
    centrals.push(central, name);
    offset += local.byteLength + name.byteLength + size;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(directory.byteLength, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** Reads the sources and builds the assets; `root` is the app root (default: the working directory). */
export function buildGlueAssets(keyPrefix: string, root = process.cwd()): GlueAssets {
  if (!keyPrefix.endsWith("/")) throw new Error(`key prefix "${keyPrefix}" must end with "/"`);
  const script = readFileSync(join(root, GLUE_SOURCES.script));
  const modules = readdirSync(join(root, GLUE_SOURCES.runner))
    .filter((name) => name.endsWith(".py"))
    .sort();
  if (!modules.includes("__init__.py")) throw new Error(`${GLUE_SOURCES.runner} is not a Python package (no __init__.py)`);
  const zip = storedZip(modules.map((name) => ({ name: `runner/${name}`, data: readFileSync(join(root, GLUE_SOURCES.runner, name)) })));
  const plan = glueJobPlanJson();
  const [scriptHash, zipHash, planHash] = [sha256(script), sha256(zip), sha256(plan)].map((h) => h.slice(0, 16));
  return {
    script: { path: GLUE_SOURCES.script, key: `${keyPrefix}eventlake_job-${scriptHash}.py` },
    runner: { entries: modules.map((m) => `runner/${m}`), base64: zip.toString("base64"), key: `${keyPrefix}runner-${zipHash}.zip` },
    plan: { json: plan, key: `${keyPrefix}curation-plan-${planHash}.json` },
    version: sha256(`${scriptHash}/${zipHash}/${planHash}`).slice(0, 16),
  };
}
