// A Lambda sandbox: one worker thread per function, so the handler has its own module state, environment and
// stdout (the parent reads the logs and EMF metrics from it, as CloudWatch Logs does from a real function).
import { parentPort, workerData } from "node:worker_threads";
import { register } from "tsx/esm/api";

register();

function context(id, deadline) {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: workerData.functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:${workerData.region}:000000000000:function:${workerData.functionName}`,
    memoryLimitInMB: String(workerData.memoryMb),
    awsRequestId: id,
    logGroupName: `/aws/lambda/${workerData.functionName}`,
    logStreamName: `local/${workerData.functionName}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

// The handler is loaded without a top-level await, so this entry module has finished evaluating before the slow
// part starts: terminating a worker whose entry module is still evaluating asynchronously can abort the whole
// process (V8), and a sandbox can be shut down while it loads. A handler that cannot be loaded is reported with
// the error types of Lambda's Node.js runtime, then the sandbox ends.
const exportName = workerData.exportName ?? "handler";
import(workerData.handlerFile).then(
  (module) => {
    const handler = module[exportName];
    if (typeof handler === "function") serve(handler);
    else failToLoad("Runtime.HandlerNotFound", `${workerData.handlerFile}: ${exportName} is undefined or not exported`);
  },
  (error) => failToLoad("Runtime.ImportModuleError", String(error?.stack ?? error)),
);

function failToLoad(errorType, errorMessage) {
  parentPort.postMessage({ loadError: { errorType, errorMessage } });
  parentPort.close();
}

function serve(handler) {
  parentPort.on("message", async ({ id, event, deadline }) => {
    try {
      const result = await handler(event, context(id, deadline));
      parentPort.postMessage({ id, ok: true, result });
    } catch (error) {
      parentPort.postMessage({
        id,
        ok: false,
        error: { errorType: error?.name ?? "Error", errorMessage: String(error?.message ?? error) },
      });
    }
  });
  parentPort.postMessage({ ready: true });
}
