import * as z from 'zod';
import { TransactionSchema } from '#domain/decisions/transaction.js';
import { compileRuleSet, type Facts, RuleSchema } from '#domain/rules/engine.js';
import {
  RejectRequestSchema,
  RuleCheckRequestSchema,
  type RuleSetName,
  RuleSetNameSchema,
  RuleTestRequestSchema,
} from '#domain/rules/requests.js';
import { factPaths } from '#domain/rules/rule-check.js';
import {
  checkRuleSetBody,
  checkRules,
  compileVersion,
  InvalidRuleSetError,
  RuleSetNotFoundError,
} from '#domain/rules/rule-set-versions.js';
import { factsOfPayment, testRules } from '#domain/rules/rule-test.js';
import type { AdminOperations, AdminRequest } from '#shared/admin-router.js';
import { BadRequestError } from '#shared/errors.js';
import { fieldProblems, json, parseJsonBody } from '#shared/http.js';
import { logger } from '#shared/logger.js';
import type { RuleDeps } from './deps.js';

type RuleSetOperations = Pick<
  AdminOperations,
  | 'getRuleSet'
  | 'getRuleSetVersion'
  | 'ruleSetHistory'
  | 'createRuleSetVersion'
  | 'proposeRuleSetVersion'
  | 'approveRuleSetVersion'
  | 'rejectRuleSetVersion'
  | 'rollbackRuleSetVersion'
  | 'testRuleSet'
  | 'checkRuleSet'
>;

/** A draft carries its lists: 50,000 IBANs are about 1.5 MB of JSON (a Function URL takes 6 MB). */
const MAX_RULE_SET_BODY_BYTES = 5 * 1024 * 1024;

/** The set a path names (404 for any other name). */
export const setOf = ({ params }: AdminRequest): RuleSetName => {
  const parsed = RuleSetNameSchema.safeParse(params.set);
  if (!parsed.success) throw new RuleSetNotFoundError(`No rule set ${params.set}; there are outbound and inbound`);
  return parsed.data;
};
/** The version number a path names (400 unless a positive whole number). */
export const versionOf = ({ params }: AdminRequest): number => {
  const version = Number(params.version);
  if (!Number.isSafeInteger(version) || version < 1) {
    throw new BadRequestError('version must be a positive whole number', 'INVALID_PATH');
  }
  return version;
};

/** The facts a stored decision kept (the engine's Facts), as a test reads them back. */
const StoredFactsSchema = z.object({
  tx: z.record(z.string(), z.unknown()),
  velocity: z.custom<Facts['velocity']>((value) => typeof value === 'object' && value !== null),
  beneficiary: z.object({ key: z.string().nullable(), firstTime: z.boolean() }),
});

/** A refused rule set as the case API's 400: `fields` names each rule and what is wrong. */
const refusedAsBadRequest = async <T>(run: () => Promise<T>): Promise<T> => {
  try {
    return await run();
  } catch (error) {
    if (error instanceof InvalidRuleSetError) {
      throw new BadRequestError(error.message, 'VALIDATION_FAILED', error.problems);
    }
    throw error;
  }
};

/** Rule sets as the compliance team manages them: read (analysts), write, propose, approve (supervisors). */
export const ruleSetOperations = (deps: RuleDeps): RuleSetOperations => {
  const workflow = deps.ruleSets;
  const view = async (request: AdminRequest, status = 200) =>
    json(status, await workflow.view(setOf(request), versionOf(request)));

  /** Facts of the payment a test names: a stored decision's as they were, or a payment in Toqio's shape. */
  const testFacts = async (body: { transactionId?: string | undefined; transaction?: unknown }): Promise<Facts> => {
    if (body.transactionId !== undefined) {
      const item = await deps.cases.getFull(body.transactionId);
      // The decision keeps the normalised payment as `transaction` and the other facts beside it.
      const stored = StoredFactsSchema.safeParse(
        item ? { ...(item.facts as object), tx: item.transaction } : undefined,
      );
      if (!stored.success) {
        throw new RuleSetNotFoundError(`No decision ${body.transactionId} with facts to test against`);
      }
      return stored.data;
    }
    const payment = TransactionSchema.safeParse(body.transaction);
    if (!payment.success) {
      const fields = fieldProblems(payment.error).map((field) => ({ ...field, path: `transaction.${field.path}` }));
      throw new BadRequestError('The transaction is not one Toqio would send', 'VALIDATION_FAILED', fields);
    }
    return factsOfPayment(payment.data, new Date());
  };

  return {
    getRuleSet: async (request) => {
      const overview = await workflow.overview(setOf(request));
      return json(200, { ...overview, facts: factPaths(), outcomes: RuleSchema.shape.outcome.options });
    },
    getRuleSetVersion: (request) => view(request),
    ruleSetHistory: async (request) => json(200, { items: await workflow.history(setOf(request)) }),
    createRuleSetVersion: async (request) => {
      const body = parseJsonBody(request.raw, z.record(z.string(), z.unknown()), MAX_RULE_SET_BODY_BYTES);
      const ruleSet = setOf(request);
      const version = await refusedAsBadRequest(() => workflow.createDraft(ruleSet, body, request.principal.name));
      logger.info('rule set draft written', { ruleSet, version, by: request.principal.name });
      return json(201, { version, state: 'DRAFT' });
    },
    proposeRuleSetVersion: async (request) => {
      await workflow.propose(setOf(request), versionOf(request), request.principal.name);
      return view(request);
    },
    approveRuleSetVersion: async (request) => {
      await workflow.approve(setOf(request), versionOf(request), request.principal.name);
      logger.info('rule set version approved', {
        ruleSet: setOf(request),
        version: versionOf(request),
        by: request.principal.name,
      });
      return view(request);
    },
    rejectRuleSetVersion: async (request) => {
      const { reason } = parseJsonBody(request.raw, RejectRequestSchema, 16 * 1024);
      await workflow.reject(setOf(request), versionOf(request), request.principal.name, reason);
      return view(request);
    },
    rollbackRuleSetVersion: async (request) => {
      const ruleSet = setOf(request);
      const copiedFrom = versionOf(request);
      const version = await refusedAsBadRequest(() => workflow.rollback(ruleSet, copiedFrom, request.principal.name));
      return json(201, { version, state: 'PROPOSED', copiedFrom });
    },
    checkRuleSet: async (request) => {
      setOf(request);
      const problems = checkRules(parseJsonBody(request.raw, RuleCheckRequestSchema, MAX_RULE_SET_BODY_BYTES));
      return json(200, { valid: problems.length === 0, problems });
    },
    testRuleSet: async (request) => {
      const body = parseJsonBody(request.raw, RuleTestRequestSchema, MAX_RULE_SET_BODY_BYTES);
      const ruleSet = setOf(request);
      const engine = await refusedAsBadRequest(async () => {
        if (body.rules) {
          const checked = checkRuleSetBody({
            description: body.description ?? 'rules under test',
            lists: body.lists ?? {},
            rules: body.rules,
          });
          return compileRuleSet({ ...checked, version: `${ruleSet} (rules under test)` });
        }
        const chosen = body.version ?? (await workflow.overview(ruleSet)).active?.version;
        if (chosen === undefined) throw new RuleSetNotFoundError(`Rule set ${ruleSet} has no active version`);
        return compileVersion(await workflow.view(ruleSet, chosen));
      });
      return json(200, testRules(engine, await testFacts(body)));
    },
  };
};
