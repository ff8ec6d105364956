import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Sqs } from '#adapters/aws-clients.js';
import { backtestPageQueue } from '#adapters/backtest-page-queue.js';
import { backtestRepository } from '#adapters/backtest-repository.js';
import { ruleSetRepository } from '#adapters/rule-set-repository.js';
import { ruleStatsRepository } from '#adapters/rule-stats-repository.js';
import { ruleSetWorkflow } from '#domain/rules/rule-set-workflow.js';
import type { AdminOperations } from '#shared/admin-router.js';
import { readRuleSetFile } from '#shared/rules-loader.js';
import { backtestOperations } from './backtests.js';
import type { AdminDeps, RuleDeps, RuleOperation } from './deps.js';
import { ruleSetOperations } from './rule-sets.js';
import { ruleStatsOperations } from './rule-stats.js';

/**
 * Rule management in the admin function: rule set versions, rule tests and checks, backtests,
 * shadow runs and rule performance. The admin function imports this module on the first rule
 * request (`import()` in admin.ts, which esbuild keeps in the same bundle but runs only then), so
 * the CEL engine, the rule modules and their schemas are not built at cold start for the analysts
 * who only work cases.
 */
export const ruleDeps = (
  config: AdminDeps['config'],
  documentClient: DynamoDBDocumentClient,
  sqs: Sqs,
  cases: RuleDeps['cases'],
): RuleDeps => ({
  cases,
  ruleSets: ruleSetWorkflow({
    store: ruleSetRepository(documentClient, config.RULE_SETS_TABLE),
    shipped: (ruleSet) => readRuleSetFile(ruleSet === 'outbound' ? config.RULES_FILE : config.INBOUND_RULES_FILE),
  }),
  backtests: backtestRepository(documentClient, {
    analytics: config.ANALYTICS_TABLE,
    decisions: config.DECISIONS_TABLE,
  }),
  backtestPages: backtestPageQueue(sqs, config.BACKTEST_PAGES_QUEUE_URL),
  ruleStats: ruleStatsRepository(documentClient, config.ANALYTICS_TABLE),
});

export const ruleOperations = (deps: RuleDeps): Pick<AdminOperations, RuleOperation> => ({
  ...ruleSetOperations(deps),
  ...backtestOperations(deps),
  ...ruleStatsOperations(deps),
});
