import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../local/ports.js';
import { eventually, startReceiver } from '../fixtures/receiver.js';
import { aNewBeneficiary, aTransaction } from '../fixtures/transactions.js';
import { TOQIO_KEY, validate } from './stack.js';

const dataDir = mkdtempSync(join(tmpdir(), 'tm-proxy-start-'));
const running = new Set<ChildProcess>();
afterAll(() => {
  // A failed test must not leave a system running: kill whatever group is still there.
  for (const child of running) if (child.pid && child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

interface Started {
  child: ChildProcess;
  apiUrl: string;
  adminUrl: string;
  output: () => string;
}

/** Runs `npm start` as a user would, on free ports, until it prints its banner. */
const npmStart = async (args: string[] = [], extraEnv: Record<string, string> = {}): Promise<Started> => {
  const [port, adminPort, dynamodbPort, sqsPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const child = spawn('npm', ['start', '--', ...args], {
    env: {
      ...process.env,
      PORT: String(port),
      ADMIN_PORT: String(adminPort),
      DYNAMODB_PORT: String(dynamodbPort),
      SQS_PORT: String(sqsPort),
      LOCAL_DATA_DIR: dataDir,
      // The child is a new system: none of the test run's table names or endpoints leak into it.
      DECISIONS_TABLE: '',
      COUNTERS_TABLE: '',
      DELIVERIES_TABLE: '',
      DELIVERIES_QUEUE_URL: '',
      DELIVERIES_DLQ_URL: '',
      DYNAMODB_ENDPOINT: '',
      SQS_ENDPOINT: '',
      TOQIO_WEBHOOK_BASE_URL: '',
      // As on a developer's machine: npm start itself keeps the AWS SDK's Node.js version warning out.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: '',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, like a terminal's foreground job, so Ctrl-C can reach all of it.
    detached: true,
  });
  running.add(child);
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not get ready:\n${output}`)), 40_000);
    const check = setInterval(() => {
      if (output.includes('Ctrl-C stops everything')) {
        clearInterval(check);
        clearTimeout(timer);
        resolve();
      }
    }, 50);
    child.once('exit', (code) => {
      clearInterval(check);
      clearTimeout(timer);
      reject(new Error(`npm start exited with ${code}:\n${output}`));
    });
  });
  return { child, apiUrl: `http://127.0.0.1:${port}`, adminUrl: `http://127.0.0.1:${adminPort}`, output: () => output };
};

/** Sends Ctrl-C (SIGINT) to the whole process group, as a terminal does, and waits for exit. */
const ctrlC = async (started: Started) => {
  const exited = new Promise((resolve) => started.child.once('exit', resolve));
  if (started.child.pid) process.kill(-started.child.pid, 'SIGINT');
  await exited;
  running.delete(started.child);
};

const javaProcessesUsing = (dir: string): string => {
  try {
    return execFileSync('pgrep', ['-f', dir], { encoding: 'utf8' }).trim();
  } catch {
    return ''; // pgrep exits 1 when nothing matches
  }
};

describe('npm start', () => {
  it('starts, prints how to call it, keeps data across restarts, and Ctrl-C leaves no Java behind', async () => {
    const first = await npmStart(['--fresh']);
    expect(first.output()).toMatch(/curl -s -X POST http:\/\/127\.0\.0\.1:\d+\/transaction\/validate/);
    expect(first.output()).toContain(`x-api-key: ${TOQIO_KEY}`);
    expect(first.output()).toMatch(/ready in \d+(\.\d)? s/);
    // The SDK's Node.js version warning is not printed; the analysts' UI is the first address.
    expect(first.output()).not.toContain('NodeVersionSupportWarning');
    const [firstAddress] = first
      .output()
      .split('\n')
      .filter((line) => /https?:\/\//.test(line));
    expect(firstAddress?.trim().split(/\s{2,}/)).toEqual(["Analysts' UI", `${first.adminUrl}/`]);
    expect(first.output()).toMatch(/Node\.js +v\d+\.\d+\.\d+ here; the functions run on Node\.js 22 in AWS/);
    expect((await fetch(`${first.apiUrl}/health`)).status).toBe(200);
    const payload = aTransaction({ baseTotal: 20000 });
    expect((await validate(first.apiUrl, payload)).body.status).toBe('PENDING_EXTERNAL_APPROVAL');
    await ctrlC(first);
    expect(javaProcessesUsing(dataDir)).toBe('');

    const second = await npmStart();
    // The same id is answered from the stored decision: the data survived the restart.
    const again = await validate(second.apiUrl, { ...payload, baseTotal: 1 });
    expect(again.body.status).toBe('PENDING_EXTERNAL_APPROVAL');
    await ctrlC(second);

    const fresh = await npmStart(['--fresh']);
    expect((await validate(fresh.apiUrl, { ...payload, baseTotal: 1 })).body.status).toBe('APPROVED');
    await ctrlC(fresh);
    expect(javaProcessesUsing(dataDir)).toBe('');
  }, 150_000);
});

describe('stopping npm start', () => {
  it('lets webhooks in flight finish and be recorded before storage stops, so none is sent twice', async () => {
    const onepipe = await startReceiver();
    // OnePipe answers each report after 1.5 s: the stop arrives while many are being sent.
    onepipe.plan('/onepipe', { slowAttempts: Array.from({ length: 200 }, (_, index) => index + 1), delayMs: 1500 });
    const env = {
      ONEPIPE_LISTENER_URL: `${onepipe.url}/onepipe`,
      ONEPIPE_OUTBOUND_CLIENT_SECRET: 'start-test-outbound-secret',
      ONEPIPE_OUTBOUND_API_KEY: 'start-test-outbound-key',
    };
    try {
      const first = await npmStart(['--fresh'], env);
      // Approved naira payments (different customers and beneficiaries): each owes OnePipe a debit report.
      const payment = (index: number) =>
        aTransaction({ currency: 'NGN', customer: `stop-test-${index}`, destinationAccount: aNewBeneficiary() });
      expect((await validate(first.apiUrl, payment(-1))).body.status).toBe('APPROVED'); // warm
      // Five at a time: what is tested is the reports in flight at Ctrl-C, not a burst against the
      // validate budget on a busy 2-core machine (a burst of 20 could answer one degraded).
      const answers: Awaited<ReturnType<typeof validate>>[] = [];
      for (let batch = 0; batch < 4; batch++) {
        answers.push(
          ...(await Promise.all(
            Array.from({ length: 5 }, (_, index) => validate(first.apiUrl, payment(batch * 5 + index))),
          )),
        );
      }
      expect(answers.map((answer) => answer.body.status)).toEqual(Array(20).fill('APPROVED'));
      await eventually(async () => onepipe.requests.length >= 8, 'reports in flight', 30_000);
      await ctrlC(first);
      expect(first.output()).not.toMatch(/ECONNREFUSED|All records failed processing/);

      // Every report that reached OnePipe before the stop is recorded as delivered, once. They are
      // read before the restart: the second run sends the reports still owed (its stream reader
      // republishes them) as soon as it starts, and one of those may be in flight when it is read.
      const sentBeforeStop = onepipe.requests.map((request) => String(request.headers['webhook-id']));
      const second = await npmStart([], env);
      const delivery = async (deliveryId: string) => {
        const response = await fetch(`${second.adminUrl}/api/deliveries/${deliveryId}`, {
          headers: { authorization: 'Bearer local-analyst-token-0001' },
        });
        return (await response.json()) as { status: string; attemptCount: number };
      };
      for (const deliveryId of sentBeforeStop) {
        expect(await delivery(deliveryId)).toMatchObject({ status: 'DELIVERED', attemptCount: 1 });
      }
      // The rest are sent by the second run: all 21 reach OnePipe, each exactly once.
      await eventually(async () => onepipe.requests.length >= 21, 'every report sent', 60_000);
      const sent = onepipe.requests.map((request) => String(request.headers['webhook-id']));
      await eventually(
        async () => (await Promise.all(sent.map(delivery))).every((record) => record.status === 'DELIVERED'),
        'every report recorded',
        30_000,
      );
      expect(onepipe.requests.length).toBe(21);
      expect(new Set(sent).size).toBe(21);
      await ctrlC(second);
    } finally {
      await onepipe.close();
    }
  }, 150_000);
});
