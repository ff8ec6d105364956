import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BOOTSTRAP = join(dirname(fileURLToPath(import.meta.url)), 'bootstrap.mjs');

/** An error a function returned (or its init failed with), as the Lambda runtime reports it. */
export class FunctionError extends Error {
  override name = 'FunctionError';
  constructor(
    readonly functionName: string,
    readonly errorType: string,
    message: string,
    readonly trace: string[] = [],
  ) {
    super(`${functionName}: ${errorType}: ${message}`);
  }
}

export interface FunctionProcessOptions {
  name: string;
  /** The asset directory (index.mjs and its assets); the process runs in it, as Lambda runs in /var/task. */
  dir: string;
  /** The whole environment of the process: nothing else reaches it. */
  env: Record<string, string>;
  timeoutSeconds: number;
  /** Each line the function writes (its logs). */
  onOutput?: (name: string, line: string) => void;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * One bundled function in its own Node.js process (bootstrap.mjs), started at its first invocation
 * (its cold start) and kept warm after. An invocation that outlives the function's timeout fails
 * ("Task timed out") and the process is replaced, as Lambda replaces the execution environment.
 */
export const functionProcess = (options: FunctionProcessOptions) => {
  let child: ChildProcess | undefined;
  let ready: Promise<void> | undefined;
  const pending = new Map<string, Pending>();
  /** Init failures (a bundle that cannot be imported): the test suite requires none. */
  const initErrors: string[] = [];
  let coldStarts = 0;

  const failAll = (error: Error) => {
    for (const [id, call] of pending) {
      clearTimeout(call.timer);
      call.reject(error);
      pending.delete(id);
    }
  };

  const start = () => {
    coldStarts++;
    const process_ = spawn(process.execPath, [BOOTSTRAP], {
      cwd: options.dir,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    child = process_;
    let partial = '';
    const lines = (chunk: Buffer) => {
      const text = partial + chunk.toString('utf8');
      const all = text.split('\n');
      partial = all.pop() ?? '';
      for (const line of all) options.onOutput?.(options.name, line);
    };
    process_.stdout?.on('data', lines);
    process_.stderr?.on('data', lines);
    ready = new Promise<void>((resolve, reject) => {
      process_.once('exit', (code, signal) => {
        reject(new FunctionError(options.name, 'Runtime.ExitError', `exited (${code ?? signal}) before it was ready`));
      });
      process_.on(
        'message',
        (message: { ready?: boolean; initError?: { errorType: string; errorMessage: string } }) => {
          if (message.ready) {
            if (message.initError) initErrors.push(`${message.initError.errorType}: ${message.initError.errorMessage}`);
            resolve();
          }
        },
      );
    });
    process_.on(
      'message',
      (message: {
        id?: string;
        result?: unknown;
        error?: { errorType: string; errorMessage: string; stack?: string[] };
      }) => {
        const call = message.id ? pending.get(message.id) : undefined;
        if (!call || !message.id) return;
        pending.delete(message.id);
        clearTimeout(call.timer);
        if (message.error) {
          call.reject(
            new FunctionError(options.name, message.error.errorType, message.error.errorMessage, message.error.stack),
          );
        } else call.resolve(message.result);
      },
    );
    process_.once('exit', (code, signal) => {
      if (child === process_) {
        child = undefined;
        ready = undefined;
      }
      failAll(new FunctionError(options.name, 'Runtime.ExitError', `the process exited (${code ?? signal})`));
    });
  };

  const invoke = async (event: unknown): Promise<unknown> => {
    if (!child) start();
    await ready;
    const current = child;
    if (!current?.connected) throw new FunctionError(options.name, 'Runtime.ExitError', 'the process is gone');
    const id = randomUUID();
    const deadline = Date.now() + options.timeoutSeconds * 1000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(
          new FunctionError(options.name, 'Sandbox.Timedout', `Task timed out after ${options.timeoutSeconds} seconds`),
        );
        current.kill('SIGKILL');
      }, options.timeoutSeconds * 1000);
      pending.set(id, { resolve, reject, timer });
      current.send({
        id,
        event,
        deadline,
        requestId: id,
        traceId: `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString('hex')};Parent=${randomBytes(8).toString('hex')};Sampled=0`,
      });
    });
  };

  return {
    invoke,
    initErrors,
    get coldStarts() {
      return coldStarts;
    },
    async stop() {
      const current = child;
      if (!current) return;
      const exited = new Promise((done) => current.once('exit', done));
      current.kill('SIGTERM');
      const timer = setTimeout(() => current.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(timer);
    },
  };
};

export type FunctionProcess = ReturnType<typeof functionProcess>;
