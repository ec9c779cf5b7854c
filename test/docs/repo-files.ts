/**
 * The repository's own files, found by walking the work tree (no git needed): what the repository-wide checks in
 * test/docs read. Dependencies, build output and local data are skipped, as are the Python virtual environment and
 * caches that project scripts create.
 */
import { readdirSync } from "node:fs";
import { join, relative, sep } from "node:path";

export const REPO_ROOT = join(import.meta.dirname, "..", "..");

const SKIPPED_DIRS = new Set(["node_modules", ".git", ".sst", ".eventlake", "coverage", "dist", "__pycache__", ".venv"]);

/** Repository-relative paths (with "/") of the files under `dirs` whose names `accept`, sorted. */
export function repoFiles(dirs: readonly string[], accept: (path: string) => boolean): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(entry.name)) walk(path);
      } else if (entry.isFile()) {
        const rel = relative(REPO_ROOT, path).split(sep).join("/");
        if (accept(rel)) found.push(rel);
      }
    }
  };
  for (const dir of dirs) walk(join(REPO_ROOT, dir));
  return found.sort();
}
