import type { FunctionName } from '#lib/routes.js';
import { scheduledEvent } from './events.js';
import { type Invoke, invokeInProcess } from './gateway.js';

/** EventBridge Scheduler's local stand-in: runs a function every N minutes, never two runs at once. */
export const startScheduler = (functionName: FunctionName, everyMinutes: number, invoke: Invoke = invokeInProcess) => {
  let running: Promise<unknown> | undefined;
  const runNow = async () => {
    if (running) return running;
    running = invoke(functionName, scheduledEvent())
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
