import { randomUUID } from 'node:crypto';
import { brotliCompressSync } from 'node:zlib';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unpackDecision } from '#adapters/decision-items.js';
import { type BacktestPageMessage, firstPages, runBacktestPage } from '#domain/rules/backtest.js';
import { BacktestConfigSchema, backtestDeps } from '#handlers/backtest.js';
import { readRuleSetFile } from '#shared/rules-loader.js';
import { aTransaction } from '../fixtures/transactions.js';
import { adminFunction, bodyOf, type HandlerResources, handlerResources, validateFunction } from './resources.js';

/**
 * a backtest over decisions stored three ways (packed by this release, the
 * raw payload alone compressed by the one before, plain before that), at the window's edges.
 */

const ANA = { authorization: 'Bearer audit-bt-analyst-0000001' };
const SAM = { authorization: 'Bearer audit-bt-supervisor-000001' };
let resources: HandlerResources;
let admin: ReturnType<typeof adminFunction>;
let validate: Awaited<ReturnType<typeof validateFunction>>;

beforeAll(async () => {
  resources = await handlerResources();
  admin = adminFunction(resources, {
    ADMIN_TOKENS: 'ana:analyst:audit-bt-analyst-0000001,sam:supervisor:audit-bt-supervisor-000001',
  });
  validate = await validateFunction(resources);
  expect((await admin('GET', '/api/rule-sets/outbound', ANA)).statusCode).toBe(200);
});
afterAll(() => resources.destroy());

/** Runs every page of a backtest in this process (the queue replaced by an array). */
const runAll = async (backtestId: string) => {
  const config = resources.configOf(BacktestConfigSchema);
  const deps = backtestDeps(config, resources.documentClient, resources.sqs);
  const queue: BacktestPageMessage[] = firstPages(backtestId);
  const pages = { ...deps.pages, sendPages: async (messages: BacktestPageMessage[]) => void queue.push(...messages) };
  for (let message = queue.shift(); message; message = queue.shift()) await runBacktestPage(message, pages);
};

describe('a backtest over decisions stored packed, half-packed and plain', () => {
  it('evaluates all three, counts the one at `from` and not the one at `to`, and adds up', async () => {
    const file = (await readRuleSetFile('rules/default.yaml')) as { lists: Record<string, string[]>; rules: unknown[] };
    const created = await admin('POST', '/api/rule-sets/outbound/versions', SAM, {
      description: 'Rejects from 30,000',
      lists: file.lists,
      rules: [
        ...file.rules,
        { id: 'reject-30k', description: 'x', condition: 'tx.baseAmount >= 30000.0', outcome: 'REJECT' },
      ],
    });
    expect(created.statusCode).toBe(201);
    const version = Number(bodyOf(created).version);

    const payment = aTransaction({ customer: `audit-${randomUUID()}`, baseTotal: 35_000, total: 35_000 });
    const answer = bodyOf(await validate(payment));
    expect(answer.status).toBe('PENDING_EXTERNAL_APPROVAL');
    const packed = await resources.item('decisions', { transactionId: String(payment.id) });
    expect(packed?.packed).toBeInstanceOf(Uint8Array);
    const open = unpackDecision(packed) as Record<string, unknown>;

    const from = '2020-01-01T00:00:00.000Z';
    const to = '2020-01-02T00:00:00.000Z';
    // Out of the case index: only the stored form differs.
    const { packed: _packed, caseStatus: _case, caseOpenedAt: _opened, ...base } = packed as Record<string, unknown>;
    // The packed item itself, moved to the window's first instant.
    await resources.put('decisions', { ...packed, transactionId: `packed-${randomUUID()}`, createdAt: from });
    // The release before: transaction and facts plain, the raw payload alone compressed.
    await resources.put('decisions', {
      ...base,
      transactionId: `half-${randomUUID()}`,
      createdAt: '2020-01-01T10:00:00.000Z',
      transaction: open.transaction,
      facts: open.facts,
      raw: brotliCompressSync(Buffer.from(String(open.rawJson))),
    });
    // Before that: all plain.
    await resources.put('decisions', {
      ...base,
      transactionId: `plain-${randomUUID()}`,
      createdAt: '2020-01-01T23:59:59.999Z',
      transaction: open.transaction,
      facts: open.facts,
      rawJson: open.rawJson,
    });
    // At `to`: outside the window.
    await resources.put('decisions', { ...packed, transactionId: `at-to-${randomUUID()}`, createdAt: to });

    const started = await admin('POST', `/api/rule-sets/outbound/versions/${version}/backtests`, ANA, { from, to });
    expect(started.statusCode).toBe(202);
    const { backtestId } = bodyOf(started);
    await runAll(backtestId);
    const result = bodyOf(await admin('GET', `/api/backtests/${backtestId}`, ANA));
    expect(result).toMatchObject({ status: 'DONE', processed: 3, skipped: 0, total: 3 });
    expect(result.result.recorded).toEqual({ APPROVED: 0, REJECTED: 0, PENDING_EXTERNAL_APPROVAL: 3 });
    expect(result.result.candidate).toEqual({ APPROVED: 0, REJECTED: 3, PENDING_EXTERNAL_APPROVAL: 0 });
    expect(result.result.flipCount).toBe(3);
    expect(result.result.flips.map((flip: { rules: string[] }) => flip.rules)).toEqual([
      ['reject-30k'],
      ['reject-30k'],
      ['reject-30k'],
    ]);
    expect(result.result.perRule.find((rule: { rule: string }) => rule.rule === 'reject-30k')?.hits).toBe(3);
  });
});

describe('a backtest of the active version on a decision a monitoring provider rejected', () => {
  it('finds no flip: the rules answered as they would again (rulesStatus), whatever the provider said', async () => {
    const payment = aTransaction({ customer: `audit-${randomUUID()}`, baseTotal: 100, total: 100 });
    expect(bodyOf(await validate(payment)).status).toBe('APPROVED');
    const item = (await resources.item('decisions', { transactionId: String(payment.id) })) as Record<string, unknown>;
    const from = '2020-02-01T00:00:00.000Z';
    // As validate stores a decision a provider (primary) rejected while the rules approved.
    await resources.put('decisions', {
      ...item,
      transactionId: `provider-${randomUUID()}`,
      createdAt: from,
      status: 'REJECTED',
      initialStatus: 'REJECTED',
      providerName: 'http',
      rulesStatus: 'APPROVED',
      providerStatus: 'REJECTED',
    });
    const active = Number(bodyOf(await admin('GET', '/api/rule-sets/outbound', ANA)).active.version);
    const started = await admin('POST', `/api/rule-sets/outbound/versions/${active}/backtests`, ANA, {
      from,
      to: '2020-02-02T00:00:00.000Z',
    });
    const { backtestId } = bodyOf(started);
    await runAll(backtestId);
    const result = bodyOf(await admin('GET', `/api/backtests/${backtestId}`, ANA));
    expect(result).toMatchObject({ status: 'DONE', processed: 1 });
    expect(result.result.flipCount).toBe(0);
    expect(result.result.recorded).toEqual({ APPROVED: 1, REJECTED: 0, PENDING_EXTERNAL_APPROVAL: 0 });
  });
});

describe('a backtest that stops making progress', () => {
  it('is reported FAILED once no page was recorded for 45 minutes, and stays so', async () => {
    const started = await admin('POST', '/api/rule-sets/outbound/versions/1/backtests', ANA, {
      from: '2026-01-01T00:00:00Z',
      to: '2026-01-02T00:00:00Z',
    });
    expect(started.statusCode).toBe(202);
    const { backtestId } = bodyOf(started) as { backtestId: string };
    // No worker runs here: its pages wait in the queue, as if every worker had died on them.
    const fresh = bodyOf(await admin('GET', `/api/backtests/${backtestId}`, ANA));
    expect(fresh.status).toBe('RUNNING');

    // 44 minutes without a page: still RUNNING (a page may be on its last retries).
    const setAge = async (minutes: number) =>
      resources.documentClient.send(
        new UpdateCommand({
          TableName: resources.tables.analytics,
          Key: { pk: `backtest#${backtestId}`, sk: 'summary' },
          UpdateExpression: 'SET createdAt = :at',
          ExpressionAttributeValues: { ':at': new Date(Date.now() - minutes * 60_000).toISOString() },
        }),
      );
    await setAge(44);
    expect(bodyOf(await admin('GET', `/api/backtests/${backtestId}`, ANA)).status).toBe('RUNNING');

    await setAge(46);
    const stalled = bodyOf(await admin('GET', `/api/backtests/${backtestId}`, ANA));
    expect(stalled).toMatchObject({
      status: 'FAILED',
      error: expect.stringMatching(/^stalled: no page recorded since/),
    });
    expect(stalled.finishedAt).toEqual(expect.any(String));
    // Stored, not only shown: the listing says the same, and a late page can no longer count.
    const listed = bodyOf(await admin('GET', '/api/rule-sets/outbound/backtests', ANA)).backtests as {
      backtestId: string;
      status: string;
    }[];
    expect(listed.find((backtest) => backtest.backtestId === backtestId)?.status).toBe('FAILED');
    const stored = await resources.item('analytics', { pk: `backtest#${backtestId}`, sk: 'summary' });
    expect(stored).toMatchObject({ status: 'FAILED', error: expect.stringMatching(/^stalled/) });
  });
});

describe('backtests running at once', () => {
  it('are at most three per set: a fourth is refused with 409 and nothing is stored', async () => {
    const start = () =>
      admin('POST', '/api/rule-sets/outbound/versions/1/backtests', ANA, {
        from: '2026-02-01T00:00:00Z',
        to: '2026-02-02T00:00:00Z',
      });
    const listed = async () =>
      (bodyOf(await admin('GET', '/api/rule-sets/outbound/backtests', ANA)).backtests as { status: string }[]).filter(
        (backtest) => backtest.status === 'RUNNING',
      );
    // No worker runs here, so each stays RUNNING.
    const before = (await listed()).length;
    for (let i = before; i < 3; i++) expect((await start()).statusCode).toBe(202);
    expect(await listed()).toHaveLength(3);
    const refused = await start();
    expect(refused.statusCode).toBe(409);
    expect(bodyOf(refused).error.message).toMatch(/at most 3 at once/);
    expect(await listed()).toHaveLength(3);
  });
});
