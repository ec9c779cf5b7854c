/**
 * A UTF-16 surrogate that is not half of a pair. JSON text can carry one as an escape (`"\ud800"`); it has no UTF-8
 * encoding, so no engine downstream can store it (the curator's JSON readers refuse the record). With the `u` flag a
 * well-formed pair is one code point and only a lone half matches.
 */
const LONE_SURROGATE = /\p{Surrogate}/u;

/** True when a string is valid Unicode (no lone UTF-16 surrogate). */
export function isWellFormedText(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

export interface JsonShape {
  tooDeep: boolean;
  forbiddenKey: boolean;
  /** A string or a key holds a lone UTF-16 surrogate (not valid Unicode). */
  invalidUnicode: boolean;
}

const CLEAN: JsonShape = { tooDeep: false, forbiddenKey: false, invalidUnicode: false };

/**
 * One iterative pass over a parsed JSON value: its nesting depth (capped), whether it uses a key that could pollute
 * prototypes downstream, and whether any key or string is not valid Unicode. Iterative so hostile nesting cannot
 * overflow the stack.
 */
export function inspectJson(value: unknown, maxDepth: number): JsonShape {
  if (typeof value === "string") return isWellFormedText(value) ? CLEAN : { ...CLEAN, invalidUnicode: true };
  if (value === null || typeof value !== "object") return CLEAN;
  const stack: unknown[] = [value];
  const depths: number[] = [1];
  let invalidUnicode = false;
  while (stack.length > 0) {
    const node = stack.pop() as object;
    const depth = depths.pop()!;
    if (depth > maxDepth) return { ...CLEAN, tooDeep: true };
    if (Array.isArray(node)) {
      for (const child of node) {
        if (child !== null && typeof child === "object") {
          stack.push(child);
          depths.push(depth + 1);
        } else if (typeof child === "string" && !invalidUnicode && !isWellFormedText(child)) invalidUnicode = true;
      }
    } else {
      for (const key in node) {
        if (key === "__proto__") return { ...CLEAN, forbiddenKey: true };
        if (!invalidUnicode && !isWellFormedText(key)) invalidUnicode = true;
        const child = (node as Record<string, unknown>)[key];
        if (child !== null && typeof child === "object") {
          stack.push(child);
          depths.push(depth + 1);
        } else if (typeof child === "string" && !invalidUnicode && !isWellFormedText(child)) invalidUnicode = true;
      }
    }
  }
  return invalidUnicode ? { ...CLEAN, invalidUnicode } : CLEAN;
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
