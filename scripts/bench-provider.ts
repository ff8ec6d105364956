/**
 * `npm run bench` (second part): what asking a monitoring provider costs a validate call, now that
 * a retried call never reaches the provider. A loopback provider answers every screening after a
 * fixed PROVIDER_MS. New payments pay the provider's time (started as soon as the stored-answer
 * read says the payment is new, in parallel with the counter reads); replays pay neither the
 * provider nor its time. The provider starts one consistent GetItem later than it could (the
 * stored-answer read): that read, measured here as a floor, is the price of never screening a
 * replay twice. Every loop is bounded in count; all traffic stays on loopback.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { startLocalStack } from '../local/stack.js';

const CALLS = Number(process.env.BENCH_PROVIDER_CALLS ?? 300);
const PROVIDER_MS = 25;

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
const stats = (samples: number[]) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
};
const timed = async (total: number, operation: (index: number) => Promise<void>) => {
  const latencies: number[] = [];
  for (let index = 0; index < total; index++) {
    const started = performance.now();
    await operation(index);
    latencies.push(performance.now() - started);
  }
  return stats(latencies);
};

let screenings = 0;
const provider = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    screenings++;
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ decision: 'pass' }));
    }, PROVIDER_MS);
  });
});
await new Promise<void>((done) => provider.listen(0, '127.0.0.1', done));
Object.assign(process.env, {
  TM_PROVIDER: 'http',
  TM_PROVIDER_MODE: 'both',
  LOG_LEVEL: 'ERROR',
  HTTP_PROVIDER_CONFIG: JSON.stringify({
    name: 'bench',
    url: `http://127.0.0.1:${(provider.address() as AddressInfo).port}/screen`,
    auth: { type: 'apiKey', header: 'x-api-key', key: 'bench-provider-key' },
    request: { transactionId: 'tx.id', amount: 'tx.baseAmount' },
    response: { statusPath: 'decision', statusMap: { pass: 'APPROVED', review: 'PENDING', fail: 'REJECTED' } },
  }),
});
const stack = await startLocalStack({ port: 0, adminPort: 0, prefix: `benchp${Date.now()}` });
const example = JSON.parse(readFileSync('test/fixtures/seed-example.json', 'utf8')) as Record<string, unknown>;
const db = DynamoDBDocumentClient.from(
  new DynamoDBClient({
    endpoint: stack.dynamodbEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  }),
);
const ids: string[] = [];
const call = async (id: string, index: number) => {
  const response = await fetch(`${stack.apiUrl}/transaction/validate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': String(process.env.TOQIO_API_KEY) },
    body: JSON.stringify({ ...example, id, customer: `bench-provider-${index % 100}` }),
  });
  const answer = (await response.json()) as { status?: string; reasons?: { rule: string }[] };
  if (response.status !== 200 || answer.reasons?.some((reason) => reason.rule === 'SERVICE_DEGRADED')) {
    throw new Error(`validate answered ${response.status}: ${JSON.stringify(answer)}`);
  }
};

try {
  for (let index = 0; index < 50; index++) await call(`warm-${randomUUID()}`, index);
  const fresh = await timed(CALLS, async (index) => {
    const id = `bench-${randomUUID()}`;
    ids.push(id);
    await call(id, index);
  });
  const screenedBeforeReplays = screenings;
  const replay = await timed(CALLS, (index) => call(ids[index] as string, index));
  const replayScreenings = screenings - screenedBeforeReplays;
  const read = await timed(CALLS, async (index) => {
    await db.send(
      new GetCommand({ TableName: stack.tables.decisions, Key: { transactionId: ids[index] }, ConsistentRead: true }),
    );
  });
  const f = (n: number) => n.toFixed(2).padStart(7);
  console.log(
    `\ntm-proxy bench, provider: ${CALLS} calls each at concurrency 1, provider answers in ${PROVIDER_MS} ms\n`,
  );
  console.log(`new payment  validate p50 ${f(fresh.p50)}  p99 ${f(fresh.p99)} ms  (provider screened each once)`);
  console.log(
    `replay       validate p50 ${f(replay.p50)}  p99 ${f(replay.p99)} ms  (provider calls during replays: ${replayScreenings})`,
  );
  console.log(
    `cost of screening only new payments: the provider starts after one consistent GetItem, p50 ${f(read.p50)} ms`,
  );
  console.log(`goal: no replay reaches the provider -> ${replayScreenings === 0 ? 'MET' : 'NOT MET'}`);
} finally {
  db.destroy();
  await stack.stop();
  provider.close();
}
