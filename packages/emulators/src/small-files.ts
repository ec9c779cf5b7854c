/**
 * Small state files the stand-ins keep (checkpoints, stats, alarm states), replaced whole: a reader in another
 * process (`eventlake status`) never sees one half-written, and a durable write survives a kill -9 or power loss.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from "node:fs";
import { dirname } from "node:path";

/** Replaces a small file atomically (temp file + rename): readers never see it half-written. */
export function writeAtomically(path: string, content: string, options: { fsync?: boolean } = {}): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, "w");
  try {
    writeSync(fd, content);
    if (options.fsync) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** Writes a small file durably: temp file, fsync, rename, fsync of the directory. */
export function writeDurably(path: string, content: string): void {
  writeAtomically(path, content, { fsync: true });
  try {
    const dirFd = openSync(dirname(path), "r");
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  } catch {
    // Some file systems refuse fsync on directories; the rename itself is atomic.
  }
}
