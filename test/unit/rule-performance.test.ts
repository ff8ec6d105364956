import { performanceWindow, rulePerformance, windowDays } from '#domain/rules/rule-performance.js';
import {
  type CaseRow,
  type HitRow,
  liveOutcome,
  type ShadowRow,
  StatsDecisionSchema,
  shadowReport,
  statsRows,
} from '#domain/rules/rule-stats.js';

const hit = (rule: string, id: string, createdAt: string, changes: Partial<HitRow> = {}): HitRow => ({
  pk: `hits#outbound#${rule}`,
  sk: `${createdAt}#${id}`,
  kind: 'hit',
  rule,
  transactionId: id,
  createdAt,
  status: 'APPROVED',
  byPerson: false,
  imageAt: createdAt,
  ...changes,
});
const aCase = (id: string, openedAt: string, closedAt?: string): CaseRow => ({
  pk: 'cases#outbound',
  sk: `${openedAt}#${id}`,
  kind: 'case',
  transactionId: id,
  openedAt,
  status: closedAt ? 'APPROVED' : 'PENDING_EXTERNAL_APPROVAL',
  ...(closedAt ? { closedAt } : {}),
  imageAt: closedAt ?? openedAt,
});

describe('statsRows (a stored decision -> analytics rows)', () => {
  const decision = (changes: Record<string, unknown>) =>
    StatsDecisionSchema.parse({
      transactionId: 'tx-1',
      status: 'PENDING_EXTERNAL_APPROVAL',
      createdAt: '2026-11-01T10:00:00.000Z',
      updatedAt: '2026-11-01T10:00:00.000Z',
      hits: [{ rule: 'large-amount', outcome: 'REVIEW' }],
      ruleErrors: [],
      caseOpenedAt: '2026-11-01T10:00:00.000Z',
      ...changes,
    });

  it('gives a case a hit row per rule and a case row, closed with who decided when a person made it final', () => {
    const rows = statsRows(
      decision({
        status: 'REJECTED',
        updatedAt: '2026-11-01T12:00:00.000Z',
        decidedAt: '2026-11-01T12:00:00.000Z',
        decidedBy: 'sam',
      }),
    );
    expect(rows).toEqual([
      expect.objectContaining({
        pk: 'hits#outbound#large-amount',
        sk: '2026-11-01T10:00:00.000Z#tx-1',
        status: 'REJECTED',
        caseOpenedAt: '2026-11-01T10:00:00.000Z',
        decidedAt: '2026-11-01T12:00:00.000Z',
        decidedBy: 'sam',
        byPerson: true,
        imageAt: '2026-11-01T12:00:00.000Z',
      }),
      expect.objectContaining({
        pk: 'cases#outbound',
        sk: '2026-11-01T10:00:00.000Z#tx-1',
        openedAt: '2026-11-01T10:00:00.000Z',
        closedAt: '2026-11-01T12:00:00.000Z',
      }),
    ]);
  });

  it.each(['system:sla', 'system:degraded', 'provider:flagright'])('does not count %s as a person', (decidedBy) => {
    const [row] = statsRows(decision({ status: 'REJECTED', decidedAt: '2026-11-01T12:00:00.000Z', decidedBy }));
    expect(row).toMatchObject({ byPerson: false, decidedBy });
  });

  it('writes a shadow row with the live rules’ outcome (from the stored hits, not the answer) beside the shadow’s', () => {
    const rows = statsRows(
      decision({
        status: 'APPROVED',
        caseOpenedAt: undefined,
        hits: [],
        shadow: { version: 4, outcome: 'REJECTED', hits: ['new-rule'] },
      }),
    );
    expect(rows).toEqual([
      expect.objectContaining({
        pk: 'shadow#outbound@4',
        live: 'APPROVED',
        shadow: 'REJECTED',
        liveHits: [],
        shadowHits: ['new-rule'],
      }),
    ]);
  });

  it('reads a rule that could not be evaluated as REVIEW, and any REJECT hit as REJECTED', () => {
    expect(liveOutcome({ hits: [], ruleErrors: [{ rule: 'x' }] })).toBe('PENDING_EXTERNAL_APPROVAL');
    expect(
      liveOutcome({
        hits: [
          { rule: 'a', outcome: 'REVIEW' },
          { rule: 'b', outcome: 'REJECT' },
        ],
        ruleErrors: [],
      }),
    ).toBe('REJECTED');
  });

  it('writes nothing for OnePipe credits and late provider verdicts', () => {
    expect(statsRows(decision({ transactionId: 'onepipe#abc' }))).toEqual([]);
    expect(statsRows(decision({ transactionId: 'provider-late:abc' }))).toEqual([]);
  });
});

describe('shadowReport', () => {
  const row = (id: string, live: ShadowRow['live'], shadow: ShadowRow['shadow']): ShadowRow => ({
    pk: 'shadow#outbound@2',
    sk: `2026-11-01T10:00:00.000Z#${id}`,
    kind: 'shadow',
    transactionId: id,
    createdAt: '2026-11-01T10:00:00.000Z',
    version: 2,
    live,
    shadow,
    liveHits: [],
    shadowHits: shadow === live ? [] : ['r'],
    imageAt: '2026-11-01T10:00:00.000Z',
  });

  it('counts every comparison and lists at most 1,000 disagreements', () => {
    const rows = [
      row('a', 'APPROVED', 'APPROVED'),
      ...Array.from({ length: 1001 }, (_, index) => row(`d${String(index).padStart(4, '0')}`, 'APPROVED', 'REJECTED')),
    ];
    const report = shadowReport(rows);
    expect(report.agreed).toBe(1);
    expect(report.disagreed).toBe(1001);
    expect(report.disagreements).toHaveLength(1000);
    expect(report.disagreements[0]).toEqual({
      transactionId: 'd0000',
      createdAt: '2026-11-01T10:00:00.000Z',
      live: 'APPROVED',
      shadow: 'REJECTED',
      liveHits: [],
      shadowHits: ['r'],
    });
  });
});

describe('rulePerformance', () => {
  const from = new Date('2026-11-01T00:00:00.000Z');
  const to = new Date('2026-11-04T00:00:00.000Z');

  it('defaults to the last 30 UTC days, ending now', () => {
    const now = new Date('2026-11-23T16:00:00.000Z');
    const window = performanceWindow({}, now);
    expect(window).toEqual({ from: new Date('2026-10-25T00:00:00.000Z'), to: now });
    expect(windowDays(window.from, window.to)).toHaveLength(30);
  });

  it('counts hits, cases, people’s decisions, precision and the median time per rule, and the queue per day', () => {
    const hits = [
      // Day 1: two hits of large-amount, one a case a person rejected after an hour.
      hit('large-amount', 'a', '2026-11-01T10:00:00.000Z', {
        caseOpenedAt: '2026-11-01T10:00:00.000Z',
        status: 'REJECTED',
        decidedAt: '2026-11-01T11:00:00.000Z',
        decidedBy: 'sam',
        byPerson: true,
      }),
      hit('large-amount', 'b', '2026-11-01T12:00:00.000Z'),
      // Day 2: a case a person approved after 3 hours, one the SLA sweeper rejected (not a person).
      hit('large-amount', 'c', '2026-11-02T09:00:00.000Z', {
        caseOpenedAt: '2026-11-02T09:00:00.000Z',
        status: 'APPROVED',
        decidedAt: '2026-11-02T12:00:00.000Z',
        decidedBy: 'kim',
        byPerson: true,
      }),
      hit('large-amount', 'd', '2026-11-02T10:00:00.000Z', {
        caseOpenedAt: '2026-11-02T10:00:00.000Z',
        status: 'REJECTED',
        decidedAt: '2026-11-03T10:00:00.000Z',
        decidedBy: 'system:sla',
      }),
      // Outside the window: not counted.
      hit('large-amount', 'e', '2026-10-31T23:59:59.999Z'),
      hit('high-risk-country', 'f', '2026-11-03T08:00:00.000Z', {
        caseOpenedAt: '2026-11-03T08:00:00.000Z',
        status: 'PENDING_EXTERNAL_APPROVAL',
      }),
    ];
    const cases = [
      aCase('old', '2026-10-30T10:00:00.000Z'),
      aCase('a', '2026-11-01T10:00:00.000Z', '2026-11-01T11:00:00.000Z'),
      aCase('c', '2026-11-02T09:00:00.000Z', '2026-11-02T12:00:00.000Z'),
      aCase('d', '2026-11-02T10:00:00.000Z', '2026-11-03T10:00:00.000Z'),
      aCase('f', '2026-11-03T08:00:00.000Z'),
    ];
    const result = rulePerformance({
      from,
      to,
      rules: ['high-risk-country', 'large-amount', 'never-hit'],
      hits,
      cases,
    });
    expect(result.days).toEqual(['2026-11-01', '2026-11-02', '2026-11-03']);
    expect(result.rules).toEqual([
      {
        rule: 'high-risk-country',
        hits: 1,
        casesOpened: 1,
        analystApproved: 0,
        analystRejected: 0,
        precision: null,
        medianTimeToDecisionSeconds: null,
        hitsPerDay: 1 / 3,
        daily: [
          { day: '2026-11-01', hits: 0 },
          { day: '2026-11-02', hits: 0 },
          { day: '2026-11-03', hits: 1 },
        ],
      },
      {
        rule: 'large-amount',
        hits: 4,
        casesOpened: 3,
        analystApproved: 1,
        analystRejected: 1,
        precision: 0.5,
        // 1 h and 3 h: the median of two is their mean.
        medianTimeToDecisionSeconds: 7200,
        hitsPerDay: 4 / 3,
        daily: [
          { day: '2026-11-01', hits: 2 },
          { day: '2026-11-02', hits: 2 },
          { day: '2026-11-03', hits: 0 },
        ],
      },
      {
        rule: 'never-hit',
        hits: 0,
        casesOpened: 0,
        analystApproved: 0,
        analystRejected: 0,
        precision: null,
        medianTimeToDecisionSeconds: null,
        hitsPerDay: 0,
        daily: [
          { day: '2026-11-01', hits: 0 },
          { day: '2026-11-02', hits: 0 },
          { day: '2026-11-03', hits: 0 },
        ],
      },
    ]);
    expect(result.queue).toEqual([
      // "old" (opened before the window, never closed) is open every day.
      { day: '2026-11-01', opened: 1, closed: 1, open: 1 },
      { day: '2026-11-02', opened: 2, closed: 1, open: 2 },
      { day: '2026-11-03', opened: 1, closed: 1, open: 2 },
    ]);
  });
});
