import type { RulePerformance, RulesPerformance } from '../../ui/api/types.js';
import {
  agreementPercent,
  dayToSeconds,
  decisionTime,
  hitsPerDaySeries,
  lastDays,
  outcomeComparison,
  precisionBars,
  precisionText,
  progressText,
  queueSeries,
  rulesToTune,
  windowInstants,
  windowText,
} from '../../ui/pages/insights/series.js';

const rule = (overrides: Partial<RulePerformance> & Pick<RulePerformance, 'rule'>): RulePerformance => ({
  hits: 0,
  casesOpened: 0,
  analystApproved: 0,
  analystRejected: 0,
  precision: null,
  medianTimeToDecisionSeconds: null,
  hitsPerDay: 0,
  daily: [],
  ...overrides,
});

const performance: RulesPerformance = {
  set: 'outbound',
  from: '2026-11-20T00:00:00.000Z',
  to: '2026-11-23T00:00:00.000Z',
  days: ['2026-11-20', '2026-11-21', '2026-11-22'],
  rules: [
    rule({
      rule: 'large-amount',
      hits: 5,
      daily: [
        { day: '2026-11-20', hits: 2 },
        { day: '2026-11-22', hits: 3 },
      ],
    }),
    rule({ rule: 'new-beneficiary', hits: 1, daily: [{ day: '2026-11-21', hits: 1 }] }),
  ],
  queue: [
    { day: '2026-11-20', opened: 2, closed: 0, open: 2 },
    { day: '2026-11-22', opened: 3, closed: 4, open: 1 },
  ],
};

describe('the Insights page’s series', () => {
  it('puts each rule’s hits on every day of the window, 0 where it did not hit', () => {
    const series = hitsPerDaySeries(performance);
    expect(series.x).toEqual([20, 21, 22].map((day) => Date.UTC(2026, 10, day) / 1000));
    expect(series.series).toEqual([
      { label: 'large-amount', values: [2, 0, 3] },
      { label: 'new-beneficiary', values: [0, 1, 0] },
    ]);
  });

  it('draws the queue’s opened, closed and open per day, leaving out a day the answer has not', () => {
    expect(queueSeries(performance).series).toEqual([
      { label: 'Opened', values: [2, null, 3] },
      { label: 'Closed', values: [0, null, 4] },
      { label: 'Open', values: [2, null, 1] },
    ]);
  });

  it('reads days as UTC and refuses what is not a day', () => {
    expect(dayToSeconds('1970-01-02')).toBe(86_400);
    expect(() => dayToSeconds('2026-11-2')).toThrow('Not a day');
  });

  it('sorts the rule to tune next first: most false alarms, then lowest precision, then most hits', () => {
    const sorted = rulesToTune([
      rule({ rule: 'undecided-busy', hits: 50 }),
      rule({ rule: 'precise', hits: 9, analystApproved: 1, analystRejected: 8, precision: 8 / 9 }),
      rule({ rule: 'noisy', hits: 12, analystApproved: 6, analystRejected: 2, precision: 0.25 }),
      rule({ rule: 'worse-same-alarms', hits: 7, analystApproved: 1, analystRejected: 0, precision: 0 }),
      rule({ rule: 'quiet', hits: 2 }),
    ]);
    expect(sorted.map((one) => one.rule)).toEqual(['noisy', 'worse-same-alarms', 'precise', 'undecided-busy', 'quiet']);
  });

  it('shows precision in percent with the counts it comes from', () => {
    const rules = [rule({ rule: 'a', analystApproved: 1, analystRejected: 2, precision: 2 / 3 }), rule({ rule: 'b' })];
    expect(precisionText(rules[0] as RulePerformance)).toBe('67% (2 of 3)');
    expect(precisionText(rules[1] as RulePerformance)).toBe('— (0 decided)');
    expect(precisionBars(rules)).toEqual({
      categories: ['a (2/3)', 'b (0/0)'],
      series: [{ label: 'Precision %', values: [66.7, null] }],
    });
  });

  it('compares a backtest’s recorded outcomes with the candidate’s, outcome by outcome', () => {
    expect(
      outcomeComparison({
        recorded: { APPROVED: 7, REJECTED: 1, PENDING_EXTERNAL_APPROVAL: 2 },
        candidate: { APPROVED: 5, REJECTED: 1, PENDING_EXTERNAL_APPROVAL: 4 },
      }),
    ).toEqual({
      categories: ['approved', 'rejected', 'held for review'],
      series: [
        { label: 'Recorded', values: [7, 1, 2] },
        { label: 'Candidate', values: [5, 1, 4] },
      ],
    });
  });

  it('writes times to a decision, progress and agreement plainly', () => {
    expect(decisionTime(null)).toBe('—');
    expect(decisionTime(44.6)).toBe('45s');
    expect(decisionTime(200)).toBe('3m 20s');
    expect(decisionTime(3900)).toBe('1h 05m');
    expect(progressText({ processed: 12, total: 40, skipped: 0 })).toBe('12 of 40 (30%)');
    expect(progressText({ processed: 3, total: 0, skipped: 1 })).toBe('3 processed, 1 skipped');
    expect(agreementPercent({ decided: 0, agreed: 0, letThrough: 0, wouldReject: 0 })).toBeNull();
    expect(agreementPercent({ decided: 3, agreed: 2, letThrough: 1, wouldReject: 0 })).toBe(66.7);
  });

  it('turns a window of whole UTC days into instants that include the last day', () => {
    expect(lastDays(30, new Date('2026-11-23T16:00:00Z'))).toEqual({ from: '2026-10-25', to: '2026-11-23' });
    expect(windowInstants('2026-11-01', '2026-11-23')).toEqual({
      from: '2026-11-01T00:00:00.000Z',
      to: '2026-11-24T00:00:00.000Z',
    });
    expect(windowText('2026-11-01T00:00:00.000Z', '2026-11-24T00:00:00.000Z')).toBe('2026-11-01 to 2026-11-23');
    expect(windowText('2026-11-01T00:00:00.000Z', '2026-11-23T12:00:00.000Z')).toBe('2026-11-01 to 2026-11-23');
  });
});
