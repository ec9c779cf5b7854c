/** Small formatting helpers for terminal output. */
export const n = (value: number) => value.toLocaleString("en-US");

export function table(rows: (string | number)[][], header: string[]): string {
  const all = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, c) => Math.max(...all.map((r) => String(r[c] ?? "").length)));
  const line = (r: (string | number)[]) => r.map((cell, c) => String(cell).padEnd(widths[c]!)).join("  ").trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...all.slice(1).map(line)].join("\n");
}

/** A one-line progress bar redrawn in place on a TTY; silent elsewhere. */
export function progressBar(stream: NodeJS.WriteStream, total: number) {
  const width = 30;
  return {
    update(done: number, suffix: string) {
      if (!stream.isTTY) return;
      const filled = Math.round((Math.min(done, total) / Math.max(total, 1)) * width);
      stream.write(`\r[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${n(done)}/${n(total)} ${suffix}\x1b[K`);
    },
    done() {
      if (stream.isTTY) stream.write("\n");
    },
  };
}
