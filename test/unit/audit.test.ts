import { buildFacts } from '../../functions/domain/decisions/decision.js';
import { normaliseTransaction, TransactionSchema } from '../../functions/domain/decisions/transaction.js';
import { velocityFacts } from '../../functions/domain/decisions/velocity.js';
import { BacktestRequestSchema, evaluatePage } from '../../functions/domain/rules/backtest.js';
import { compileRuleSet } from '../../functions/domain/rules/engine.js';
import { RulePerformanceQuerySchema } from '../../functions/domain/rules/rule-performance.js';
import { seedExample } from '../fixtures/transactions.js';

/** Audit findings (branch `audit`): each test shows one defect. */

describe('audit: windows past year 9999 once normalised to UTC', () => {
  it('refuses a backtest window whose end, in UTC, is in year 10000 (it would compare as text before every decision)', () => {
    // 9999-12-31T23:59:59-23:59 is 10000-01-01T23:58:59Z: toISOString gives '+010000-…', which
    // sorts before '2026-…' as text, so `createdAt < to` is false for every stored decision.
    const parsed = BacktestRequestSchema.safeParse({ from: '2026-01-01T00:00:00Z', to: '9999-12-31T23:59:59-23:59' });
    if (parsed.success) expect(parsed.data.to < '2026-11-23T00:00:00.000Z').toBe(false);
    else expect(parsed.error.issues.map((issue) => issue.path.join('.'))).toContain('to');
  });

  it('refuses a performance window that ends in year 10000 in UTC (DynamoDB refuses BETWEEN with it: a 500)', () => {
    const parsed = RulePerformanceQuerySchema.safeParse({
      from: '9999-12-31T00:00:00Z',
      to: '9999-12-31T23:59:59-23:59',
    });
    expect(parsed.success).toBe(false);
  });
});

describe('audit: a backtest of the active rules on a decision a monitoring provider changed', () => {
  const RULES = compileRuleSet({
    version: 'outbound@1',
    rules: [
      {
        id: 'reject-30k',
        description: 'x',
        condition: 'tx.baseAmount >= 30000.0',
        outcome: 'REJECT',
        enabled: true,
      },
    ],
    lists: {},
  });

  it('shows no flip when the candidate is the very rules that decided (the provider’s verdict is not the rules’)', () => {
    const transaction = normaliseTransaction(TransactionSchema.parse({ ...seedExample(), baseTotal: 500, total: 500 }));
    const facts = buildFacts(
      transaction,
      velocityFacts({
        hasBeneficiary: true,
        firstTimeBeneficiary: false,
        baseAmountMillis: transaction.baseAmountMillis,
        nowSeconds: Math.floor(Date.now() / 1000),
        counted: true,
      }),
      false,
    );
    const { tx, ...stored } = facts;
    // What validate stores when the rules approve and the provider (primary mode) rejects.
    const item = {
      transactionId: 'provider-rejected',
      createdAt: '2026-11-01T10:00:00.000Z',
      status: 'REJECTED',
      initialStatus: 'REJECTED',
      rulesStatus: 'APPROVED',
      providerStatus: 'REJECTED',
      hits: [],
      ruleErrors: [],
      facts: stored,
      transaction: tx,
    };
    expect(RULES.evaluate(facts).status).toBe('APPROVED');
    const page = evaluatePage(RULES, [item], 1);
    // Today: a flip APPROVED <- REJECTED whose `rules` is empty: a change no rule made.
    expect(page.flips).toEqual([]);
    expect(page.counts.flipCount).toBe(0);
  });
});

describe('audit: the default performance window when `to` is given at midnight', () => {
  it('lists 30 UTC days, as without `to` (the 30 days before that midnight)', async () => {
    const { performanceWindow, windowDays } = await import('../../functions/domain/rules/rule-performance.js');
    const window = performanceWindow({ to: '2026-11-02T00:00:00Z' }, new Date('2026-11-23T16:00:00Z'));
    // Today: from 2026-10-04, so 29 days (2026-10-04 .. 2026-11-01).
    expect(windowDays(window.from, window.to)).toHaveLength(30);
    expect(window.from.toISOString()).toBe('2026-10-03T00:00:00.000Z');
  });
});

describe('audit: a shadow report since a time past year 9999 in UTC', () => {
  it('is refused (as `+010000-…` it sorts before every row, so the report would count them all)', async () => {
    const { ShadowReportQuerySchema } = await import('../../functions/domain/rules/rule-stats.js');
    expect(ShadowReportQuerySchema.safeParse({ since: '9999-12-31T23:59:59-23:59' }).success).toBe(false);
  });
});
