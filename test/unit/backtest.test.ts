import { buildFacts } from '../../functions/domain/decisions/decision.js';
import { normaliseTransaction, TransactionSchema } from '../../functions/domain/decisions/transaction.js';
import { velocityFacts } from '../../functions/domain/decisions/velocity.js';
import {
  BacktestRequestSchema,
  backtestView,
  evaluatePage,
  FLIP_LIST_LIMIT,
  flattenCounts,
  unflattenCounts,
} from '../../functions/domain/rules/backtest.js';
import { compileRuleSet } from '../../functions/domain/rules/engine.js';
import { seedExample } from '../fixtures/transactions.js';

/** A candidate: hold from 10,000, reject from 30,000, and a rule that cannot be evaluated on a refund. */
const engine = compileRuleSet({
  version: 'candidate',
  rules: [
    { id: 'hold-10k', description: 'hold', condition: 'tx.baseAmount >= 10000.0', outcome: 'REVIEW' },
    { id: 'reject-30k', description: 'reject', condition: 'tx.baseAmount >= 30000.0', outcome: 'REJECT' },
    { id: 'off', description: 'disabled', condition: 'true', outcome: 'REJECT', enabled: false },
    { id: 'broken', description: 'errs', condition: 'tx.isRefund && tx.nope == 1', outcome: 'REVIEW' },
  ],
});

/** A stored decision as the scan returns it: facts without tx, the normalised transaction beside them. */
const stored = (amount: number, recorded: Record<string, unknown>, changes: Record<string, unknown> = {}) => {
  const tx = normaliseTransaction(
    TransactionSchema.parse({ ...seedExample(), id: `t-${amount}`, total: amount, baseTotal: amount, ...changes }),
  );
  const velocity = velocityFacts({
    hasBeneficiary: true,
    firstTimeBeneficiary: false,
    baseAmountMillis: tx.baseAmountMillis,
    nowSeconds: 1_800_000_000,
  });
  const { tx: _tx, ...facts } = buildFacts(tx, velocity, false);
  return {
    transactionId: tx.id,
    createdAt: `2026-11-01T00:00:${String(amount % 60).padStart(2, '0')}.000Z`,
    facts,
    transaction: tx,
    hits: [],
    ruleErrors: [],
    ...recorded,
  };
};

describe('a backtest page', () => {
  it('counts analysts only when a person decided, never the SLA sweep or a provider', () => {
    const page = evaluatePage(
      engine,
      [
        stored(31_000, { status: 'APPROVED', initialStatus: 'PENDING_EXTERNAL_APPROVAL', decidedBy: 'ana' }),
        stored(32_000, { status: 'REJECTED', initialStatus: 'PENDING_EXTERNAL_APPROVAL', decidedBy: 'system:sla' }),
        stored(33_000, { status: 'REJECTED', initialStatus: 'PENDING_EXTERNAL_APPROVAL', decidedBy: 'provider:acme' }),
      ],
      3,
    );
    expect(page.counts.vsAnalysts).toEqual({ decided: 1, agreed: 0, letThrough: 0, wouldReject: 1 });
    expect(page.flips.map((flip) => flip.analyst)).toEqual(['APPROVED', null, null]);
    expect(page.perRule['reject-30k']).toEqual({ hits: 3, analystRejected: 0, analystApproved: 1 });
    expect(page.perRule.off).toBeUndefined();
  });

  it('names only the rules that moved the answer, both ways, unevaluable rules included', () => {
    const page = evaluatePage(
      engine,
      [
        // Held at the time by hold-10k; the candidate rejects: reject-30k made it, not hold-10k.
        stored(35_000, { status: 'PENDING_EXTERNAL_APPROVAL', hits: [{ rule: 'hold-10k', outcome: 'REVIEW' }] }),
        // Rejected at the time by a rule the candidate lacks; held now: only the REJECT hit made the difference.
        stored(12_000, {
          status: 'REJECTED',
          hits: [
            { rule: 'hold-10k', outcome: 'REVIEW' },
            { rule: 'gone', outcome: 'REJECT' },
          ],
        }),
        // Held at the time by an unevaluable rule; approved now.
        stored(100, { status: 'PENDING_EXTERNAL_APPROVAL', ruleErrors: [{ rule: 'old-broken', message: 'x' }] }),
        // A refund: the candidate's broken rule cannot be evaluated and holds it.
        stored(-50, { status: 'APPROVED' }, { type: 'REFUND' }),
      ],
      4,
    );
    expect(page.flips.map(({ from, to, rules }) => ({ from, to, rules }))).toEqual([
      { from: 'PENDING_EXTERNAL_APPROVAL', to: 'REJECTED', rules: ['reject-30k'] },
      { from: 'REJECTED', to: 'PENDING_EXTERNAL_APPROVAL', rules: ['gone'] },
      { from: 'PENDING_EXTERNAL_APPROVAL', to: 'APPROVED', rules: ['old-broken'] },
      { from: 'APPROVED', to: 'PENDING_EXTERNAL_APPROVAL', rules: ['broken'] },
    ]);
    expect(page.counts.flipCount).toBe(4);
  });

  it('skips a decision without facts, ignores informational cases, and counts what it scanned', () => {
    const page = evaluatePage(
      engine,
      [
        { transactionId: 'degraded', createdAt: '2026-11-01T00:00:00.000Z', status: 'REJECTED', hits: [] },
        { transactionId: 'onepipe#ref', createdAt: '2026-11-01T00:00:00.000Z', status: 'INFORMATIONAL' },
        { transactionId: 'provider-late:x', createdAt: '2026-11-01T00:00:00.000Z', status: 'INFORMATIONAL' },
        stored(500, { status: 'APPROVED' }),
      ],
      7,
    );
    expect(page.counts).toMatchObject({ scanned: 7, processed: 1, skipped: 1 });
    expect(page.counts.recorded).toEqual({ APPROVED: 1, REJECTED: 0, PENDING_EXTERNAL_APPROVAL: 0 });
  });

  it('keeps its counts through the flat names storage adds them under', () => {
    const { counts } = evaluatePage(engine, [stored(31_000, { status: 'APPROVED', decidedBy: 'ana' })], 1);
    expect(unflattenCounts(flattenCounts(counts))).toEqual(counts);
  });
});

describe('a backtest read back', () => {
  it('lists flips oldest first up to the limit, with the full count, and every rule of the candidate', () => {
    const flips = Array.from({ length: FLIP_LIST_LIMIT + 5 }, (_, index) => ({
      transactionId: `t${index}`,
      createdAt: new Date(1_800_000_000_000 - index * 1000).toISOString(),
      from: 'APPROVED' as const,
      to: 'REJECTED' as const,
      rules: ['reject-30k'],
      analyst: null,
    }));
    const counts = unflattenCounts({ flipCount: flips.length });
    const view = backtestView(
      {
        backtestId: 'b',
        ruleSet: 'outbound',
        version: 2,
        from: 'f',
        to: 't',
        createdBy: 'ana',
        createdAt: 'c',
        status: 'DONE',
        segments: 2,
        segmentsDone: 2,
        rules: ['hold-10k', 'reject-30k'],
        readUnits: 1,
        counts,
      },
      [
        { flips: flips.slice(0, 500), perRule: { 'reject-30k': { hits: 2, analystRejected: 1, analystApproved: 0 } } },
        { flips: flips.slice(500), perRule: { 'reject-30k': { hits: 3, analystRejected: 0, analystApproved: 1 } } },
      ],
    );
    expect(view.result.flips).toHaveLength(FLIP_LIST_LIMIT);
    expect(view.result.flips[0]?.transactionId).toBe(`t${FLIP_LIST_LIMIT + 4}`);
    expect(view.result.flipCount).toBe(FLIP_LIST_LIMIT + 5);
    expect(view.result.perRule).toEqual([
      { rule: 'hold-10k', hits: 0, analystRejected: 0, analystApproved: 0 },
      { rule: 'reject-30k', hits: 5, analystRejected: 1, analystApproved: 1 },
    ]);
  });
});

describe('the backtest request', () => {
  it('takes a window with offsets and stores it as UTC, the form decisions are stored in', () => {
    expect(BacktestRequestSchema.parse({ from: '2026-11-01T02:00:00+02:00', to: '2026-11-02T00:00:00Z' })).toEqual({
      from: '2026-11-01T00:00:00.000Z',
      to: '2026-11-02T00:00:00.000Z',
    });
  });
});
