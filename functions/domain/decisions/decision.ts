import type { ProviderMode, ProviderOutcome } from '../providers/verdicts.js';
import type { DecisionStatus, Evaluation, Facts, RulesEngine } from '../rules/engine.js';
import type { ShadowOutcome } from '../rules/rule-stats.js';
import type { NormalisedTransaction } from './transaction.js';

/** A reason as Toqio and the analysts read it. */
export interface Reason {
  rule: string;
  description: string;
}

/** Everything stored about one validate decision. */
/** How a provider took part in a decision (absent with the built-in rules alone). */
export interface ProviderPart {
  name: string;
  mode: ProviderMode;
  outcome: ProviderOutcome;
  rulesStatus: DecisionStatus;
  providerStatus: DecisionStatus | 'NO_ANSWER';
  agreed: boolean;
}

export interface Decision {
  transactionId: string;
  provider?: ProviderPart;
  status: DecisionStatus;
  reasons: Reason[];
  evaluation: Evaluation;
  facts: Facts;
  transaction: NormalisedTransaction;
  decidedAt: string;
  /** The shadowed version's outcome on the same facts: stored, never answered, never a case. */
  shadow?: ShadowOutcome;
}

/** What Toqio gets back from `POST /transaction/validate`. */
export interface ValidateAnswer {
  status: DecisionStatus;
  transactionId: string;
  reasons: Reason[];
}

export const SERVICE_DEGRADED: Reason = {
  rule: 'SERVICE_DEGRADED',
  description: 'Decision storage did not answer within the latency budget; the configured fail mode was applied',
};

/** The facts a condition reads, built from the normalised payment and its velocity. */
export const buildFacts = (
  transaction: NormalisedTransaction,
  velocity: Facts['velocity'],
  firstTimeBeneficiary: boolean,
): Facts => ({
  tx: transaction as unknown as Record<string, unknown>,
  velocity,
  beneficiary: { key: transaction.beneficiaryKey, firstTime: firstTimeBeneficiary },
});

/** Decides one payment with the rules engine. Pure: the caller supplies facts and the clock. */
export const decidePayment = (input: {
  transaction: NormalisedTransaction;
  facts: Facts;
  engine: RulesEngine;
  now: Date;
}): Decision => {
  const evaluation = input.engine.evaluate(input.facts);
  const reasons: Reason[] = evaluation.hits.map(({ rule, description }) => ({ rule, description }));
  for (const error of evaluation.errors) {
    reasons.push({ rule: error.rule, description: `Rule could not be evaluated: ${error.message}` });
  }
  return {
    transactionId: input.transaction.id,
    status: evaluation.status,
    reasons,
    evaluation,
    facts: input.facts,
    transaction: input.transaction,
    decidedAt: input.now.toISOString(),
  };
};

export const toAnswer = (decision: Pick<Decision, 'status' | 'transactionId' | 'reasons'>): ValidateAnswer => ({
  status: decision.status,
  transactionId: decision.transactionId,
  reasons: decision.reasons,
});

/** The answer when storage is unavailable: only REJECTED may be answered without being stored. */
export const degradedAnswer = (transactionId: string, failMode: DecisionStatus): ValidateAnswer => ({
  status: failMode,
  transactionId,
  reasons: [SERVICE_DEGRADED],
});
