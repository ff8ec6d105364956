import * as z from 'zod';
import { CaseQuerySchema } from '#domain/cases/queries.js';
import { DecisionRequestSchema, NoteRequestSchema } from '#domain/cases/transitions.js';
import { accountMappingSchema } from '#domain/onepipe/save-transaction.js';
import { BacktestRequestSchema } from '#domain/rules/backtest.js';
import {
  RejectRequestSchema,
  RuleCheckRequestSchema,
  RuleSetBodySchema,
  RuleTestRequestSchema,
} from '#domain/rules/requests.js';
import { RulePerformanceQuerySchema } from '#domain/rules/rule-performance.js';
import { ShadowReportQuerySchema } from '#domain/rules/rule-stats.js';
import { ListDeliveriesQuery, RetryDeadBody } from '#domain/webhooks/requests.js';

/**
 * One admin API route: where it is, who may call it, and the zod schemas of what it takes, which
 * the operation validates with and the OpenAPI document (lib/openapi.ts) is generated from.
 */
export interface AdminRouteSpec {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path with `{name}` parameters (the router's syntax and OpenAPI's). */
  path: string;
  /** Who may call it: analysts can read and act on cases, supervisors can do everything. */
  role: 'analyst' | 'supervisor';
  operation: string;
  summary: string;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** Success answers other than a plain 200. */
  answers?: Record<number, string>;
}

/**
 * The admin function's routes, served behind its Function URL (it alone reads them, so they are
 * not in lib/routes.ts, which every function's configuration imports).
 */
export const ADMIN_ROUTES = [
  { method: 'GET', path: '/api/me', role: 'analyst', operation: 'whoAmI', summary: 'The caller and their role' },
  {
    method: 'GET',
    path: '/api/cases',
    role: 'analyst',
    operation: 'listCases',
    summary: 'The case queue, oldest first, with status, amount, rule, customer and age filters',
    query: CaseQuerySchema,
  },
  {
    method: 'GET',
    path: '/api/cases/{transactionId}',
    role: 'analyst',
    operation: 'getCase',
    summary: 'A case: transaction, facts, reasons, customer history, notes, history and webhook deliveries',
  },
  {
    method: 'POST',
    path: '/api/cases/{transactionId}/claim',
    role: 'analyst',
    operation: 'claimCase',
    summary: 'Take a case',
  },
  {
    method: 'POST',
    path: '/api/cases/{transactionId}/release',
    role: 'analyst',
    operation: 'releaseCase',
    summary: 'Give a case back to the queue',
  },
  {
    method: 'POST',
    path: '/api/cases/{transactionId}/notes',
    role: 'analyst',
    operation: 'addCaseNote',
    summary: 'Add a note to a case',
    body: NoteRequestSchema,
    answers: { 201: 'Noted; the case as it now stands' },
  },
  {
    method: 'POST',
    path: '/api/cases/{transactionId}/decision',
    role: 'analyst',
    operation: 'decideCase',
    summary: 'Approve or reject (four-eyes at or above FOUR_EYES_THRESHOLD)',
    body: DecisionRequestSchema,
    answers: { 200: 'Final; Toqio is being told', 202: 'Recorded; waiting for the second person' },
  },
  {
    method: 'GET',
    path: '/api/account-mappings',
    role: 'supervisor',
    operation: 'listAccountMappings',
    summary: 'Every mapping of a OnePipe virtual account to a Toqio customer and account',
  },
  {
    method: 'GET',
    path: '/api/account-mappings/{accountNumber}',
    role: 'supervisor',
    operation: 'getAccountMapping',
    summary: 'One account mapping',
  },
  {
    method: 'PUT',
    path: '/api/account-mappings/{accountNumber}',
    role: 'supervisor',
    operation: 'putAccountMapping',
    summary:
      'Map a new account (its parked credits are registered in Toqio), or propose a change to an existing mapping (202; a second supervisor approves)',
    // Documented with the default ONEPIPE_CURRENCY (NGN); the operation checks the configured one.
    body: z.lazy(() => accountMappingSchema({ currency: 'NGN' })),
    answers: { 200: 'Mapped', 202: 'Proposed; a second supervisor approves' },
  },
  {
    method: 'DELETE',
    path: '/api/account-mappings/{accountNumber}',
    role: 'supervisor',
    operation: 'deleteAccountMapping',
    summary: 'Propose removing a mapping (202; a second supervisor approves; later credits are parked as UNMATCHED)',
    answers: { 202: 'Proposed; a second supervisor approves' },
  },
  {
    method: 'POST',
    path: '/api/account-mappings/{accountNumber}/approve',
    role: 'supervisor',
    operation: 'approveAccountMapping',
    summary: "Approve the pending change of a mapping (not the proposer's own: 403)",
  },
  {
    method: 'GET',
    path: '/api/onepipe/unmatched',
    role: 'analyst',
    operation: 'listUnmatchedCredits',
    summary:
      'OnePipe notifications waiting for a person: credits to unmapped or incompletely mapped accounts, and parked, refused or unconfirmed notifications',
  },
  {
    method: 'GET',
    path: '/api/providers/report',
    role: 'analyst',
    operation: 'providerReport',
    summary: 'How often the provider and the rules agreed since a time, with the disagreements',
  },
  {
    method: 'GET',
    path: '/api/deliveries',
    role: 'analyst',
    operation: 'listDeliveries',
    summary: 'Deliveries by status (QUEUED, FAILED, DELIVERED, DEAD)',
    query: ListDeliveriesQuery,
  },
  {
    method: 'GET',
    path: '/api/deliveries/{deliveryId}',
    role: 'analyst',
    operation: 'getDelivery',
    summary: 'One delivery with every attempt',
  },
  {
    method: 'POST',
    path: '/api/deliveries/{deliveryId}/retry',
    role: 'supervisor',
    operation: 'retryDelivery',
    summary: 'Send a dead delivery again (a new round of retries)',
    answers: { 202: 'Queued again' },
  },
  {
    method: 'POST',
    path: '/api/deliveries/retry-dead',
    role: 'supervisor',
    operation: 'retryDeadDeliveries',
    summary: 'Send again every delivery that went dead since a time',
    body: RetryDeadBody,
    answers: { 202: 'Queued again' },
  },
  {
    method: 'GET',
    path: '/api/rule-sets/{set}',
    role: 'analyst',
    operation: 'getRuleSet',
    summary:
      'A rule set (outbound or inbound): the active version whole (as active.version), every version with state, author, approver and times, the facts conditions can read and the outcomes a rule can give',
  },
  {
    method: 'GET',
    path: '/api/rule-sets/{set}/versions/{version}',
    role: 'analyst',
    operation: 'getRuleSetVersion',
    summary: 'One version whole (rules, lists, author, approver, state, times) and its diff against the active one',
  },
  {
    method: 'GET',
    path: '/api/rule-sets/{set}/history',
    role: 'analyst',
    operation: 'ruleSetHistory',
    summary:
      "Every step of a rule set's versions, oldest first: actor, time, action and the diff against the active version",
  },
  {
    method: 'POST',
    path: '/api/rule-sets/{set}/versions',
    role: 'supervisor',
    operation: 'createRuleSetVersion',
    summary: 'A new DRAFT shaped like the YAML; 400 whose fields name each rule and what is wrong with it',
    body: RuleSetBodySchema,
    answers: { 201: 'Stored as a DRAFT: { version, state }' },
  },
  {
    method: 'POST',
    path: '/api/rule-sets/{set}/versions/{version}/propose',
    role: 'supervisor',
    operation: 'proposeRuleSetVersion',
    summary: 'Propose a DRAFT for approval',
  },
  {
    method: 'POST',
    path: '/api/rule-sets/{set}/versions/{version}/approve',
    role: 'supervisor',
    operation: 'approveRuleSetVersion',
    summary:
      'Approve a proposal: it becomes ACTIVE and the previous version RETIRED (not by its author or proposer: 403; decisions use it within RULES_REFRESH_SECONDS)',
  },
  {
    method: 'POST',
    path: '/api/rule-sets/{set}/versions/{version}/reject',
    role: 'supervisor',
    operation: 'rejectRuleSetVersion',
    summary: 'Reject a proposal, saying why',
    body: RejectRequestSchema,
  },
  {
    method: 'POST',
    path: '/api/rule-sets/{set}/versions/{version}/rollback',
    role: 'supervisor',
    operation: 'rollbackRuleSetVersion',
    summary: 'Propose going back to a RETIRED version: a new PROPOSED copy of it, approved like any proposal',
    answers: { 201: 'Proposed: { version, state, copiedFrom }' },
  },
  {
    method: 'POST',
    path: '/api/rule-sets/{set}/check',
    role: 'analyst',
    operation: 'checkRuleSet',
    summary:
      'The check a save makes, without saving: { valid, problems } where each problem names its rule (index), field and, in a condition, the position (at, end) of the error',
    body: RuleCheckRequestSchema,
  },
  {
    method: 'POST',
    path: '/api/rule-sets/{set}/test',
    role: 'analyst',
    operation: 'testRuleSet',
    summary:
      'What rules (given in the body, a stored version, or the active one) would do to one payment (given, or a stored decision by transactionId): outcome, hits and facts; nothing is stored',
    body: RuleTestRequestSchema,
  },
  {
    method: 'POST',
    path: '/api/rule-sets/{set}/versions/{version}/backtests',
    role: 'analyst',
    operation: 'startBacktest',
    summary:
      'What a version (in any state) would have done on the stored decisions of a window [from, to): runs in the background; outbound only (400 for inbound); 409 while 3 backtests of the set are running',
    body: BacktestRequestSchema,
    answers: { 202: 'Started: { backtestId }' },
  },
  {
    method: 'GET',
    path: '/api/rule-sets/{set}/backtests',
    role: 'analyst',
    operation: 'listBacktests',
    summary: "A set's backtests, newest first (the latest 100): parameters, status and progress",
  },
  {
    method: 'GET',
    path: '/api/backtests/{backtestId}',
    role: 'analyst',
    operation: 'getBacktest',
    summary:
      'A backtest: parameters, status (RUNNING, DONE, FAILED), progress and result (recorded and candidate outcomes, agreement with analysts, flips, per-rule figures)',
  },
  {
    method: 'POST',
    path: '/api/rule-sets/{set}/versions/{version}/shadow',
    role: 'supervisor',
    operation: 'startRuleSetShadow',
    summary:
      'Shadow a version (outbound only; not the ACTIVE or a REJECTED one): validate also evaluates it on every decision, on the same facts, and stores its outcome on the decision (never answered, never a case); replaces the set’s previous shadow',
  },
  {
    method: 'DELETE',
    path: '/api/rule-sets/{set}/versions/{version}/shadow',
    role: 'supervisor',
    operation: 'stopRuleSetShadow',
    summary: 'Stop shadowing a version (409 when it is not the one shadowed)',
  },
  {
    method: 'GET',
    path: '/api/rule-sets/{set}/versions/{version}/shadow-report',
    role: 'analyst',
    operation: 'ruleSetShadowReport',
    summary:
      'How the shadowed version’s outcomes compare with the live rules’ since a time (default: when its shadow run started): agreed, disagreed, and the disagreements (at most 1,000)',
    query: ShadowReportQuerySchema,
  },
  {
    method: 'GET',
    path: '/api/rules/performance',
    role: 'analyst',
    operation: 'rulePerformance',
    summary:
      'Per rule over a window (default the last 30 UTC days): hits, cases opened, analysts’ approvals and rejections, precision, median time to an analyst’s decision, hits per day and per UTC day; and the case queue per day',
    query: RulePerformanceQuerySchema,
  },
] as const satisfies readonly AdminRouteSpec[];
export type AdminOperation = (typeof ADMIN_ROUTES)[number]['operation'];
