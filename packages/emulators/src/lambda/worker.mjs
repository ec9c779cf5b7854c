// A Lambda sandbox: one worker thread per function, so the handler has its own module state, environment and
// stdout (the parent reads the logs and EMF metrics from it, as CloudWatch Logs does from a real function).
import { parentPort, workerData } from "node:worker_threads";
import { register } from "tsx/esm/api";

register();
const module = await import(workerData.handlerFile);
const handler = module[workerData.exportName ?? "handler"];
if (typeof handler !== "function") throw new Error(`${workerData.handlerFile} does not export ${workerData.exportName ?? "handler"}`);

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
