import * as z from 'zod';
import type { DecisionStatus, Facts, Rule, RuleHit, RulesEngine } from './engine.js';
import type { RuleSetName } from './requests.js';

/**
 * Backtests: what a rule set version would have done on stored history, before it goes live.
 *
 * - The window is the decisions with `createdAt` in [from, to), validate's only: informational
 *   cases (`onepipe#...`, `provider-late:...`) are not decisions of the outbound set. Inbound credits
 *   are stored only when a rule hit them, so a backtest of the inbound set would be blind: refused.
 * - A decision without stored `facts` / `transaction` (a rejection stored by the degraded
 *   reconciliation, SERVICE_DEGRADED) counts in `skipped` and is not evaluated.
 * - The candidate is evaluated on the facts as they were: `{ tx: transaction, ...facts }`, velocity
 *   as it stood when the payment was decided (not as it would have been had the candidate decided
 *   the earlier payments: a held payment was still counted, a rejected one was not).
 * - recorded: what the rules answered at the time (`rulesStatus` when a monitoring provider took
 *   part, else `initialStatus`, else `status`); candidate: the candidate's outcome. A flip is a decision where they differ.
 * - A flip's `rules`: the rules that made the difference. To a stricter answer, the candidate's hits
 *   whose outcome alone is stricter than the recorded answer (a REJECT hit past a hold, a REVIEW
 *   hit or an unevaluable rule past an approval): hits the recorded decision lacks at that
 *   strength. To a looser answer, the recorded hits stricter than the candidate's answer, which
 *   the candidate lacks. `analyst` is a person's final outcome on the case, else null.
 * - A person decided a case when `decidedBy` names one: not `system:...` (the SLA sweep, the
 *   degraded reconciliation) nor `provider:...` (a monitoring provider's verdict).
 * - vsAnalysts, over person-decided cases: agreed (candidate APPROVED and analyst APPROVED, or
 *   candidate REJECTED / PENDING and analyst REJECTED), letThrough (analyst REJECTED, candidate
 *   APPROVED), wouldReject (analyst APPROVED, candidate REJECTED). A case the analyst approved and
 *   the candidate would hold again is in `decided` only.
 * - perRule, for every rule of the candidate: its hits in the window and, among hit decisions a
 *   person decided, how many the analyst rejected and approved.
 * - Flips are listed up to FLIP_LIST_LIMIT, oldest first; flipCount is always the full number.
 */

/** Only the outbound set is backtested (see above). */
export const BACKTESTABLE_SETS = ['outbound'] as const satisfies readonly RuleSetName[];
export const INBOUND_NOT_BACKTESTABLE =
  'Only the outbound set can be backtested: inbound credits are stored only when a rule hit them, so a backtest of the inbound set would not see the credits it would newly hit';

/** Scan segments of one backtest: each is read page after page by one message chain. */
export const BACKTEST_SEGMENTS = 8;
/** Items one page reads (the Scan's Limit, before the window filter). */
export const BACKTEST_PAGE_ITEMS = 300;
/** Flips a backtest lists (flipCount counts them all). */
export const FLIP_LIST_LIMIT = 1000;

/** `POST /api/rule-sets/{set}/versions/{version}/backtests`: the window, from inclusive, to exclusive. */
/** A time that stays a four-digit year in UTC (`toISOString` writes year 10000 as `+010000`, which sorts before any decision). */
const inUtcYears = (value: string) => Number.isNaN(Date.parse(value)) || /^\d{4}-/.test(new Date(value).toISOString());
const windowTime = () =>
  z.iso
    .datetime({ offset: true, error: 'must be an ISO 8601 date-time' })
    .refine(inUtcYears, { message: 'must be between years 0000 and 9999 in UTC' });
// Schemas here are z.lazy: built on their first parse, so a function that never parses them
// does not build them at cold start (npm run bench:cold).
export const BacktestRequestSchema = z.lazy(() =>
  z
    .strictObject({
      from: windowTime(),
      to: windowTime(),
    })
    // Only once both are dates (an unreadable one has its own problem).
    .refine((body) => !(Date.parse(body.from) >= Date.parse(body.to)), { message: 'must be after from', path: ['to'] })
    // Stored decisions carry `toISOString()` times: the window in the same form compares as text.
    .transform((body) => ({ from: new Date(body.from).toISOString(), to: new Date(body.to).toISOString() })),
);
export type BacktestRequest = z.infer<typeof BacktestRequestSchema>;

/** One SQS message: one page of one scan segment. `startKey` is where the previous page stopped. */
export const BacktestPageMessageSchema = z.lazy(() =>
  z.strictObject({
    backtestId: z.uuid(),
    segment: z.number().int().nonnegative(),
    segments: z.number().int().positive().max(1000000),
    page: z.number().int().nonnegative(),
    startKey: z.strictObject({ transactionId: z.string() }).optional(),
  }),
);
export type BacktestPageMessage = z.infer<typeof BacktestPageMessageSchema>;

/** The first page of each segment: what starting a backtest sends. */
export const firstPages = (backtestId: string, segments = BACKTEST_SEGMENTS): BacktestPageMessage[] =>
  Array.from({ length: segments }, (_, segment) => ({ backtestId, segment, segments, page: 0 }));

const OUTCOMES = ['APPROVED', 'REJECTED', 'PENDING_EXTERNAL_APPROVAL'] as const satisfies readonly DecisionStatus[];
type OutcomeCounts = Record<DecisionStatus, number>;

/** What a backtest reads of a stored decision (the scan's projection), parsed item by item. */
export const BacktestDecisionSchema = z.lazy(() =>
  z.object({
    transactionId: z.string(),
    createdAt: z.string(),
    status: z.string(),
    initialStatus: z.string().optional(),
    /** The rules' own outcome, when a monitoring provider took part (status / initialStatus are the combined answer). */
    rulesStatus: z.string().optional(),
    hits: z.array(z.looseObject({ rule: z.string(), outcome: z.enum(['REJECT', 'REVIEW']) })).default([]),
    ruleErrors: z.array(z.looseObject({ rule: z.string() })).default([]),
    decidedBy: z.string().optional(),
    facts: z
      .looseObject({
        velocity: z.custom<Facts['velocity']>((value) => typeof value === 'object' && value !== null),
        beneficiary: z.looseObject({ key: z.string().nullable(), firstTime: z.boolean() }),
      })
      .optional(),
    transaction: z.record(z.string(), z.unknown()).optional(),
  }),
);
export type BacktestDecision = z.infer<typeof BacktestDecisionSchema>;

export interface Flip {
  transactionId: string;
  createdAt: string;
  from: DecisionStatus;
  to: DecisionStatus;
  rules: string[];
  analyst: 'APPROVED' | 'REJECTED' | null;
}

export interface RuleFigures {
  hits: number;
  analystRejected: number;
  analystApproved: number;
}

/** The counts a page adds to its backtest (each is summed with ADD on the summary). */
export interface BacktestCounts {
  /** Items the scan read, in the window or not: the whole table is read (README, Backtests). */
  scanned: number;
  /** Decisions of the window evaluated. */
  processed: number;
  /** Decisions of the window without stored facts (not evaluated). */
  skipped: number;
  recorded: OutcomeCounts;
  candidate: OutcomeCounts;
  vsAnalysts: { decided: number; agreed: number; letThrough: number; wouldReject: number };
  flipCount: number;
}

/** What one page yields: its counts, its flips, and its per-rule figures (rules with any figure only). */
export interface PageResult {
  counts: BacktestCounts;
  flips: Flip[];
  perRule: Record<string, RuleFigures>;
}

const zeroOutcomes = (): OutcomeCounts => ({ APPROVED: 0, REJECTED: 0, PENDING_EXTERNAL_APPROVAL: 0 });
export const zeroCounts = (): BacktestCounts => ({
  scanned: 0,
  processed: 0,
  skipped: 0,
  recorded: zeroOutcomes(),
  candidate: zeroOutcomes(),
  vsAnalysts: { decided: 0, agreed: 0, letThrough: 0, wouldReject: 0 },
  flipCount: 0,
});

/** Ids of the key spaces that are not validate's decisions (informational cases). */
export const isValidateDecision = (transactionId: string) =>
  !transactionId.startsWith('onepipe#') && !transactionId.startsWith('provider-late:');

const RANK: Record<DecisionStatus, number> = { APPROVED: 0, PENDING_EXTERNAL_APPROVAL: 1, REJECTED: 2 };
const hitRank = (outcome: Rule['outcome']) => (outcome === 'REJECT' ? 2 : 1);
const asOutcome = (value: string | undefined): DecisionStatus | undefined =>
  (OUTCOMES as readonly string[]).includes(value ?? '') ? (value as DecisionStatus) : undefined;

/** A person's final outcome on the case, or null when no person decided it. */
export const analystOutcome = (item: Pick<BacktestDecision, 'decidedBy' | 'status'>): Flip['analyst'] => {
  const by = item.decidedBy;
  if (!by || by.startsWith('system:') || by.startsWith('provider:')) return null;
  return item.status === 'APPROVED' || item.status === 'REJECTED' ? item.status : null;
};

/**
 * The rules that made the difference between two answers: the hits (and unevaluable rules, which
 * count as REVIEW) of the stricter side whose outcome alone is stricter than the looser answer.
 */
const difference = (
  stricter: { hits: readonly Pick<RuleHit, 'rule' | 'outcome'>[]; errors: readonly { rule: string }[] },
  looser: DecisionStatus,
): string[] => {
  const rules = stricter.hits.filter((hit) => hitRank(hit.outcome) > RANK[looser]).map((hit) => hit.rule);
  if (looser === 'APPROVED') rules.push(...stricter.errors.map((error) => error.rule));
  return [...new Set(rules)];
};

/**
 * Evaluates one scanned page with the candidate: its counts, flips and per-rule figures. `items`
 * are the page's items in the window (already filtered by createdAt); `scanned` how many it read.
 */
export const evaluatePage = (engine: RulesEngine, items: readonly unknown[], scanned: number): PageResult => {
  const counts = { ...zeroCounts(), scanned };
  const flips: Flip[] = [];
  const perRule: Record<string, RuleFigures> = {};
  const figures = (rule: string) => {
    perRule[rule] ??= { hits: 0, analystRejected: 0, analystApproved: 0 };
    return perRule[rule];
  };
  for (const raw of items) {
    const parsed = BacktestDecisionSchema.safeParse(raw);
    // An item of another key space, or one whose answer is not one of the three, is not a validate decision.
    if (parsed.success && !isValidateDecision(parsed.data.transactionId)) continue;
    const item = parsed.success ? parsed.data : undefined;
    // The rules' answer at the time: a provider's verdict is no rule's, and the candidate is rules only.
    const recorded = asOutcome(item?.rulesStatus ?? item?.initialStatus ?? item?.status);
    if (!item || !recorded || !item.facts || !item.transaction) {
      counts.skipped++;
      continue;
    }
    const evaluation = engine.evaluate({ ...(item.facts as unknown as Omit<Facts, 'tx'>), tx: item.transaction });
    const candidate = evaluation.status;
    const analyst = analystOutcome(item);
    counts.processed++;
    counts.recorded[recorded]++;
    counts.candidate[candidate]++;
    if (analyst) {
      counts.vsAnalysts.decided++;
      if ((candidate === 'APPROVED') === (analyst === 'APPROVED')) counts.vsAnalysts.agreed++;
      if (analyst === 'REJECTED' && candidate === 'APPROVED') counts.vsAnalysts.letThrough++;
      if (analyst === 'APPROVED' && candidate === 'REJECTED') counts.vsAnalysts.wouldReject++;
    }
    for (const hit of evaluation.hits) {
      const rule = figures(hit.rule);
      rule.hits++;
      if (analyst === 'REJECTED') rule.analystRejected++;
      if (analyst === 'APPROVED') rule.analystApproved++;
    }
    if (candidate !== recorded) {
      counts.flipCount++;
      const rules =
        RANK[candidate] > RANK[recorded]
          ? difference(evaluation, recorded)
          : difference({ hits: item.hits, errors: item.ruleErrors }, candidate);
      flips.push({
        transactionId: item.transactionId,
        createdAt: item.createdAt,
        from: recorded,
        to: candidate,
        rules,
        analyst,
      });
    }
  }
  return { counts, flips, perRule };
};

/** Counts as flat `name: number` pairs (`recorded.APPROVED`), what storage ADDs to the summary. */
export const flattenCounts = (counts: BacktestCounts): Record<string, number> => {
  const flat: Record<string, number> = {
    scanned: counts.scanned,
    processed: counts.processed,
    skipped: counts.skipped,
    flipCount: counts.flipCount,
  };
  for (const outcome of OUTCOMES) {
    flat[`recorded.${outcome}`] = counts.recorded[outcome];
    flat[`candidate.${outcome}`] = counts.candidate[outcome];
  }
  for (const [name, value] of Object.entries(counts.vsAnalysts)) flat[`vsAnalysts.${name}`] = value;
  return flat;
};

/** Counts back from their flat names (a missing one is 0: nothing was added to it yet). */
export const unflattenCounts = (flat: Record<string, unknown>): BacktestCounts => {
  const counts = zeroCounts();
  const read = (name: string) => (typeof flat[name] === 'number' ? (flat[name] as number) : 0);
  counts.scanned = read('scanned');
  counts.processed = read('processed');
  counts.skipped = read('skipped');
  counts.flipCount = read('flipCount');
  for (const outcome of OUTCOMES) {
    counts.recorded[outcome] = read(`recorded.${outcome}`);
    counts.candidate[outcome] = read(`candidate.${outcome}`);
  }
  for (const name of Object.keys(counts.vsAnalysts) as (keyof BacktestCounts['vsAnalysts'])[]) {
    counts.vsAnalysts[name] = read(`vsAnalysts.${name}`);
  }
  return counts;
};

export type BacktestStatus = 'RUNNING' | 'DONE' | 'FAILED';

/** A backtest as stored: its parameters (enough to run it again), its state and its summed counts. */
export interface BacktestSummary {
  backtestId: string;
  ruleSet: RuleSetName;
  version: number;
  from: string;
  to: string;
  createdBy: string;
  createdAt: string;
  finishedAt?: string;
  status: BacktestStatus;
  /** Why it failed (FAILED only). */
  error?: string;
  segments: number;
  segmentsDone: number;
  /** The candidate's rule ids, in its order (perRule lists every one). */
  rules: string[];
  /** DynamoDB read units the scan consumed so far. */
  readUnits: number;
  /** When a page was last recorded (absent before the first). */
  lastPageAt?: string;
  counts: BacktestCounts;
}

/**
 * How long a RUNNING backtest may go without recording a page before it is reported FAILED: longer
 * than a page's every retry (5 receives, 6 minutes apart) with room to spare. A page whose worker
 * timed out or ran out of memory never reaches the worker's own failure path: its message ends in
 * the backtestPages DLQ, and without this the backtest would show RUNNING for ever.
 */
export const BACKTEST_STALL_MS = 45 * 60 * 1000;

/** Why a RUNNING backtest is taken as failed (no page recorded for BACKTEST_STALL_MS), or undefined. */
export const stalled = (summary: BacktestSummary, now: Date): string | undefined => {
  if (summary.status !== 'RUNNING') return undefined;
  const since = summary.lastPageAt ?? summary.createdAt;
  if (now.getTime() - Date.parse(since) < BACKTEST_STALL_MS) return undefined;
  return `stalled: no page recorded since ${since} (a page whose worker timed out or ran out of memory is in the backtestPages DLQ); start it again`;
};

/** A summary as the API lists it: the parameters, the state and the progress. */
export const summaryView = (summary: BacktestSummary) => ({
  backtestId: summary.backtestId,
  ruleSet: summary.ruleSet,
  version: summary.version,
  from: summary.from,
  to: summary.to,
  createdBy: summary.createdBy,
  createdAt: summary.createdAt,
  ...(summary.finishedAt ? { finishedAt: summary.finishedAt } : {}),
  status: summary.status,
  ...(summary.error ? { error: summary.error } : {}),
  // processed: decisions of the window evaluated; skipped: without facts; total: both (so far, while RUNNING).
  processed: summary.counts.processed,
  total: summary.counts.processed + summary.counts.skipped,
  skipped: summary.counts.skipped,
  // Progress and cost: segments finished, items read (the whole table), read units consumed.
  segments: summary.segments,
  segmentsDone: summary.segmentsDone,
  scanned: summary.counts.scanned,
  readUnits: summary.readUnits,
});

/** A backtest whole: its summary and its result, from the summed counts and the pages' flips and rule figures. */
export const backtestView = (summary: BacktestSummary, pages: readonly Pick<PageResult, 'flips' | 'perRule'>[]) => {
  const { counts } = summary;
  const flips = pages
    .flatMap((page) => page.flips)
    .sort((a, b) =>
      a.createdAt === b.createdAt ? a.transactionId.localeCompare(b.transactionId) : a.createdAt < b.createdAt ? -1 : 1,
    );
  const perRule = summary.rules.map((rule) => {
    const total: RuleFigures = { hits: 0, analystRejected: 0, analystApproved: 0 };
    for (const page of pages) {
      const figures = page.perRule[rule];
      if (!figures) continue;
      total.hits += figures.hits;
      total.analystRejected += figures.analystRejected;
      total.analystApproved += figures.analystApproved;
    }
    return { rule, ...total };
  });
  return {
    ...summaryView(summary),
    result: {
      recorded: counts.recorded,
      candidate: counts.candidate,
      vsAnalysts: counts.vsAnalysts,
      flips: flips.slice(0, FLIP_LIST_LIMIT),
      flipCount: counts.flipCount,
      perRule,
    },
  };
};

/** Where a segment goes after a page: its next page, or nowhere (the segment is finished). */
export type NextPage = { startKey: { transactionId: string } } | { last: true };

/** What running one page needs (adapters/backtest-repository.ts, the pages queue). */
export interface BacktestPageDeps {
  /**
   * The backtest's parameters and state. May answer from a cache: the parameters never change, and
   * the state is checked again by recordPage's condition.
   */
  getSummary(backtestId: string): Promise<BacktestSummary | undefined>;
  /** The candidate compiled (cached: a version's rules never change). */
  engineFor(ruleSet: RuleSetName, version: number): Promise<RulesEngine>;
  scanPage(input: {
    segment: number;
    segments: number;
    startKey?: { transactionId: string } | undefined;
    from: string;
    to: string;
  }): Promise<{ items: unknown[]; scanned: number; next: NextPage; readUnits: number }>;
  /**
   * In one transaction: the page item (only if absent) and the page's counts added to the summary
   * (only while RUNNING; a segment's last page also counts the segment as done). 'duplicate' when
   * the page was recorded before (a redelivered message); 'not-running' when the backtest ended.
   */
  recordPage(input: {
    message: BacktestPageMessage;
    result: PageResult;
    next: NextPage;
    readUnits: number;
  }): Promise<'recorded' | 'duplicate' | 'not-running'>;
  /** Where a recorded page said its segment goes next. */
  recordedNext(message: BacktestPageMessage): Promise<NextPage | undefined>;
  /** RUNNING -> DONE once every segment is done (a conditional update); false when not (yet). */
  finish(backtestId: string, segments: number, now: Date): Promise<boolean>;
  sendPages(messages: BacktestPageMessage[]): Promise<void>;
}

export type PageOutcome =
  | { kind: 'recorded' | 'duplicate'; next: NextPage; finished: boolean }
  | { kind: 'not-running' | 'unknown-backtest' };

/**
 * Runs one page of one segment: scan, evaluate, record (once), then send the segment's next page,
 * or, after its last page, try to finish the backtest. A redelivered message finds its page
 * recorded and only repeats what follows it (the next page message, the finish), which are
 * harmless twice: the next page is recorded once, the finish is conditional.
 */
export const runBacktestPage = async (
  message: BacktestPageMessage,
  deps: BacktestPageDeps,
  now: () => Date = () => new Date(),
): Promise<PageOutcome> => {
  const summary = await deps.getSummary(message.backtestId);
  if (!summary) return { kind: 'unknown-backtest' };
  if (summary.status !== 'RUNNING') return { kind: 'not-running' };
  const engine = await deps.engineFor(summary.ruleSet, summary.version);
  const page = await deps.scanPage({ ...message, from: summary.from, to: summary.to });
  const result = evaluatePage(engine, page.items, page.scanned);
  const recorded = await deps.recordPage({ message, result, next: page.next, readUnits: page.readUnits });
  if (recorded === 'not-running') return { kind: recorded };
  // A duplicate goes on from where the recorded page said, not from this scan (the table may have changed).
  const next = recorded === 'duplicate' ? ((await deps.recordedNext(message)) ?? page.next) : page.next;
  if ('startKey' in next) {
    await deps.sendPages([{ ...message, page: message.page + 1, startKey: next.startKey }]);
    return { kind: recorded, next, finished: false };
  }
  const finished = await deps.finish(message.backtestId, message.segments, now());
  return { kind: recorded, next, finished };
};
