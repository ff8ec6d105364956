/**
 * `npm run bench`: validate calls through the local HTTP path (gateway -> handler -> DynamoDB
 * Local) at concurrency 1 and 16, next to a floor measured in the same run: one DynamoDB Local
 * conditional put plus one get from this process. `--listener on` configures the OnePipe listener
 * (a local receiver answering 200), so every approval also writes its debit report to the outbox
 * and the whole delivery path (stream, queue, deliver) runs beside the calls. Goals: validate p50
 * at concurrency 1 and p99 at concurrency 16 each within 2x the floor's. Every loop is bounded in
 * count; all traffic stays on loopback.
 *
 * `--shadow`: what a shadow run adds to validate. Validate p50 at concurrency 1 without a shadow
 * version, with one (a copy of the shipped rules plus a rule, shadowed through the admin API, as a
 * supervisor would), and without again; and the shadow's in-memory evaluation per decision (the
 * `shadow` entry of Server-Timing) beside the live rules' (`rules`).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { startLocalStack } from '../local/stack.js';

const CALLS = Number(process.env.BENCH_CALLS ?? 1500);
const WARMUP = 200;
const GOAL_RATIO = 2;
const listenerFlag = process.argv.indexOf('--listener');
const LISTENER = listenerFlag > 0 && process.argv[listenerFlag + 1] === 'on';
const SHADOW = process.argv.includes('--shadow');

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;

const stats = (samples: number[]) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99) };
};

/** Runs `total` operations with `concurrency` workers; returns each one's latency in ms. */
const run = async (total: number, concurrency: number, operation: (index: number) => Promise<void>) => {
  const latencies: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < total) {
      const index = next++;
      const started = performance.now();
      await operation(index);
      latencies.push(performance.now() - started);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return latencies;
};

process.env.LOG_LEVEL = 'ERROR';
const listener = LISTENER
  ? createServer((request, response) => {
      request.resume();
      request.on('end', () =>
        response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"Successful"}'),
      );
    })
  : undefined;
if (listener) {
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  process.env.ONEPIPE_LISTENER_URL = `http://127.0.0.1:${(listener.address() as AddressInfo).port}/onepipe`;
  process.env.ONEPIPE_OUTBOUND_API_KEY = 'bench-onepipe-key';
  process.env.ONEPIPE_OUTBOUND_CLIENT_SECRET = 'bench-onepipe-secret';
}
const stack = await startLocalStack({ port: 0, adminPort: 0, prefix: `bench${Date.now()}` });
const example = JSON.parse(readFileSync('test/fixtures/seed-example.json', 'utf8')) as Record<string, unknown>;
const apiKey = String(process.env.TOQIO_API_KEY);
const db = DynamoDBDocumentClient.from(
  new DynamoDBClient({
    endpoint: stack.dynamodbEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  }),
);

const validateOnce = async (index: number) => {
  const body = {
    ...example,
    // In naira, OnePipe's currency: with the listener on, every approval owes a debit report.
    ...(LISTENER ? { currency: 'NGN', baseCurrency: 'NGN' } : {}),
    id: `bench-${randomUUID()}`,
    customer: `customer-${index % 200}`,
    destinationAccount: {
      ...(example.destinationAccount as object),
      iban: undefined,
      accountNumber: String(index % 500),
    },
  };
  const response = await fetch(`${stack.apiUrl}/transaction/validate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
    body: JSON.stringify(body),
  });
  const answer = (await response.json()) as { status?: string };
  if (response.status !== 200 || !answer.status || answer.status === undefined) {
    throw new Error(`validate answered ${response.status}: ${JSON.stringify(answer)}`);
  }
  const timing = response.headers.get('server-timing') ?? '';
  const duration = (name: string) => {
    const found = new RegExp(`${name};dur=([0-9.]+)`).exec(timing)?.[1];
    return found === undefined ? undefined : Number(found);
  };
  lastTimings = { rules: duration('rules'), shadow: duration('shadow') };
  const storage = duration('storage');
  if (storage !== undefined) storageSamples.push(storage);
};
let lastTimings: { rules?: number | undefined; shadow?: number | undefined } = {};
/** validate's own time in DynamoDB (Server-Timing `storage`: its read batch and its transaction). */
let storageSamples: number[] = [];

/** The admin API as a supervisor (the local demo token). */
const asSupervisor = async (method: string, path: string, body?: unknown) => {
  const response = await fetch(`${stack.adminUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${process.env.BENCH_SUPERVISOR_TOKEN ?? 'local-supervisor-token-0001'}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const answer = (await response.json()) as Record<string, unknown>;
  if (response.status >= 300)
    throw new Error(`${method} ${path} answered ${response.status}: ${JSON.stringify(answer)}`);
  return answer;
};

/** validate p50 at concurrency 1, with the shadow's and the live rules' evaluation times (µs) seen meanwhile. */
const runAlone = async () => {
  const shadowUs: number[] = [];
  const rulesUs: number[] = [];
  const latencies = await run(CALLS, 1, async (index) => {
    await validateOnce(index);
    if (lastTimings.shadow !== undefined) shadowUs.push(lastTimings.shadow * 1000);
    if (lastTimings.rules !== undefined) rulesUs.push(lastTimings.rules * 1000);
  });
  return { latency: stats(latencies), shadowUs: stats(shadowUs), rulesUs: stats(rulesUs), shadowed: shadowUs.length };
};

const shadowBench = async () => {
  await run(WARMUP, 1, validateOnce);
  const before = await runAlone();
  const active = (await asSupervisor('GET', '/api/rule-sets/outbound')).active as Record<string, unknown>;
  const draft = await asSupervisor('POST', '/api/rule-sets/outbound/versions', {
    description: 'bench: the active rules and one more, shadowed',
    lists: active.lists,
    rules: [
      ...(active.rules as unknown[]),
      {
        id: 'bench-shadow-rule',
        description: 'A rule only the shadow has',
        condition: 'tx.baseAmount > 1000000.0 && velocity.customer.h24.count > 3',
        outcome: 'REVIEW',
      },
    ],
  });
  await asSupervisor('POST', `/api/rule-sets/outbound/versions/${draft.version}/shadow`);
  // validate learns it within RULES_REFRESH_SECONDS: wait until an answer carries its timing.
  for (let index = 0; lastTimings.shadow === undefined; index++) {
    if (index > 2000) throw new Error('validate never evaluated the shadow');
    await validateOnce(index);
  }
  const shadowed = await runAlone();
  await asSupervisor('DELETE', `/api/rule-sets/outbound/versions/${draft.version}/shadow`);
  for (let index = 0; lastTimings.shadow !== undefined; index++) {
    if (index > 2000) throw new Error('validate never stopped evaluating the shadow');
    await validateOnce(index);
  }
  const after = await runAlone();
  const baseline = (before.latency.p50 + after.latency.p50) / 2;
  const f = (n: number) => n.toFixed(2).padStart(7);
  console.log(`\ntm-proxy bench --shadow: ${CALLS} calls per run at concurrency 1, local HTTP path, DynamoDB Local\n`);
  console.log(`without a shadow  validate p50 ${f(before.latency.p50)} ms  p95 ${f(before.latency.p95)} ms`);
  console.log(
    `with a shadow     validate p50 ${f(shadowed.latency.p50)} ms  p95 ${f(shadowed.latency.p95)} ms  (${shadowed.shadowed} of ${CALLS} calls evaluated it)`,
  );
  console.log(`without again     validate p50 ${f(after.latency.p50)} ms  p95 ${f(after.latency.p95)} ms`);
  console.log(
    `shadow evaluation per decision: p50 ${shadowed.shadowUs.p50.toFixed(0)} µs, p99 ${shadowed.shadowUs.p99.toFixed(0)} µs` +
      ` (the live rules: p50 ${shadowed.rulesUs.p50.toFixed(0)} µs, p99 ${shadowed.rulesUs.p99.toFixed(0)} µs)`,
  );
  console.log(`validate p50 with / without a shadow: ${(shadowed.latency.p50 / baseline).toFixed(3)}x`);
};

const floorOnce = async () => {
  const transactionId = `floor-${randomUUID()}`;
  await db.send(
    new PutCommand({
      TableName: stack.tables.decisions,
      Item: { transactionId, status: 'FLOOR', createdAt: new Date().toISOString() },
      ConditionExpression: 'attribute_not_exists(transactionId)',
    }),
  );
  await db.send(new GetCommand({ TableName: stack.tables.decisions, Key: { transactionId }, ConsistentRead: true }));
};

try {
  if (SHADOW) {
    await shadowBench();
  } else {
    await run(WARMUP, 4, validateOnce);
    await run(WARMUP, 4, floorOnce);
    const rows: string[] = [];
    const goals: string[] = [];
    for (const concurrency of [1, 16]) {
      const floor = stats(await run(CALLS, concurrency, floorOnce));
      const started = performance.now();
      storageSamples = [];
      const validate = stats(await run(CALLS, concurrency, validateOnce));
      const storage = stats(storageSamples);
      const seconds = (performance.now() - started) / 1000;
      const ratio = validate.p99 / floor.p99;
      // The goals: the median at concurrency 1 (one caller's latency), the tail at 16 (a burst).
      const [which, goalRatio] =
        concurrency === 1 ? (['p50', validate.p50 / floor.p50] as const) : (['p99', ratio] as const);
      goals.push(
        `validate ${which} at concurrency ${concurrency} within ${GOAL_RATIO}x the floor's -> ${goalRatio <= GOAL_RATIO ? 'MET' : 'NOT MET'} (${goalRatio.toFixed(2)}x)`,
      );
      const f = (n: number) => n.toFixed(2).padStart(8);
      rows.push(
        `c=${String(concurrency).padEnd(3)} validate p50 ${f(validate.p50)}  p95 ${f(validate.p95)}  p99 ${f(validate.p99)} ms` +
          ` | floor p50 ${f(floor.p50)}  p95 ${f(floor.p95)}  p99 ${f(floor.p99)} ms` +
          ` | p50 ratio ${(validate.p50 / floor.p50).toFixed(2)}x  p99 ratio ${ratio.toFixed(2)}x | ${(CALLS / seconds).toFixed(0)} validate/s` +
          `\n      of which in DynamoDB (Server-Timing storage: one read batch, one transaction) p50 ${f(storage.p50)}  p99 ${f(storage.p99)} ms` +
          ` = ${(storage.p50 / floor.p50).toFixed(2)}x / ${(storage.p99 / floor.p99).toFixed(2)}x the floor's`,
      );
    }
    const rssMb = (process.memoryUsage().rss / 1024 / 1024).toFixed(0);
    console.log(
      `\ntm-proxy bench: ${CALLS} calls per run, local HTTP path, DynamoDB Local, OnePipe listener ${LISTENER ? 'on' : 'off'}\n`,
    );
    for (const row of rows) console.log(row);
    console.log(`\nprocess RSS after the runs: ${rssMb} MB (gateway, handlers and bench client in one process)`);
    console.log(`goals (listener ${LISTENER ? 'on' : 'off'}): ${goals.join('; ')}`);
  }
} finally {
  db.destroy();
  await stack.stop();
  listener?.close();
}
