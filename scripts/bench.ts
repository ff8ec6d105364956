/**
 * `npm run bench`: validate calls through the local HTTP path (gateway -> handler -> DynamoDB
 * Local) at concurrency 1 and 16, next to a floor measured in the same run: one DynamoDB Local
 * conditional put plus one get from this process. Goal: validate p99 within 3x the floor's p99.
 * Every loop is bounded in count; all traffic stays on loopback.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { startLocalStack } from '../local/stack.js';

const CALLS = Number(process.env.BENCH_CALLS ?? 1500);
const WARMUP = 200;
const GOAL_RATIO = 3;

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

const stack = await startLocalStack({ port: 0, adminPort: 0, prefix: `bench${Date.now()}` });
process.env.LOG_LEVEL = 'ERROR';
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
  await run(WARMUP, 4, validateOnce);
  await run(WARMUP, 4, floorOnce);
  const rows: string[] = [];
  let worst = 0;
  for (const concurrency of [1, 16]) {
    const floor = stats(await run(CALLS, concurrency, floorOnce));
    const started = performance.now();
    const validate = stats(await run(CALLS, concurrency, validateOnce));
    const seconds = (performance.now() - started) / 1000;
    const ratio = validate.p99 / floor.p99;
    worst = Math.max(worst, ratio);
    const f = (n: number) => n.toFixed(2).padStart(8);
    rows.push(
      `c=${String(concurrency).padEnd(3)} validate p50 ${f(validate.p50)}  p95 ${f(validate.p95)}  p99 ${f(validate.p99)} ms` +
        ` | floor p50 ${f(floor.p50)}  p95 ${f(floor.p95)}  p99 ${f(floor.p99)} ms` +
        ` | p99 ratio ${ratio.toFixed(2)}x | ${(CALLS / seconds).toFixed(0)} validate/s`,
    );
  }
  const rssMb = (process.memoryUsage().rss / 1024 / 1024).toFixed(0);
  console.log(`\ntm-proxy bench: ${CALLS} calls per run, local HTTP path, DynamoDB Local\n`);
  for (const row of rows) console.log(row);
  console.log(`\nprocess RSS after the runs: ${rssMb} MB (gateway, handlers and bench client in one process)`);
  console.log(
    `goal: validate p99 within ${GOAL_RATIO}x the floor p99 -> ${worst <= GOAL_RATIO ? 'MET' : 'NOT MET'} (worst ${worst.toFixed(2)}x)`,
  );
} finally {
  db.destroy();
  await stack.stop();
}
