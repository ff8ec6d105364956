/**
 * What rules' hits add up to, apart from the engine that evaluates them (engine.ts): functions
 * that only read stored outcomes (the ruleStats function) do not carry the CEL engine.
 */
export type DecisionStatus = 'APPROVED' | 'REJECTED' | 'PENDING_EXTERNAL_APPROVAL';

export interface RuleHit {
  rule: string;
  description: string;
  outcome: 'REJECT' | 'REVIEW';
  score?: number;
}

/** Any REJECT rejects; else any REVIEW (or a rule that could not be evaluated) holds for review. */
export const decideStatus = (hits: readonly Pick<RuleHit, 'outcome'>[], hadErrors: boolean): DecisionStatus => {
  if (hits.some((hit) => hit.outcome === 'REJECT')) return 'REJECTED';
  if (hadErrors || hits.some((hit) => hit.outcome === 'REVIEW')) return 'PENDING_EXTERNAL_APPROVAL';
  return 'APPROVED';
};
