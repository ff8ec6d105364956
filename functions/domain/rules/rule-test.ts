import { buildFacts } from '../decisions/decision.js';
import { normaliseTransaction, type Transaction } from '../decisions/transaction.js';
import { velocityFacts } from '../decisions/velocity.js';
import type { Facts, RulesEngine } from './engine.js';

/**
 * The facts of a payment given in Toqio's shape, as validate would build them for a customer with
 * no earlier payments (velocity counts this payment only; the beneficiary is not new).
 */
export const factsOfPayment = (payload: Transaction, now: Date): Facts => {
  const transaction = normaliseTransaction(payload);
  const velocity = velocityFacts({
    hasBeneficiary: transaction.beneficiaryKey !== null,
    firstTimeBeneficiary: false,
    baseAmountMillis: transaction.baseAmountMillis,
    nowSeconds: Math.floor(now.getTime() / 1000),
  });
  return buildFacts(transaction, velocity, false);
};

/** The outcome, the hits and the facts the rules read. */
export const testRules = (engine: RulesEngine, facts: Facts) => {
  const evaluation = engine.evaluate(facts);
  return {
    outcome: evaluation.status,
    hits: evaluation.hits,
    errors: evaluation.errors,
    ruleSetVersion: evaluation.ruleSetVersion,
    facts,
  };
};
