import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import type { Reason } from '../decisions/decision.js';
import type { NormalisedTransaction } from '../decisions/transaction.js';
import type { DecisionStatus } from '../rules/engine.js';
import { ConflictError, ForbiddenError, NotFoundError } from '../shared/errors.js';

/**
 * A case is a payment held for review (PENDING_EXTERNAL_APPROVAL). It moves FIRST -> (SECOND,
 * for amounts at or above the four-eyes threshold) -> FINAL; when the two people disagree (the
 * first rejected, the second approved) it goes to a third person (ESCALATED) before FINAL. Every
 * change bumps `version`, and storage only accepts a change made against the version it was
 * planned on.
 */
export type ReviewStage = 'FIRST' | 'SECOND' | 'ESCALATED' | 'FINAL';
export type FinalStatus = Extract<DecisionStatus, 'APPROVED' | 'REJECTED'>;

/** The queue's status filter, as analysts think of it. */
export const CASE_FILTERS = [
  'PENDING',
  'AWAITING_SECOND_APPROVAL',
  'ESCALATED',
  'APPROVED',
  'REJECTED',
  'INFORMATIONAL',
] as const;
export type CaseFilter = (typeof CASE_FILTERS)[number];

export interface Actor {
  name: string;
  role: 'analyst' | 'supervisor' | 'system';
}

// Schemas here are z.lazy: built on their first parse, so a function that never parses them
// does not build them at cold start (npm run bench:cold).
/** One person's decision on a four-eyes case, before the final one. */
export const ReviewerDecisionSchema = z.lazy(() =>
  z.looseObject({
    status: z.enum(['APPROVED', 'REJECTED']),
    reason: z.string(),
    by: z.string(),
    at: z.string(),
  }),
);
export type FirstDecision = z.infer<typeof ReviewerDecisionSchema>;

/**
 * The stored decision as a case: the one schema of a decisions-table item, parsed on every read
 * of a case. Decisions made final at validate time carry no review stage or version (they are
 * FINAL, version 1); informational cases (`onepipe#`, `provider-late:`) are INFORMATIONAL. Unknown
 * attributes (facts, hits, the raw payload, ...) are kept as stored.
 */
export const CaseRecordSchema = z.lazy(() =>
  z.looseObject({
    transactionId: z.string().min(1),
    status: z.enum(['APPROVED', 'REJECTED', 'PENDING_EXTERNAL_APPROVAL', 'INFORMATIONAL']),
    reviewStage: z.enum(['FIRST', 'SECOND', 'ESCALATED', 'FINAL']).default('FINAL'),
    version: z.number().int().positive().default(1),
    createdAt: z.string(),
    customer: z.string(),
    baseAmount: z.number().default(0),
    currency: z.string().nullable().optional(),
    reasons: z.array(z.looseObject({ rule: z.string(), description: z.string() })).default([]),
    ruleIds: z.array(z.string()).optional(),
    claimedBy: z.string().optional(),
    claimedAt: z.string().optional(),
    firstDecision: ReviewerDecisionSchema.optional(),
    /** The second person's decision when it disagreed with the first (the case then went to a third). */
    secondDecision: ReviewerDecisionSchema.optional(),
    /** When the SLA sweeper escalated the case instead of approving it without four eyes. */
    slaEscalatedAt: z.string().optional(),
    decidedAt: z.string().optional(),
    decidedBy: z.string().optional(),
    finalReason: z.string().optional(),
    /** The normalised payment, as stored at validate time. */
    transaction: z.custom<NormalisedTransaction>((value) => typeof value === 'object' && value !== null).nullish(),
  }),
);
export type CaseRecord = z.infer<typeof CaseRecordSchema>;

export type CaseAction =
  | 'CREATED'
  | 'CLAIMED'
  | 'RELEASED'
  | 'NOTED'
  | 'FIRST_APPROVAL'
  | 'DECIDED'
  | 'EXPIRED'
  | 'ESCALATED'
  | 'PROVIDER_VERDICT'
  | 'RECONCILED'
  | 'DELIVERED';

/** What a case looked like before and after a change, as history shows it. */
export interface CaseSnapshot {
  status: CaseRecord['status'];
  reviewStage: ReviewStage;
  claimedBy: string | null;
}

/** One append-only history entry. Entry ids sort by time. */
export interface HistoryEntry {
  transactionId: string;
  entryId: string;
  at: string;
  actor: string;
  action: CaseAction;
  before?: CaseSnapshot;
  after?: CaseSnapshot;
  details?: Record<string, unknown>;
}

export const DecisionRequestSchema = z.lazy(() =>
  z.strictObject({
    status: z.enum(['APPROVED', 'REJECTED'], { error: 'must be APPROVED or REJECTED' }),
    reason: z.string({ error: 'is required' }).trim().min(3, 'must say why (3+ characters)').max(2000),
  }),
);
export type DecisionRequest = z.infer<typeof DecisionRequestSchema>;

export const NoteRequestSchema = z.lazy(() =>
  z.strictObject({
    text: z.string({ error: 'is required' }).trim().min(1, 'must not be empty').max(5000),
  }),
);

/** Refusals of case changes; their kinds map to HTTP statuses in the shared error table. */
export class CaseNotFoundError extends NotFoundError {}
export class CaseConflictError extends ConflictError {}
export class CaseForbiddenError extends ForbiddenError {}

export const snapshot = (record: CaseRecord): CaseSnapshot => ({
  status: record.status,
  reviewStage: record.reviewStage,
  claimedBy: record.claimedBy ?? null,
});

export const historyEntry = (
  record: Pick<CaseRecord, 'transactionId'>,
  input: {
    action: CaseAction;
    actor: string;
    now: Date;
    before?: CaseSnapshot;
    after?: CaseSnapshot;
    details?: Record<string, unknown>;
  },
): HistoryEntry => {
  const at = input.now.toISOString();
  return {
    transactionId: record.transactionId,
    entryId: `${at}#${randomUUID().slice(0, 8)}`,
    at,
    actor: input.actor,
    action: input.action,
    ...(input.before ? { before: input.before } : {}),
    ...(input.after ? { after: input.after } : {}),
    ...(input.details ? { details: input.details } : {}),
  };
};

/** A planned change: the attributes to set (null removes), the history entry, and whether it is final. */
export interface CaseChange {
  set: Partial<Record<keyof CaseRecord, unknown>>;
  history: HistoryEntry;
  final?: { status: FinalStatus; reason: string; decidedAt: string; decidedBy: string };
}

const assertOpen = (record: CaseRecord) => {
  if (record.reviewStage === 'FINAL' || record.status !== 'PENDING_EXTERNAL_APPROVAL') {
    throw new CaseConflictError(`Case ${record.transactionId} is already ${record.status}`);
  }
};

const assertNotClaimedByOther = (record: CaseRecord, actor: Actor) => {
  if (record.claimedBy && record.claimedBy !== actor.name && actor.role !== 'supervisor') {
    throw new CaseConflictError(`Case ${record.transactionId} is claimed by ${record.claimedBy}`);
  }
};

const apply = (record: CaseRecord, set: CaseChange['set']): CaseRecord => {
  const next = { ...record } as Record<string, unknown>;
  for (const [key, value] of Object.entries(set)) {
    if (value === null) delete next[key];
    else next[key] = value;
  }
  return CaseRecordSchema.parse(next);
};

/** An analyst takes a case so others do not work on it at the same time. */
export const planClaim = (record: CaseRecord, actor: Actor, now: Date): CaseChange => {
  assertOpen(record);
  if (record.claimedBy === actor.name) throw new CaseConflictError(`You already hold case ${record.transactionId}`);
  assertNotClaimedByOther(record, actor);
  const set = { claimedBy: actor.name, claimedAt: now.toISOString() };
  return {
    set,
    history: historyEntry(record, {
      action: 'CLAIMED',
      actor: actor.name,
      now,
      before: snapshot(record),
      after: snapshot(apply(record, set)),
    }),
  };
};

/** The holder (or a supervisor) gives a case back to the queue. */
export const planRelease = (record: CaseRecord, actor: Actor, now: Date): CaseChange => {
  assertOpen(record);
  if (!record.claimedBy) throw new CaseConflictError(`Case ${record.transactionId} is not claimed`);
  assertNotClaimedByOther(record, actor);
  const set = { claimedBy: null, claimedAt: null };
  return {
    set,
    history: historyEntry(record, {
      action: 'RELEASED',
      actor: actor.name,
      now,
      before: snapshot(record),
      after: snapshot(apply(record, set)),
    }),
  };
};

const reviewReason = (status: FinalStatus, reason: string, rule: string): Reason => ({
  rule,
  description: `${status === 'APPROVED' ? 'Approved' : 'Rejected'}: ${reason}`,
});

/** Whether an amount needs two people to approve it. */
export const needsFourEyes = (record: Pick<CaseRecord, 'baseAmount'>, fourEyesThreshold: number) =>
  record.baseAmount >= fourEyesThreshold;

/**
 * An analyst's or supervisor's decision. Below the four-eyes threshold the first decision is
 * final. At or above it, an approval needs two different people who both approve: the first
 * decision only records itself (nothing goes to Toqio); the second must come from a different
 * supervisor. If they disagree the other way round (the first rejected, the second approved),
 * the case goes to a third supervisor, different from both, whose decision is final; so no
 * payment is ever approved by one person alone, and no single approval overrides a rejection.
 */
export const planDecision = (
  record: CaseRecord,
  request: DecisionRequest,
  actor: Actor,
  options: { now: Date; fourEyesThreshold: number },
): CaseChange => {
  assertOpen(record);
  assertNotClaimedByOther(record, actor);
  if (actor.role === 'system') throw new CaseForbiddenError('Only a person can decide a case');
  const at = options.now.toISOString();
  const needsTwo = needsFourEyes(record, options.fourEyesThreshold);
  /** A decision that only records itself: the case moves to `stage` and waits for the next person. */
  const recordOnly = (stage: 'SECOND' | 'ESCALATED', action: CaseAction, details: Record<string, unknown> = {}) => {
    const decision = { status: request.status, reason: request.reason, by: actor.name, at };
    const set = { reviewStage: stage, [stage === 'SECOND' ? 'firstDecision' : 'secondDecision']: decision };
    return {
      set,
      history: historyEntry(record, {
        action,
        actor: actor.name,
        now: options.now,
        before: snapshot(record),
        after: snapshot(apply(record, set)),
        details: { status: request.status, reason: request.reason, ...details },
      }),
    };
  };
  if (needsTwo && record.reviewStage === 'FIRST') return recordOnly('SECOND', 'FIRST_APPROVAL');
  if (needsTwo) {
    const earlier = [record.firstDecision?.by, record.secondDecision?.by];
    if (earlier.includes(actor.name)) {
      throw new CaseForbiddenError(
        record.reviewStage === 'ESCALATED'
          ? 'Four-eyes: the deciding decision must come from a third person'
          : 'Four-eyes: the second decision must come from a different person',
      );
    }
    if (actor.role !== 'supervisor') throw new CaseForbiddenError('Four-eyes: this decision needs a supervisor');
    if (
      record.reviewStage === 'SECOND' &&
      record.firstDecision?.status === 'REJECTED' &&
      request.status === 'APPROVED'
    ) {
      return recordOnly('ESCALATED', 'ESCALATED', {
        why: 'Four-eyes: the first person rejected and the second approved; a third person decides',
        firstDecision: record.firstDecision,
      });
    }
  }
  return finalChange(record, request, {
    actor: actor.name,
    action: 'DECIDED',
    rule: 'MANUAL_REVIEW',
    now: options.now,
  });
};

/** What a monitoring provider's asynchronous verdict does to a case (never counted as a person). */
export type ProviderVerdictPlan =
  | { kind: 'change'; change: CaseChange }
  | { kind: 'record'; entry: HistoryEntry; why: string };

/**
 * A provider's verdict on an open case. A provider is not a person: it never counts as a
 * supervisor or as one of the four eyes. Its rejection closes the case (money does not leave);
 * its approval closes a case only below the four-eyes threshold and before any person has
 * decided on it; otherwise, and always in `shadow` mode, the verdict is only recorded.
 */
export const planProviderVerdict = (
  record: CaseRecord,
  verdict: { status: 'APPROVED' | 'REJECTED' | 'PENDING'; reason: string; provider: string; mode: string },
  options: { now: Date; fourEyesThreshold: number },
): ProviderVerdictPlan => {
  assertOpen(record);
  const actor = `provider:${verdict.provider}`;
  const record_ = (why: string): ProviderVerdictPlan => ({
    kind: 'record',
    why,
    entry: historyEntry(record, {
      action: 'PROVIDER_VERDICT',
      actor,
      now: options.now,
      details: { status: verdict.status, reason: verdict.reason, mode: verdict.mode, applied: false, why },
    }),
  });
  if (verdict.mode === 'shadow') return record_('shadow mode: provider verdicts are recorded, never applied');
  if (verdict.status === 'PENDING') {
    // Not a decision: the provider's words become a note on the case.
    return {
      kind: 'record',
      why: 'the provider has not decided yet',
      entry: historyEntry(record, { action: 'NOTED', actor, now: options.now, details: { text: verdict.reason } }),
    };
  }
  if (verdict.status === 'APPROVED') {
    if (needsFourEyes(record, options.fourEyesThreshold)) {
      return record_('four-eyes: an approval at or above the threshold needs two people; a provider is not one');
    }
    if (record.reviewStage !== 'FIRST') return record_('a person is already deciding this case');
  }
  return {
    kind: 'change',
    change: finalChange(
      record,
      { status: verdict.status, reason: verdict.reason },
      { actor, action: 'DECIDED', rule: 'PROVIDER_VERDICT', now: options.now },
    ),
  };
};

/** The change that closes a case (by a person, or by the SLA sweeper). */
export const finalChange = (
  record: CaseRecord,
  request: DecisionRequest,
  options: { actor: string; action: 'DECIDED' | 'EXPIRED'; rule: string; now: Date },
): CaseChange => {
  assertOpen(record);
  const at = options.now.toISOString();
  const set = {
    status: request.status,
    reviewStage: 'FINAL',
    decidedAt: at,
    decidedBy: options.actor,
    finalReason: request.reason,
    reasons: [...record.reasons, reviewReason(request.status, request.reason, options.rule)],
    claimedBy: null,
    claimedAt: null,
  };
  return {
    set,
    history: historyEntry(record, {
      action: options.action,
      actor: options.actor,
      now: options.now,
      before: snapshot(record),
      after: snapshot(apply(record, set)),
      details: {
        status: request.status,
        reason: request.reason,
        ...(record.firstDecision ? { firstDecision: record.firstDecision } : {}),
      },
    }),
    final: { status: request.status, reason: request.reason, decidedAt: at, decidedBy: options.actor },
  };
};

/** The TRANSACTION_MONITORING_STATUS_UPDATED body Toqio receives (see the partner notes). */
export const statusUpdatedPayload = (transactionId: string, final: NonNullable<CaseChange['final']>) => ({
  transactionId,
  status: final.status,
  reason: final.reason,
  decidedAt: final.decidedAt,
  decidedBy: final.decidedBy,
});

export interface SlaView {
  deadline: string;
  remainingMs: number;
  atRisk: boolean;
  expired: boolean;
}

/** Where a case stands against the pending time limit. */
export const slaView = (
  record: Pick<CaseRecord, 'createdAt'>,
  now: Date,
  slaMs: number,
  warningMs: number,
): SlaView => {
  const deadline = Date.parse(record.createdAt) + slaMs;
  const remainingMs = deadline - now.getTime();
  return {
    deadline: new Date(deadline).toISOString(),
    remainingMs,
    atRisk: remainingMs > 0 && remainingMs <= warningMs,
    expired: remainingMs <= 0,
  };
};
