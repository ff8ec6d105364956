/**
 * The Insights page's figures, turned from the API's answers into what the charts and tables
 * show. Pure functions (no DOM, no uPlot), so test/unit checks them.
 */
import {
  BACKTEST_OUTCOMES,
  type BacktestResult,
  type BacktestSummary,
  type RulePerformance,
  type RulesPerformance,
} from '../../api/types.js';

/** One line or one set of bars: its name and one value per x (null: nothing to draw there). */
export interface Series {
  label: string;
  values: (number | null)[];
}

/** Time series share their x: the window's days as Unix seconds (uPlot's time scale). */
export interface TimeSeries {
  days: string[];
  x: number[];
  series: Series[];
}

/** Bars over named categories (rules, outcomes): x is the category's index. */
export interface CategorySeries {
  categories: string[];
  series: Series[];
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** `2026-11-23` as the Unix seconds of that day's start in UTC (the API's days are UTC days). */
export const dayToSeconds = (day: string): number => {
  const match = DAY.exec(day);
  if (!match) throw new Error(`Not a day: ${day}`);
  return Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) / 1000;
};

/** Each rule's hits on each day of the window; a day the rule did not hit is 0. */
export const hitsPerDaySeries = (performance: RulesPerformance): TimeSeries => ({
  days: performance.days,
  x: performance.days.map(dayToSeconds),
  series: performance.rules.map((rule) => {
    const byDay = new Map(rule.daily.map((entry) => [entry.day, entry.hits]));
    return { label: rule.rule, values: performance.days.map((day) => byDay.get(day) ?? 0) };
  }),
});

/** Cases opened and closed each day and open at its end; a day the answer leaves out draws nothing. */
export const queueSeries = (performance: RulesPerformance): TimeSeries => {
  const byDay = new Map(performance.queue.map((entry) => [entry.day, entry]));
  const column = (label: string, pick: (entry: RulesPerformance['queue'][number]) => number): Series => ({
    label,
    values: performance.days.map((day) => {
      const entry = byDay.get(day);
      return entry ? pick(entry) : null;
    }),
  });
  return {
    days: performance.days,
    x: performance.days.map(dayToSeconds),
    series: [
      column('Opened', (entry) => entry.opened),
      column('Closed', (entry) => entry.closed),
      column('Open', (entry) => entry.open),
    ],
  };
};

/** How many of a rule's cases analysts decided, and how many of those they rejected. */
export const decided = (rule: Pick<RulePerformance, 'analystApproved' | 'analystRejected'>) =>
  rule.analystApproved + rule.analystRejected;

/** `67% (2 of 3)`: precision with the counts it comes from; a dash before any decision. */
export const precisionText = (rule: Pick<RulePerformance, 'precision' | 'analystApproved' | 'analystRejected'>) =>
  rule.precision === null
    ? `— (0 decided)`
    : `${Math.round(rule.precision * 100)}% (${rule.analystRejected} of ${decided(rule)})`;

/**
 * The rule to tune next comes first: most false alarms (cases analysts approved after the rule
 * held them: work that changed nothing) first, then the lowest precision (a rule no analyst has
 * decided yet goes after those with a figure), then the most hits, then the name.
 */
export const rulesToTune = (rules: readonly RulePerformance[]): RulePerformance[] =>
  [...rules].sort(
    (a, b) =>
      b.analystApproved - a.analystApproved ||
      (a.precision ?? Number.POSITIVE_INFINITY) - (b.precision ?? Number.POSITIVE_INFINITY) ||
      b.hits - a.hits ||
      a.rule.localeCompare(b.rule),
  );

/** Precision per rule in percent, in the table's order; each category names its counts. */
export const precisionBars = (rules: readonly RulePerformance[]): CategorySeries => ({
  categories: rules.map((rule) => `${rule.rule} (${rule.analystRejected}/${decided(rule)})`),
  series: [
    {
      label: 'Precision %',
      values: rules.map((rule) => (rule.precision === null ? null : Math.round(rule.precision * 1000) / 10)),
    },
  ],
});

/** Short enough to stand under a bar. */
const OUTCOME_LABELS: Record<(typeof BACKTEST_OUTCOMES)[number], string> = {
  APPROVED: 'approved',
  REJECTED: 'rejected',
  PENDING_EXTERNAL_APPROVAL: 'held for review',
};

/** The recorded outcomes beside the candidate version's, per outcome: the backtest's grouped bars. */
export const outcomeComparison = (result: Pick<BacktestResult, 'recorded' | 'candidate'>): CategorySeries => ({
  categories: BACKTEST_OUTCOMES.map((outcome) => OUTCOME_LABELS[outcome]),
  series: [
    { label: 'Recorded', values: BACKTEST_OUTCOMES.map((outcome) => result.recorded[outcome] ?? 0) },
    { label: 'Candidate', values: BACKTEST_OUTCOMES.map((outcome) => result.candidate[outcome] ?? 0) },
  ],
});

/** `1h 05m`, `3m 20s`, `45s`: how long analysts took; a dash when none decided. */
export const decisionTime = (seconds: number | null): string => {
  if (seconds === null) return '—';
  const whole = Math.round(seconds);
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const rest = whole % 60;
  if (hours > 0) return `${hours}h ${String(minutes).padStart(2, '0')}m`;
  if (minutes > 0) return `${minutes}m ${String(rest).padStart(2, '0')}s`;
  return `${rest}s`;
};

/** `12 of 40 (30%)`; a backtest that has not counted its decisions yet says so. */
export const progressText = (backtest: Pick<BacktestSummary, 'processed' | 'total' | 'skipped'>) => {
  const skipped = backtest.skipped > 0 ? `, ${backtest.skipped} skipped` : '';
  if (backtest.total <= 0) return `${backtest.processed} processed${skipped}`;
  const percent = Math.min(100, Math.floor((backtest.processed / backtest.total) * 100));
  return `${backtest.processed} of ${backtest.total} (${percent}%)${skipped}`;
};

/** How often the candidate agrees with the analysts, in percent of the cases they decided; null when none. */
export const agreementPercent = (vsAnalysts: BacktestResult['vsAnalysts']): number | null =>
  vsAnalysts.decided === 0 ? null : Math.round((vsAnalysts.agreed / vsAnalysts.decided) * 1000) / 10;

/** `YYYY-MM-DD` of a date in UTC. */
export const utcDay = (date: Date) => date.toISOString().slice(0, 10);

/** The default window: the last `days` UTC days, today included. */
export const lastDays = (days: number, now = new Date()): { from: string; to: string } => ({
  from: utcDay(new Date(now.getTime() - (days - 1) * 86_400_000)),
  to: utcDay(now),
});

/**
 * A window of whole UTC days as the API's instants: from the first day's start to the end of the
 * last day (the next day's start), so "to today" includes today's decisions.
 */
export const windowInstants = (fromDay: string, toDay: string): { from: string; to: string } => ({
  from: new Date(dayToSeconds(fromDay) * 1000).toISOString(),
  to: new Date((dayToSeconds(toDay) + 86_400) * 1000).toISOString(),
});

/** `2026-11-01 to 2026-11-23`: a window [from, to) as the days it covers (`to` itself is excluded). */
export const windowText = (from: string, to: string) =>
  `${from.slice(0, 10)} to ${new Date(Date.parse(to) - 1).toISOString().slice(0, 10)}`;
