import * as z from 'zod';
import { buildFacts } from '../decisions/decision.js';
import { normaliseTransaction, type Transaction } from '../decisions/transaction.js';
import { velocityFacts } from '../decisions/velocity.js';
import type { Facts, RulesEngine } from './engine.js';
import { ListNameSchema } from './rule-check.js';

// Schemas here are z.lazy: built on their first parse, so a function that never parses them
// does not build them at cold start (npm run bench:cold).
/**
 * "What would these rules do to this payment": rules given in the body (checked like a draft), a
 * stored version, or the ACTIVE one, against a payment given in Toqio's shape or by the id of a
 * stored decision (its facts as they were, velocity included). Nothing is stored.
 */
export const RuleTestRequestSchema = z.lazy(() =>
  z
    .strictObject({
      version: z.number().int().positive().optional(),
      description: z.string().optional(),
      rules: z.array(z.unknown()).min(1).max(500).optional(),
      lists: z.record(ListNameSchema, z.array(z.string().max(256))).optional(),
      transactionId: z.string().min(1).max(1024).optional(),
      transaction: z.record(z.string(), z.unknown()).optional(),
    })
    .refine((body) => !(body.version !== undefined && body.rules !== undefined), {
      message: 'give either rules or a version, not both',
      path: ['version'],
    })
    .refine((body) => (body.transactionId === undefined) !== (body.transaction === undefined), {
      message: 'give exactly one of transactionId and transaction',
      path: ['transaction'],
    }),
);
export type RuleTestRequest = z.infer<typeof RuleTestRequestSchema>;

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
