import { createServer } from 'node:net';

/** A port that was free a moment ago on loopback (for processes that cannot take port 0). */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });

/** Thrown by a `waitFor` check when waiting cannot help: `waitFor` stops and throws it at once. */
export class GiveUp extends Error {
  override name = 'GiveUp';
}

/** Polls `check` until it resolves, or fails after `timeoutMs` with the last error (at once on GiveUp). */
export const waitFor = async (check: () => Promise<unknown>, timeoutMs: number, what: string): Promise<void> => {
  const until = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < until) {
    try {
      await check();
      return;
    } catch (error) {
      if (error instanceof GiveUp) throw error;
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`${what} did not become ready within ${timeoutMs} ms: ${(lastError as Error)?.message}`);
};

/** Starts an HTTP(S) server on a free loopback port; resolves with the port. */
export const listenOnLoopback = async (server: import('node:http').Server): Promise<number> => {
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return (server.address() as import('node:net').AddressInfo).port;
};

/** Stops an HTTP(S) server at once: its connections (idle keep-alive ones too) are closed, then it stops listening. */
export const closeServer = (server: import('node:http').Server): Promise<void> =>
  new Promise<void>((done) => {
    server.closeAllConnections();
    server.close(() => done());
  });
