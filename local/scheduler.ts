import type { ScheduledEvent } from 'aws-lambda';
import type { FunctionName } from '#lib/routes.js';
import { type Invoke, invokeInProcess } from './gateway.js';

/** EventBridge Scheduler's local stand-in: runs a function every N minutes, never two runs at once. */
export const startScheduler = (functionName: FunctionName, everyMinutes: number, invoke: Invoke = invokeInProcess) => {
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
    running = invoke(functionName, event)
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
