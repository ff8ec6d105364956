import type { Context, ScheduledEvent } from 'aws-lambda';
import { FUNCTIONS, type FunctionName } from '#lib/routes.js';
import { lambdaContext } from './events.js';
import { loadHandler } from './gateway.js';

type ScheduledLambda = (event: ScheduledEvent, context: Context) => Promise<unknown>;

/** EventBridge Scheduler's local stand-in: runs a function every N minutes, never two runs at once. */
export const startScheduler = (functionName: FunctionName, everyMinutes: number) => {
  let running: Promise<unknown> | undefined;
  const runNow = async () => {
    if (running) return running;
    const event = {
      version: '0',
      id: crypto.randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '000000000000',
      time: new Date().toISOString(),
      region: 'us-east-1',
      resources: [],
      detail: {},
    } as ScheduledEvent;
    running = loadHandler<ScheduledLambda>(functionName)
      .then((handler) => handler(event, lambdaContext(functionName, FUNCTIONS[functionName].timeoutSeconds)))
      .catch((error: Error) => console.error(`[scheduler] ${functionName} failed:`, error.message))
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const timer = setInterval(() => void runNow(), everyMinutes * 60_000);
  return {
    runNow,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
};
