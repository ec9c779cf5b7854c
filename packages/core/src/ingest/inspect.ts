/**
 * One iterative pass over a parsed JSON value: its nesting depth (capped) and whether it uses a key that could
 * pollute prototypes downstream. Iterative so hostile nesting cannot overflow the stack.
 */
export function inspectJson(value: unknown, maxDepth: number): { tooDeep: boolean; forbiddenKey: boolean } {
  if (value === null || typeof value !== "object") return { tooDeep: false, forbiddenKey: false };
  const stack: unknown[] = [value];
  const depths: number[] = [1];
  while (stack.length > 0) {
    const node = stack.pop() as object;
    const depth = depths.pop()!;
    if (depth > maxDepth) return { tooDeep: true, forbiddenKey: false };
    if (Array.isArray(node)) {
      for (const child of node) {
        if (child !== null && typeof child === "object") {
          stack.push(child);
          depths.push(depth + 1);
        }
      }
    } else {
      for (const key in node) {
        if (key === "__proto__") return { tooDeep: false, forbiddenKey: true };
        const child = (node as Record<string, unknown>)[key];
        if (child !== null && typeof child === "object") {
          stack.push(child);
          depths.push(depth + 1);
        }
      }
    }
  }
  return { tooDeep: false, forbiddenKey: false };
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Merges batch-level context under an event's own context (the event's values win), recursively. */
export function mergeContext(outer: Record<string, unknown>, inner: Record<string, unknown> | undefined) {
  if (!inner) return outer;
  const merged: Record<string, unknown> = { ...outer };
  for (const key of Object.keys(inner)) {
    const a = merged[key];
    const b = inner[key];
    merged[key] = isPlainObject(a) && isPlainObject(b) ? mergeContext(a, b) : b;
  }
  return merged;
}
