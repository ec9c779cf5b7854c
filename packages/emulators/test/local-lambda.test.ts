/**
 * The local Lambda sandbox: the real handler file in a worker thread, Lambda's errors for a throw, a timeout and a
 * sandbox that exits, and a shutdown that never leaves an invocation waiting (also while the sandbox is loading).
 */
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { LambdaInvocationError, LocalLambda } from "../src/lambda/local-lambda";

const FIXTURES = join(import.meta.dirname, "..", "..", "..", "test", "fixtures", "lambda");
const HANDLER = join(FIXTURES, "sandbox-handler.ts");
const opened: LocalLambda[] = [];

afterEach(async () => {
  while (opened.length) await opened.pop()!.close();
});

function sandbox(options: Partial<ConstructorParameters<typeof LocalLambda>[0]> = {}): { fn: LocalLambda; logs: string[] } {
  const logs: string[] = [];
  const fn = new LocalLambda({
    functionName: "eventlake-test-sandbox",
    handlerFile: HANDLER,
    env: { GREETING: "hello" },
    timeoutMs: 5_000,
    region: "us-east-1",
    onLogLine: (line) => logs.push(line),
    ...options,
  });
  opened.push(fn);
  return { fn, logs };
}

async function failure(promise: Promise<unknown>): Promise<LambdaInvocationError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LambdaInvocationError);
  return error as LambdaInvocationError;
}

describe("local Lambda sandbox", () => {
  it("runs the handler with its environment and a Lambda context, and hands over its logs", async () => {
    const { fn, logs } = sandbox();
    const result = (await fn.invoke({ action: "echo", value: [1, "two"] })) as Record<string, unknown>;
    expect(result).toMatchObject({ value: [1, "two"], greeting: "hello", functionName: "eventlake-test-sandbox" });
    expect(result.remainingMs).toBeGreaterThan(0);
    expect(result.remainingMs).toBeLessThanOrEqual(5_000);
    await expect.poll(() => logs).toContain("echo from eventlake-test-sandbox");
    expect(fn.invocations).toBe(1);
  });

  it("a throw fails the invocation with the error's name and message; the sandbox keeps serving", async () => {
    const { fn } = sandbox();
    const error = await failure(fn.invoke({ action: "throw" }));
    expect(error.errorType).toBe("PurposefulError");
    expect(error.message).toContain("the handler failed on purpose");
    await expect(fn.invoke({ action: "echo", value: 2 })).resolves.toMatchObject({ value: 2 });
    expect(fn.errors).toBe(1);
  });

  it("a timeout fails with Task timed out and the next invocation gets a fresh sandbox", async () => {
    const { fn } = sandbox({ timeoutMs: 300 });
    const error = await failure(fn.invoke({ action: "hang" }));
    expect(error.errorType).toBe("Sandbox.Timedout");
    expect(error.message).toContain("Task timed out after 0.3 seconds");
    await expect(fn.invoke({ action: "echo", value: 3 })).resolves.toMatchObject({ value: 3 });
  });

  it("a handler that cannot be loaded fails its invocations with Lambda's error types", async () => {
    const missingExport = await failure(sandbox({ exportName: "missing" }).fn.invoke({ action: "echo" }));
    expect(missingExport.errorType).toBe("Runtime.HandlerNotFound");
    expect(missingExport.message).toContain("missing is undefined or not exported");
    const missingFile = await failure(sandbox({ handlerFile: join(FIXTURES, "no-such-handler.ts") }).fn.invoke({ action: "echo" }));
    expect(missingFile.errorType).toBe("Runtime.ImportModuleError");
    expect(missingFile.message).toContain("no-such-handler");
  });

  it("close() while the sandbox is still loading fails the waiting invocation instead of leaving it hanging", async () => {
    // Loading the handler through tsx takes a few hundred milliseconds; close at several points inside it.
    for (const afterMs of [0, 20, 80, 200]) {
      const { fn } = sandbox();
      const settled = fn.invoke({ action: "echo", value: afterMs }).then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      );
      await new Promise((resolve) => setTimeout(resolve, afterMs));
      await fn.close();
      const outcome = await settled;
      // Either it finished before the close, or it failed with a Lambda error; it never hangs.
      if ("error" in outcome) expect(outcome.error).toBeInstanceOf(LambdaInvocationError);
      else expect(outcome.value).toMatchObject({ value: afterMs });
      await expect(fn.invoke({ action: "echo" })).rejects.toThrow("the function was shut down");
    }
  });

  it("close() fails an invocation that is still running", async () => {
    const { fn } = sandbox();
    await fn.invoke({ action: "echo" });
    const hanging = failure(fn.invoke({ action: "hang" }));
    await fn.close();
    const error = await hanging;
    expect(error.errorType).toBe("Runtime.Closed");
  });
});
