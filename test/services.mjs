import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** Spawns local/services.ts and resolves with its endpoints and a stop function. */
export const startServices = () =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'local/services.ts'], {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: process.env,
    });
    const timer = setTimeout(() => reject(new Error('local services did not start within 60 s')), 60_000);
    child.once('exit', (code) => reject(new Error(`local services exited early (${code})`)));
    createInterface({ input: child.stdout }).once('line', (line) => {
      clearTimeout(timer);
      const endpoints = JSON.parse(line);
      const exited = new Promise((done) => child.once('exit', done));
      resolve({
        ...endpoints,
        stop: async () => {
          child.kill('SIGTERM');
          await exited;
        },
      });
    });
  });
