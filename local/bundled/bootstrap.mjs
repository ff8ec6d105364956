/**
 * The Lambda runtime's part of a bundled function, in its own Node.js process: the init imports the
 * handler from the asset directory (LAMBDA_TASK_ROOT, _HANDLER as the runtime reads them), then each
 * invocation arrives over IPC with its deadline and is answered with the handler's result or error.
 * Plain JavaScript run by plain node: nothing of the project's tooling (tsx, loaders) is in this
 * process, only the bundle and what the Lambda runtime provides (the AWS SDK).
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [file = 'index', exported = 'handler'] = (process.env._HANDLER ?? 'index.handler').split('.');

/** An error as the Lambda runtime reports it. */
const report = (error) => ({
  errorType: error instanceof Error ? error.name : 'Error',
  errorMessage: error instanceof Error ? error.message : String(error),
  stack: error instanceof Error ? (error.stack ?? '').split('\n') : [],
});

let handler;
let initError;
try {
  const module = await import(pathToFileURL(join(process.env.LAMBDA_TASK_ROOT ?? '.', `${file}.mjs`)).href);
  handler = module[exported];
  if (typeof handler !== 'function') throw new Error(`${file}.${exported} is undefined or not exported`);
} catch (error) {
  initError = { ...report(error), errorType: `Runtime.ImportModuleError: ${report(error).errorType}` };
}

/** The context object the Node.js runtime passes (the same fields as local/events.ts lambdaContext). */
const contextFor = ({ requestId, deadline }) => ({
  callbackWaitsForEmptyEventLoop: true,
  functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
  functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
  invokedFunctionArn: `arn:aws:lambda:${process.env.AWS_REGION}:000000000000:function:${process.env.AWS_LAMBDA_FUNCTION_NAME}`,
  memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
  awsRequestId: requestId,
  logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
  logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
  getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
});

process.on('message', async (invocation) => {
  if (initError) {
    process.send({ id: invocation.id, error: initError });
    return;
  }
  // The runtime sets the trace header of each invocation (not sampled: nothing is sent to X-Ray).
  process.env._X_AMZN_TRACE_ID = invocation.traceId;
  try {
    const result = await handler(invocation.event, contextFor(invocation));
    process.send({ id: invocation.id, result });
  } catch (error) {
    process.send({ id: invocation.id, error: report(error) });
  }
});
// Whatever ends the local run, a function process never outlives it.
process.on('disconnect', () => process.exit(0));
process.send({ ready: true, ...(initError ? { initError } : {}) });
