/**
 * npm run bench:backtest: one backtest of 100,000 stored decisions through the real path, timed.
 * The local stack (DynamoDB Local, fauxqs, the admin function, the backtest worker's SQS poller
 * with the route table's batch size and concurrency) is started in this process; 100,000 decision
 * items are seeded with BatchWriteItem, each built by the very code saveDecision stores with
 * (decisionItem, on a decision the shipped rules made); then an analyst starts a backtest of a
 * draft that adds a rule, over a window holding all of them, and the bench waits for DONE.
 * Prints decisions, seconds, decisions/s and the read units the Scan consumed (as DynamoDB Local
 * reports them), and checks the target: 100,000 decisions in under 2 minutes.
 * `BENCH_BACKTEST_DECISIONS` changes the count.
 */
import './quiet-logs.js';
import { readFileSync } from 'node:fs';
import '../local/sdk-notices.js';
import { BatchWriteCommand, type BatchWriteCommandInput, type BatchWriteCommandOutput } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '#adapters/aws-clients.js';
import { decisionItem } from '#adapters/decision-repository.js';
import { decidePayment } from '#domain/decisions/decision.js';
import { normaliseTransaction, TransactionSchema } from '#domain/decisions/transaction.js';
import { factsOfPayment } from '#domain/rules/rule-test.js';
import { loadRulesEngine } from '#shared/rules-loader.js';
import { startLocalStack } from '../local/stack.js';

const DECISIONS = Number(process.env.BENCH_BACKTEST_DECISIONS ?? 100_000);
const TARGET_SECONDS = 120;
/** README's price of a DynamoDB on-demand read request unit (What it costs). */
const READ_UNIT_PRICE = 0.125 / 1e6;
const ANALYST = 'Bearer local-analyst-token-0001';
const SUPERVISOR = 'Bearer local-supervisor-token-0001';

/** A small seeded generator: the same history on every run. */
let seed = 17;
const random = () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
  return seed / 2 ** 31;
};

/** Toqio's published example (the Save Transaction seed), as the other benches send it. */
const example = JSON.parse(readFileSync('test/fixtures/seed-example.json', 'utf8')) as Record<string, unknown>;

/** A Toqio payment: mostly small, some held for review, a few to a FATF call-for-action country. */
const payment = (index: number) => {
  const roll = random();
  const amount = roll < 0.7 ? 50 + random() * 9_000 : roll < 0.93 ? 10_000 + random() * 60_000 : 100 + random() * 500;
  const rounded = Math.round(amount * 100) / 100;
  return {
    ...example,
    id: `bench-${index}`,
    customer: `customer-${Math.floor(random() * 5_000)}`,
    total: rounded,
    baseTotal: rounded,
    concept: `Invoice ${index}`,
    destinationAccount: {
      ...(example.destinationAccount as Record<string, unknown>),
      id: `dest-${Math.floor(random() * 20_000)}`,
      countryCode: roll >= 0.93 ? 'KP' : 'GB',
    },
  };
};

const started = Date.now();
// One UI directory for every run (the admin function serves it; the bench never opens it).
const stack = await startLocalStack({
  port: 0,
  adminPort: 0,
  prefix: `bench-bt-${Date.now()}`,
  uiDir: '.local/ui-bench-backtest',
});
const documentClient = createDocumentClient({ region: 'us-east-1', dynamodbEndpoint: stack.dynamodbEndpoint });
const admin = async (path: string, token: string, body?: unknown) => {
  const response = await fetch(`${stack.adminUrl}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json', authorization: token },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const answer = (await response.json()) as Record<string, unknown>;
  if (response.status >= 300) throw new Error(`${path}: ${response.status} ${JSON.stringify(answer)}`);
  return answer;
};

try {
  // History: the last 30 days, decided by the shipped rules, stored as validate stores it.
  const engine = await loadRulesEngine('rules/default.yaml');
  const end = Date.now();
  const span = 30 * 86_400_000;
  const items = Array.from({ length: DECISIONS }, (_, index) => {
    const payload = payment(index);
    const decidedAt = new Date(end - span + Math.floor((index / DECISIONS) * span));
    const parsed = TransactionSchema.parse(payload);
    const decision = decidePayment({
      transaction: normaliseTransaction(parsed),
      facts: factsOfPayment(parsed, decidedAt),
      engine,
      now: decidedAt,
    });
    return decisionItem(decision, { attemptId: `bench-${index}`, rawJson: JSON.stringify(payload) });
  });
  const built = Date.now();
  // BatchWriteItem: 25 items a call, 8 calls at a time, unprocessed items sent again.
  const batches: Record<string, unknown>[][] = [];
  for (let start = 0; start < items.length; start += 25) batches.push(items.slice(start, start + 25));
  let next = 0;
  const writer = async () => {
    while (next < batches.length) {
      const batch = batches[next++] ?? [];
      let request: BatchWriteCommandInput['RequestItems'] = {
        [stack.tables.decisions]: batch.map((Item) => ({ PutRequest: { Item } })),
      };
      while (request && Object.keys(request).length > 0) {
        const written: BatchWriteCommandOutput = await documentClient.send(
          new BatchWriteCommand({ RequestItems: request }),
        );
        request = written.UnprocessedItems;
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, writer));
  const seeded = Date.now();
  const bytes = items.reduce((sum, item) => sum + JSON.stringify(item).length, 0);
  console.log(
    `seeded ${DECISIONS} decisions (about ${Math.round(bytes / DECISIONS)} bytes each as JSON): built in ${((built - started) / 1000).toFixed(1)} s (with the stack's start), written in ${((seeded - built) / 1000).toFixed(1)} s`,
  );

  // The candidate: the active version with one more rule, left a draft.
  const active = (await admin('/api/rule-sets/outbound', ANALYST)).active as {
    lists: Record<string, string[]>;
    rules: Record<string, unknown>[];
  };
  const draft = await admin('/api/rule-sets/outbound/versions', SUPERVISOR, {
    description: 'Bench: reject 30,000 and more',
    lists: active.lists,
    rules: [
      ...active.rules.map(({ id, description, condition, outcome, score, enabled }) => ({
        id,
        description,
        condition,
        outcome,
        score,
        enabled,
      })),
      { id: 'reject-30k', description: '30,000 or more', condition: 'tx.baseAmount >= 30000.0', outcome: 'REJECT' },
    ],
  });
  const window = { from: new Date(end - span - 60_000).toISOString(), to: new Date().toISOString() };
  const t0 = Date.now();
  const { backtestId } = (await admin(
    `/api/rule-sets/outbound/versions/${draft.version}/backtests`,
    ANALYST,
    window,
  )) as {
    backtestId: string;
  };
  let result: Record<string, unknown>;
  let lastPrint = 0;
  for (;;) {
    result = await admin(`/api/backtests/${backtestId}`, ANALYST);
    if (result.status !== 'RUNNING') break;
    if (Date.now() - lastPrint > 10_000) {
      lastPrint = Date.now();
      console.log(
        `  ${((Date.now() - t0) / 1000).toFixed(0)} s: ${result.processed} evaluated, ${result.segmentsDone}/${result.segments} segments`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const seconds = (Date.now() - t0) / 1000;
  const processed = Number(result.processed);
  const readUnits = Number(result.readUnits);
  const outcome = result.result as { recorded: unknown; candidate: unknown; flipCount: number };
  console.log(`\nbacktest ${backtestId}: ${result.status}${result.error ? ` (${result.error})` : ''}`);
  console.log(
    `recorded ${JSON.stringify(outcome.recorded)}\ncandidate ${JSON.stringify(outcome.candidate)}, ${outcome.flipCount} flips\n`,
  );
  console.table([
    {
      decisions: processed,
      skipped: result.skipped,
      seconds: Number(seconds.toFixed(1)),
      'decisions/s': Math.round(processed / seconds),
      'read units (Scan)': readUnits,
      'read units per 100k': Math.round((readUnits / Number(result.scanned)) * 100_000),
      '$ per 100k (reads)': Number(((readUnits / Number(result.scanned)) * 100_000 * READ_UNIT_PRICE).toFixed(4)),
    },
  ]);
  const ok = result.status === 'DONE' && processed === DECISIONS && seconds < TARGET_SECONDS;
  console.log(
    `target: ${DECISIONS.toLocaleString('en')} decisions in under ${TARGET_SECONDS} s: ${ok ? 'met' : 'NOT met'} (${seconds.toFixed(1)} s; local DynamoDB, one process, this machine)`,
  );
  process.exitCode = ok ? 0 : 1;
} finally {
  documentClient.destroy();
  await stack.stop();
}
