import { randomUUID } from 'node:crypto';
import { brotliCompressSync } from 'node:zlib';
import { unpackDecision } from '#adapters/decision-items.js';
import { type BacktestPageMessage, firstPages, runBacktestPage } from '#domain/rules/backtest.js';
import { BacktestConfigSchema, backtestDeps } from '#handlers/backtest.js';
import { readRuleSetFile } from '#shared/rules-loader.js';
import { aTransaction } from '../fixtures/transactions.js';
import { adminFunction, bodyOf, type HandlerResources, handlerResources, validateFunction } from './resources.js';

/**
 * Audit (branch `audit`): a backtest over decisions stored three ways (packed by this release, the
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
  const deps = backtestDeps(config, resources.documentClient, resources.sqsClient);
  const queue: BacktestPageMessage[] = firstPages(backtestId);
  const pages = { ...deps.pages, sendPages: async (messages: BacktestPageMessage[]) => void queue.push(...messages) };
  for (let message = queue.shift(); message; message = queue.shift()) await runBacktestPage(message, pages);
};

describe('audit: a backtest over decisions stored packed, half-packed and plain', () => {
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

describe('audit: a backtest of the active version on a decision a monitoring provider rejected', () => {
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
