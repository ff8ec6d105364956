import type { backtestPageQueue } from '#adapters/backtest-page-queue.js';
import type { backtestRepository } from '#adapters/backtest-repository.js';
import type { caseRepository } from '#adapters/case-repository.js';
import type { deliveryRepository } from '#adapters/delivery-repository.js';
import type { onepipeRepository } from '#adapters/onepipe-repository.js';
import type { RuleStatsRepository } from '#adapters/rule-stats-repository.js';
import type { signInThrottle } from '#adapters/sign-in-throttle.js';
import type { NotificationDeps } from '#domain/onepipe/notifications.js';
import type { ruleSetWorkflow } from '#domain/rules/rule-set-workflow.js';
import type { AdminOperation } from '#shared/admin-routes.js';
import { type caseWorkflow, caseWorkflowConfig } from '#shared/case-workflow.js';
import {
  adminConfig,
  type ConfigOf,
  casesConfig,
  onepipeInboundConfig,
  outboundRulesConfig,
  providerIdentityConfig,
  queuesConfig,
  tablesConfig,
} from '#shared/config.js';

/** The admin function's variables: sign-in, the UI, cases, deliveries, OnePipe mappings, the provider report. */
export const adminShape = {
  ...caseWorkflowConfig,
  ...tablesConfig(
    'decisions',
    'deliveries',
    'history',
    'notifications',
    'mappings',
    'counters',
    'ruleSets',
    'analytics',
  ),
  // Starting a backtest queues the first page of each scan segment.
  ...queuesConfig('backtestPages'),
  ...adminConfig(),
  ...casesConfig(),
  ...providerIdentityConfig(),
  ...onepipeInboundConfig(),
  // The shipped outbound file (the inbound one comes with onepipeInboundConfig()): version 1 of each set.
  ...outboundRulesConfig(),
};

/** The operations loaded on the first rule request (admin/rules.ts), with what they are built from. */
export const RULE_OPERATIONS = [
  'getRuleSet',
  'getRuleSetVersion',
  'ruleSetHistory',
  'createRuleSetVersion',
  'proposeRuleSetVersion',
  'approveRuleSetVersion',
  'rejectRuleSetVersion',
  'rollbackRuleSetVersion',
  'testRuleSet',
  'checkRuleSet',
  'startBacktest',
  'getBacktest',
  'listBacktests',
  'startRuleSetShadow',
  'stopRuleSetShadow',
  'ruleSetShadowReport',
  'rulePerformance',
] as const satisfies readonly AdminOperation[];
export type RuleOperation = (typeof RULE_OPERATIONS)[number];

/** The operations on OnePipe's account mappings and unmatched credits, loaded on their first call (admin/onepipe.ts). */
export const ONEPIPE_OPERATIONS = [
  'listAccountMappings',
  'getAccountMapping',
  'putAccountMapping',
  'deleteAccountMapping',
  'approveAccountMapping',
  'listUnmatchedCredits',
] as const satisfies readonly AdminOperation[];
export type OnepipeOperation = (typeof ONEPIPE_OPERATIONS)[number];

export interface RuleDeps {
  /** A stored decision's facts, which a rule test can be run against. */
  cases: Pick<ReturnType<typeof caseRepository>, 'getFull'>;
  /** Rule set versions: reading, drafts, four-eyes approval (seeding version 1 on first use). */
  ruleSets: ReturnType<typeof ruleSetWorkflow>;
  /** Backtests of rule set versions on stored decisions, and the queue their pages run from. */
  backtests: ReturnType<typeof backtestRepository>;
  backtestPages: ReturnType<typeof backtestPageQueue>;
  /** Rule statistics (the ruleStats function's rows): shadow reports and rule performance. */
  ruleStats: RuleStatsRepository;
}

/** What the admin function's operations are built from. */
export interface AdminDeps {
  config: ConfigOf<typeof adminShape>;
  cases: ReturnType<typeof caseRepository>;
  caseWorkflow: ReturnType<typeof caseWorkflow>;
  deliveries: ReturnType<typeof deliveryRepository>;
  onepipe: ReturnType<typeof onepipeRepository>;
  /** Registering parked credits of a newly mapped account (no rules are evaluated there). */
  notificationDeps: Omit<NotificationDeps, 'inboundRules' | 'confirmCredit'>;
  /** The name the provider's decisions are recorded under (the provider report); absent with TM_PROVIDER=rules. */
  providerName: string | undefined;
  /**
   * What rule management is built from, on the first rule request: its modules (and the CEL
   * engine they check rules with) are loaded then, not at cold start (admin/rules.ts).
   */
  rules: () => Promise<RuleDeps>;
  /** Failed sign-ins per source address. */
  guard: ReturnType<typeof signInThrottle>;
}
