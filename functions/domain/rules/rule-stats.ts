import * as z from 'zod';
import { type DecisionStatus, decideStatus } from './outcome.js';

/**
 * Rule statistics as rows of the analytics table, derived from a stored decision (one image of a
 * decisions-table item): the ruleStats function maps every new image of the decisions table's
 * stream, and the backfill every stored decision, with this one mapping. A row holds the whole
 * state it was derived from (no counters), so writing an item's rows again, or a later image's
 * rows over an earlier one's, always ends with the rows of the latest image.
 *
 * - `hits#outbound#<rule>` / `<createdAt>#<transactionId>`: the payment hit the rule; whether it
 *   opened a case, its status and who made it final.
 * - `cases#outbound` / `<caseOpenedAt>#<transactionId>`: a case, when it opened and closed.
 * - `shadow#outbound@<version>` / `<createdAt>#<transactionId>`: a shadow evaluation beside the live one.
 */
export const STATS_RULE_SET = 'outbound';

export const hitsPartition = (rule: string) => `hits#${STATS_RULE_SET}#${rule}`;
export const CASES_PARTITION = `cases#${STATS_RULE_SET}`;
export const shadowPartition = (version: number) => `shadow#${STATS_RULE_SET}@${version}`;

/** Only validate's decisions count: OnePipe credits and a provider's late verdicts are stored beside them. */
export const isValidateDecision = (transactionId: string) =>
  !transactionId.startsWith('onepipe#') && !transactionId.startsWith('provider-late:');

// Schemas here are z.lazy: built on their first parse, so a function that never parses them
// does not build them at cold start (npm run bench:cold).
/** The shadow evaluation validate stores on a decision (never answered, never opens a case). */
export const ShadowOutcomeSchema = z.lazy(() =>
  z.object({
    version: z.number().int().positive(),
    outcome: z.enum(['APPROVED', 'REJECTED', 'PENDING_EXTERNAL_APPROVAL']),
    hits: z.array(z.string()),
  }),
);
export type ShadowOutcome = z.infer<typeof ShadowOutcomeSchema>;

/** What the mapping reads of a stored decision (every other attribute is ignored). */
export const StatsDecisionSchema = z.lazy(() =>
  z.looseObject({
    transactionId: z.string().min(1),
    status: z.string(),
    createdAt: z.string(),
    updatedAt: z.string().optional(),
    hits: z.array(z.looseObject({ rule: z.string() })).default([]),
    ruleErrors: z.array(z.unknown()).default([]),
    caseOpenedAt: z.string().optional(),
    decidedAt: z.string().optional(),
    decidedBy: z.string().optional(),
    shadow: ShadowOutcomeSchema.optional(),
  }),
);
export type StatsDecision = z.infer<typeof StatsDecisionSchema>;

/** A person made it final: not the SLA sweeper, a degraded reconciliation (`system:`) or a provider. */
export const decidedByPerson = (decidedBy: string | undefined) =>
  decidedBy !== undefined && !decidedBy.startsWith('system:') && !decidedBy.startsWith('provider:');

const FINAL = new Set(['APPROVED', 'REJECTED']);

export interface HitRow {
  pk: string;
  sk: string;
  kind: 'hit';
  rule: string;
  transactionId: string;
  createdAt: string;
  status: string;
  caseOpenedAt?: string;
  decidedAt?: string;
  decidedBy?: string;
  byPerson: boolean;
  /** The image's time: a row is only ever overwritten by the rows of a newer image. */
  imageAt: string;
}

export interface CaseRow {
  pk: string;
  sk: string;
  kind: 'case';
  transactionId: string;
  openedAt: string;
  status: string;
  closedAt?: string;
  imageAt: string;
}

export interface ShadowRow {
  pk: string;
  sk: string;
  kind: 'shadow';
  transactionId: string;
  createdAt: string;
  version: number;
  live: DecisionStatus;
  shadow: DecisionStatus;
  liveHits: string[];
  shadowHits: string[];
  imageAt: string;
}

export type StatsRow = HitRow | CaseRow | ShadowRow;

/** The live rule set's outcome, from the hits and rule errors the decision stored (not a provider's). */
export const liveOutcome = (decision: Pick<StatsDecision, 'hits' | 'ruleErrors'>): DecisionStatus =>
  decideStatus(
    decision.hits.map((hit) => ({
      rule: hit.rule,
      description: '',
      outcome: hit.outcome === 'REJECT' ? 'REJECT' : 'REVIEW',
    })),
    decision.ruleErrors.length > 0,
  );

/** The analytics rows of one stored decision; none for anything but validate's decisions. */
export const statsRows = (decision: StatsDecision): StatsRow[] => {
  if (!isValidateDecision(decision.transactionId)) return [];
  const imageAt = decision.updatedAt ?? decision.createdAt;
  const id = decision.transactionId;
  const final = FINAL.has(decision.status);
  const rows: StatsRow[] = [];
  for (const rule of new Set(decision.hits.map((hit) => hit.rule))) {
    rows.push({
      pk: hitsPartition(rule),
      sk: `${decision.createdAt}#${id}`,
      kind: 'hit',
      rule,
      transactionId: id,
      createdAt: decision.createdAt,
      status: decision.status,
      ...(decision.caseOpenedAt ? { caseOpenedAt: decision.caseOpenedAt } : {}),
      ...(final && decision.decidedAt ? { decidedAt: decision.decidedAt } : {}),
      ...(final && decision.decidedBy ? { decidedBy: decision.decidedBy } : {}),
      byPerson: final && decidedByPerson(decision.decidedBy),
      imageAt,
    });
  }
  if (decision.caseOpenedAt) {
    rows.push({
      pk: CASES_PARTITION,
      sk: `${decision.caseOpenedAt}#${id}`,
      kind: 'case',
      transactionId: id,
      openedAt: decision.caseOpenedAt,
      status: decision.status,
      ...(final ? { closedAt: decision.decidedAt ?? imageAt } : {}),
      imageAt,
    });
  }
  if (decision.shadow) {
    rows.push({
      pk: shadowPartition(decision.shadow.version),
      sk: `${decision.createdAt}#${id}`,
      kind: 'shadow',
      transactionId: id,
      createdAt: decision.createdAt,
      version: decision.shadow.version,
      live: liveOutcome(decision),
      shadow: decision.shadow.outcome,
      liveHits: decision.hits.map((hit) => hit.rule),
      shadowHits: decision.shadow.hits,
      imageAt,
    });
  }
  return rows;
};

/** `GET …/shadow-report?since=`: an ISO time (default: when the version's shadow run started). */
export const ShadowReportQuerySchema = z.strictObject({
  since: z.iso
    .datetime({ offset: true, error: 'must be an ISO date-time' })
    // Year 10000 in UTC is written `+010000-…`, which sorts before every row's time.
    .refine((value) => Number.isNaN(Date.parse(value)) || /^\d{4}-/.test(new Date(value).toISOString()), {
      message: 'must be between years 0000 and 9999 in UTC',
    })
    .optional(),
});

/** The most disagreements a shadow report lists (its counts are always complete). */
export const SHADOW_REPORT_LIMIT = 1000;

/** How a shadow version's outcomes compare with the live ones: agreement is the same outcome. */
export const shadowReport = (rows: readonly Pick<ShadowRow, keyof ShadowRow>[]) => {
  let agreed = 0;
  const disagreements: {
    transactionId: string;
    createdAt: string;
    live: DecisionStatus;
    shadow: DecisionStatus;
    liveHits: string[];
    shadowHits: string[];
  }[] = [];
  let disagreed = 0;
  for (const row of [...rows].sort((a, b) => a.sk.localeCompare(b.sk))) {
    if (row.live === row.shadow) {
      agreed++;
      continue;
    }
    disagreed++;
    if (disagreements.length < SHADOW_REPORT_LIMIT) {
      disagreements.push({
        transactionId: row.transactionId,
        createdAt: row.createdAt,
        live: row.live,
        shadow: row.shadow,
        liveHits: row.liveHits,
        shadowHits: row.shadowHits,
      });
    }
  }
  return { agreed, disagreed, disagreements };
};
