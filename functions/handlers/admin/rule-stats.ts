import {
  MAX_PERFORMANCE_DAYS,
  performanceWindow,
  queueLookbackStart,
  RulePerformanceQuerySchema,
  rulePerformance,
} from '#domain/rules/rule-performance.js';
import { SHADOW_RULE_SET, ShadowNotSupportedError } from '#domain/rules/rule-set-versions.js';
import { ShadowReportQuerySchema, shadowReport } from '#domain/rules/rule-stats.js';
import type { AdminOperations, AdminRequest } from '#shared/admin-router.js';
import { BadRequestError } from '#shared/errors.js';
import { json } from '#shared/http.js';
import { logger } from '#shared/logger.js';
import type { RuleDeps } from './deps.js';
import { parseQuery } from './query.js';
import { setOf, versionOf } from './rule-sets.js';

type RuleStatsOperations = Pick<
  AdminOperations,
  'startRuleSetShadow' | 'stopRuleSetShadow' | 'ruleSetShadowReport' | 'rulePerformance'
>;

/** Beyond any decision's time: the end of an open-ended range of sort keys. */
const END_OF_TIME = '9999';

const outboundOnly = (request: AdminRequest) => {
  const ruleSet = setOf(request);
  if (ruleSet !== SHADOW_RULE_SET) {
    throw new ShadowNotSupportedError(
      `Shadow runs are for the outbound rule set only: validate evaluates the shadow beside its decision, and ${ruleSet} payments are not decided by validate`,
    );
  }
  return ruleSet;
};

/** Shadow runs (supervisors start and stop them, analysts read their reports) and rule performance. */
export const ruleStatsOperations = (deps: RuleDeps): RuleStatsOperations => ({
  startRuleSetShadow: async (request) => {
    const ruleSet = outboundOnly(request);
    const version = versionOf(request);
    const shadow = await deps.ruleSets.startShadow(ruleSet, version, request.principal.name);
    logger.info('shadow run started', { ruleSet, version, by: request.principal.name });
    return json(200, { ruleSet, version, running: true, shadow });
  },
  stopRuleSetShadow: async (request) => {
    const ruleSet = outboundOnly(request);
    const version = versionOf(request);
    await deps.ruleSets.stopShadow(ruleSet, version, request.principal.name);
    logger.info('shadow run stopped', { ruleSet, version, by: request.principal.name });
    return json(200, { ruleSet, version, running: false });
  },
  ruleSetShadowReport: async (request) => {
    const query = parseQuery(ShadowReportQuerySchema, request.query);
    const ruleSet = outboundOnly(request);
    const version = versionOf(request);
    const state = await deps.ruleSets.shadowState(ruleSet, version);
    const since = query.since ? new Date(query.since).toISOString() : state.startedAt;
    const rows = await deps.ruleStats.shadowRows(version, since, END_OF_TIME);
    return json(200, { ruleSet, version, since, running: state.running, ...shadowReport(rows) });
  },
  rulePerformance: async (request) => {
    const query = parseQuery(RulePerformanceQuerySchema, request.query);
    const { from, to } = performanceWindow(query, new Date());
    if (from >= to)
      throw new BadRequestError('from must be before to', 'VALIDATION_FAILED', [
        { path: 'from', message: 'must be before to' },
      ]);
    if (to.getTime() - from.getTime() > MAX_PERFORMANCE_DAYS * 86_400_000)
      throw new BadRequestError(`the window spans at most ${MAX_PERFORMANCE_DAYS} days`, 'VALIDATION_FAILED', [
        { path: 'from', message: `must be at most ${MAX_PERFORMANCE_DAYS} days before to` },
      ]);
    const [rules, cases] = await Promise.all([
      deps.ruleSets.ruleIds('outbound'),
      // Bounded: cases opened within QUEUE_LOOKBACK_DAYS before the window, not every case ever.
      deps.ruleStats.caseRows(queueLookbackStart(from).toISOString(), to.toISOString()),
    ]);
    const hits = (
      await Promise.all(rules.map((rule) => deps.ruleStats.hitRows(rule, from.toISOString(), to.toISOString())))
    ).flat();
    return json(200, rulePerformance({ from, to, rules, hits, cases }));
  },
});
