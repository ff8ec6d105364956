import type { Reason } from '../decisions/decision.js';
import type { NormalisedTransaction, Transaction } from '../decisions/transaction.js';
import type { DecisionStatus, Evaluation } from '../rules/engine.js';

/**
 * A transaction-monitoring provider behind one port. Adapters (rules, a generic HTTP provider,
 * Flagright) turn their vendor's answer into a verdict; the domain decides what it means.
 */
export type ProviderStatus = 'APPROVED' | 'REJECTED' | 'PENDING';
export const PROVIDER_MODES = ['primary', 'both', 'shadow'] as const;
export type ProviderMode = (typeof PROVIDER_MODES)[number];

export interface ProviderVerdict {
  status: ProviderStatus;
  reasons: Reason[];
  /** The provider's own reference for this screening. */
  reference?: string;
  /** The provider's answer as received, for the record. */
  raw?: unknown;
}

export interface ProviderPort {
  name: string;
  screen(
    input: { transaction: NormalisedTransaction; payload: Transaction },
    signal: AbortSignal,
  ): Promise<ProviderVerdict>;
  /** Fetches the verdict on a transaction it has already screened (Flagright: GET /transactions/{id}). */
  recheck?(transactionId: string, signal: AbortSignal): Promise<ProviderVerdict>;
}

/** The answer could not be read: a verdict we cannot trust is treated like no answer. */
export class ProviderUnreadableError extends Error {
  override name = 'ProviderUnreadableError';
}

/** What one screening call produced, within the latency budget. */
export type ProviderOutcome =
  | { kind: 'verdict'; provider: string; verdict: ProviderVerdict; latencyMs: number }
  | { kind: 'failed'; provider: string; error: string; timedOut: boolean; breakerOpen: boolean; latencyMs: number };

/**
 * A partner's word looked up in one of our tables: own entries only, so a word such as
 * `__proto__`, `constructor` or `toString` selects nothing (a plain `table[word]` finds
 * Object.prototype's members and took them for a verdict).
 */
export const lookupOwn = <V>(table: Readonly<Record<string, V>>, word: string): V | undefined =>
  Object.hasOwn(table, word) ? table[word] : undefined;

export const toDecisionStatus = (status: ProviderStatus): DecisionStatus =>
  status === 'PENDING' ? 'PENDING_EXTERNAL_APPROVAL' : status;

const STRICTNESS: Record<DecisionStatus, number> = { APPROVED: 0, PENDING_EXTERNAL_APPROVAL: 1, REJECTED: 2 };
export const stricter = (a: DecisionStatus, b: DecisionStatus): DecisionStatus =>
  STRICTNESS[a] >= STRICTNESS[b] ? a : b;

export interface Combined {
  status: DecisionStatus;
  /** Reasons to add to the rules' reasons (provider hits, or the fallback's reason). */
  reasons: Reason[];
  /** What the rules alone would have said, and what the provider said (for the shadow report). */
  rulesStatus: DecisionStatus;
  providerStatus: DecisionStatus | 'NO_ANSWER';
  agreed: boolean;
}

/**
 * Combines the rules' evaluation with the provider's outcome:
 * - primary: the provider decides; the rules can only make it stricter with a REJECT rule (hard stops
 *   such as FATF countries or blocked parties), not hold a payment the provider approved;
 * - both: the stricter of the full rules outcome and the provider wins;
 * - shadow: the rules decide; the provider is only recorded.
 * A provider that fails (timeout, error, unreadable answer, open breaker) counts as the fallback.
 */
export const combine = (input: {
  mode: ProviderMode;
  rules: Evaluation;
  outcome: ProviderOutcome;
  fallback: ProviderStatus;
  timeoutMs: number;
}): Combined => {
  const { mode, rules, outcome } = input;
  const providerStatus = outcome.kind === 'verdict' ? toDecisionStatus(outcome.verdict.status) : 'NO_ANSWER';
  const effective =
    outcome.kind === 'verdict' ? toDecisionStatus(outcome.verdict.status) : toDecisionStatus(input.fallback);
  const providerReasons: Reason[] =
    outcome.kind === 'verdict'
      ? outcome.verdict.reasons.length > 0
        ? outcome.verdict.reasons
        : [
            {
              rule: `${outcome.provider}:${outcome.verdict.status}`,
              description: `${outcome.provider} answered ${outcome.verdict.status}`,
            },
          ]
      : [
          {
            rule: 'PROVIDER_UNAVAILABLE',
            description: `${outcome.provider} ${outcome.breakerOpen ? 'is failing (circuit open)' : outcome.timedOut ? `did not answer within ${input.timeoutMs} ms` : `failed: ${outcome.error}`}; fallback ${input.fallback} applied`,
          },
        ];
  const hardStop = rules.hits.some((hit) => hit.outcome === 'REJECT') ? 'REJECTED' : 'APPROVED';
  let status: DecisionStatus;
  let reasons: Reason[];
  switch (mode) {
    case 'shadow':
      status = rules.status;
      reasons = [];
      break;
    case 'both':
      status = stricter(rules.status, effective);
      reasons = effective === 'APPROVED' && outcome.kind === 'verdict' ? [] : providerReasons;
      break;
    case 'primary':
      status = stricter(effective, hardStop);
      reasons = effective === 'APPROVED' && outcome.kind === 'verdict' ? [] : providerReasons;
      break;
  }
  return { status, reasons, rulesStatus: rules.status, providerStatus, agreed: providerStatus === rules.status };
};

/** The agreement report of shadow mode (or any mode): how often provider and rules agreed. */
export const agreementReport = (
  records: {
    transactionId: string;
    createdAt: string;
    rulesStatus: DecisionStatus;
    providerStatus: DecisionStatus | 'NO_ANSWER';
  }[],
) => {
  const disagreements = records.filter(
    (record) => record.providerStatus !== 'NO_ANSWER' && record.providerStatus !== record.rulesStatus,
  );
  const noAnswer = records.filter((record) => record.providerStatus === 'NO_ANSWER').length;
  const answered = records.length - noAnswer;
  const pairs: Record<string, number> = {};
  for (const record of records) {
    const key = `rules ${record.rulesStatus} / provider ${record.providerStatus}`;
    pairs[key] = (pairs[key] ?? 0) + 1;
  }
  return {
    total: records.length,
    answered,
    noAnswer,
    agreed: answered - disagreements.length,
    agreementRate: answered === 0 ? null : (answered - disagreements.length) / answered,
    byOutcome: pairs,
    disagreements: disagreements.slice(0, 200),
  };
};
