import * as z from 'zod';
import type { CaseRow, HitRow } from './rule-stats.js';

/**
 * How each rule of a set performs over a window, from the analytics rows (rule-stats.ts): pure
 * computation; the admin function's adapter queries the rows.
 */

const DAY_MS = 86_400_000;

/** Days a performance window may span: every day is listed per rule, so the answer grows with it. */
export const MAX_PERFORMANCE_DAYS = 366;

/**
 * How far before the window the queue looks for cases still open at its start. A case waits at
 * most PENDING_SLA (24 h by default) before the SLA sweep closes or escalates it, so 90 days covers
 * any sane setting, while the read stays bounded by the window (not by every case ever opened).
 * A case open longer than that before the window is not counted in its `open` figures.
 */
export const QUEUE_LOOKBACK_DAYS = 90;

/** Where the queue's case rows start: QUEUE_LOOKBACK_DAYS before the window. */
export const queueLookbackStart = (from: Date): Date => new Date(from.getTime() - QUEUE_LOOKBACK_DAYS * DAY_MS);

/** A time that stays a four-digit year in UTC (`toISOString` writes year 10000 as `+010000`, which sorts before any decision). */
const inUtcYears = (value: string) => Number.isNaN(Date.parse(value)) || /^\d{4}-/.test(new Date(value).toISOString());
const time = () =>
  z.iso
    .datetime({ offset: true, error: 'must be an ISO date-time' })
    .refine(inUtcYears, { message: 'must be between years 0000 and 9999 in UTC' });

/** `GET /api/rules/performance`: outbound only for now; from/to ISO times (default: the last 30 UTC days). */
export const RulePerformanceQuerySchema = z.strictObject({
  set: z.literal('outbound', { error: 'only the outbound rule set has performance figures for now' }).optional(),
  from: time().optional(),
  to: time().optional(),
});

/** The window of a query: `to` defaults to now, `from` to the start of the UTC day 29 days before `to`'s (30 days). */
export const performanceWindow = (query: { from?: string | undefined; to?: string | undefined }, now: Date) => {
  const to = query.to ? new Date(query.to) : now;
  // The last day the window touches is the one before `to` when `to` is a midnight (to is exclusive).
  const from = query.from ? new Date(query.from) : new Date(startOfDay(to.getTime() - 1) - 29 * DAY_MS);
  return { from, to };
};

const startOfDay = (ms: number) => Math.floor(ms / DAY_MS) * DAY_MS;
const dayOf = (iso: string) => iso.slice(0, 10);

/** Every UTC day the window [from, to) touches, as YYYY-MM-DD. */
export const windowDays = (from: Date, to: Date): string[] => {
  const days: string[] = [];
  for (let day = startOfDay(from.getTime()); day < to.getTime(); day += DAY_MS) {
    days.push(new Date(day).toISOString().slice(0, 10));
  }
  return days;
};

const median = (values: number[]): number | null => {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

export interface RulePerformance {
  rule: string;
  hits: number;
  casesOpened: number;
  analystApproved: number;
  analystRejected: number;
  /** Rejected / (approved + rejected) of the cases people made final; null when none. */
  precision: number | null;
  medianTimeToDecisionSeconds: number | null;
  hitsPerDay: number;
  daily: { day: string; hits: number }[];
}

/**
 * The figures: per rule (every rule of `rules`, zeros when it never hit) from its hit rows in the
 * window, and the case queue per UTC day from the case rows (those opened before `to`, so a case
 * opened before the window still counts as open in it).
 */
export const rulePerformance = (input: {
  from: Date;
  to: Date;
  rules: readonly string[];
  hits: readonly HitRow[];
  cases: readonly CaseRow[];
}) => {
  const { from, to } = input;
  const fromIso = from.toISOString();
  const toIso = to.toISOString();
  const days = windowDays(from, to);
  const inWindow = (iso: string) => iso >= fromIso && iso < toIso;
  const byRule = new Map<string, HitRow[]>(input.rules.map((rule) => [rule, []]));
  for (const row of input.hits) {
    if (!inWindow(row.createdAt)) continue;
    const rows = byRule.get(row.rule) ?? [];
    rows.push(row);
    byRule.set(row.rule, rows);
  }
  const rules: RulePerformance[] = [...byRule.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([rule, rows]) => {
      const cases = rows.filter((row) => row.caseOpenedAt !== undefined);
      const byPeople = cases.filter((row) => row.byPerson && (row.status === 'APPROVED' || row.status === 'REJECTED'));
      const approved = byPeople.filter((row) => row.status === 'APPROVED').length;
      const rejected = byPeople.filter((row) => row.status === 'REJECTED').length;
      const perDay = new Map<string, number>();
      for (const row of rows) perDay.set(dayOf(row.createdAt), (perDay.get(dayOf(row.createdAt)) ?? 0) + 1);
      return {
        rule,
        hits: rows.length,
        casesOpened: cases.length,
        analystApproved: approved,
        analystRejected: rejected,
        precision: approved + rejected === 0 ? null : rejected / (approved + rejected),
        medianTimeToDecisionSeconds: median(
          byPeople.flatMap((row) =>
            row.decidedAt && row.caseOpenedAt
              ? [(Date.parse(row.decidedAt) - Date.parse(row.caseOpenedAt)) / 1000]
              : [],
          ),
        ),
        hitsPerDay: days.length === 0 ? 0 : rows.length / days.length,
        daily: days.map((day) => ({ day, hits: perDay.get(day) ?? 0 })),
      };
    });
  const queue = days.map((day) => {
    const dayStart = Date.parse(`${day}T00:00:00.000Z`);
    const end = new Date(Math.min(dayStart + DAY_MS, to.getTime())).toISOString();
    let opened = 0;
    let closed = 0;
    let open = 0;
    for (const row of input.cases) {
      if (dayOf(row.openedAt) === day && inWindow(row.openedAt)) opened++;
      if (row.closedAt && dayOf(row.closedAt) === day && inWindow(row.closedAt)) closed++;
      if (row.openedAt < end && (!row.closedAt || row.closedAt >= end)) open++;
    }
    return { day, opened, closed, open };
  });
  return { set: 'outbound' as const, from: fromIso, to: toIso, days, rules, queue };
};
