import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { backtestPageQueue } from '#adapters/backtest-page-queue.js';
import { backtestRepository } from '#adapters/backtest-repository.js';
import { deliveryRepository } from '#adapters/delivery-repository.js';
import { onepipeRepository } from '#adapters/onepipe-repository.js';
import { ruleSetRepository } from '#adapters/rule-set-repository.js';
import { ruleStatsRepository } from '#adapters/rule-stats-repository.js';
import { signInThrottle } from '#adapters/sign-in-throttle.js';
import { agreementReport } from '#domain/providers/verdicts.js';
import { ruleSetWorkflow } from '#domain/rules/rule-set-workflow.js';
import { buildOpenApi } from '#lib/openapi.js';
import { type AdminOperations, adminRouter } from '#shared/admin-router.js';
import { caseWorkflow } from '#shared/case-workflow.js';
import { builtOnFirstCall, documentClientFor, functionConfig, sqsClientFor } from '#shared/cold-start.js';
import { configSchema } from '#shared/config.js';
import { BadRequestError } from '#shared/errors.js';
import { httpHandler, json } from '#shared/http.js';
import { providerNameFor } from '#shared/provider.js';
import { readRuleSetFile } from '#shared/rules-loader.js';
import { staticFiles } from '#shared/static-files.js';
import { backtestOperations } from './admin/backtests.js';
import { caseOperations } from './admin/cases.js';
import { deliveryOperations } from './admin/deliveries.js';
import { type AdminDeps, adminShape } from './admin/deps.js';
import { onepipeOperations } from './admin/onepipe.js';
import { ruleSetOperations } from './admin/rule-sets.js';
import { ruleStatsOperations } from './admin/rule-stats.js';

export const AdminConfigSchema = configSchema(adminShape);

/** The admin function behind its Function URL: the JSON API under /api/ and the web UI at /. */
export const buildHandler = (deps: AdminDeps) => {
  const operations: AdminOperations = {
    whoAmI: async ({ principal }) => json(200, principal),
    providerReport: async ({ query }) => {
      const since = query.since ? new Date(query.since) : new Date(Date.now() - 7 * 86_400_000);
      if (Number.isNaN(since.getTime())) throw new BadRequestError('since must be a date', 'VALIDATION_FAILED');
      const name = deps.providerName;
      if (!name)
        return json(200, {
          provider: null,
          mode: deps.config.TM_PROVIDER_MODE,
          message: 'TM_PROVIDER is rules: no external provider',
        });
      const records = await deps.cases.listProviderDecisions(name, since.toISOString());
      return json(200, {
        provider: name,
        mode: deps.config.TM_PROVIDER_MODE,
        since: since.toISOString(),
        ...agreementReport(records as never),
      });
    },
    ...caseOperations(deps),
    ...deliveryOperations(deps),
    ...onepipeOperations(deps),
    ...ruleSetOperations(deps),
    ...backtestOperations(deps),
    ...ruleStatsOperations(deps),
  };
  const ui = staticFiles(deps.config.UI_DIR);
  // During a rotation each person's previous token signs in too (the configuration checks they pair up).
  const tokens = [...(deps.config.ADMIN_TOKENS ?? []), ...(deps.config.ADMIN_TOKENS_PREVIOUS ?? [])];
  const routes = adminRouter({ tokens, operations, guard: deps.guard, openApi: buildOpenApi, ui });
  return httpHandler({}, async ({ event, context }) => routes(event, context));
};

/**
 * The admin function's dependencies from its configuration and its DynamoDB and SQS clients: the one
 * wiring, used by `handler` at cold start and by tests on DynamoDB Local and fauxqs.
 */
export const adminDeps = (
  config: AdminDeps['config'],
  documentClient: DynamoDBDocumentClient,
  sqsClient: SQSClient = sqsClientFor(config),
): AdminDeps => {
  const workflow = caseWorkflow(config, documentClient);
  const onepipe = onepipeRepository(documentClient, {
    notifications: config.NOTIFICATIONS_TABLE,
    mappings: config.MAPPINGS_TABLE,
    deliveries: config.DELIVERIES_TABLE,
    decisions: config.DECISIONS_TABLE,
    history: config.HISTORY_TABLE,
  });
  return {
    config,
    cases: workflow.store,
    caseWorkflow: workflow,
    deliveries: deliveryRepository(documentClient, config.DELIVERIES_TABLE),
    onepipe,
    notificationDeps: {
      store: onepipe,
      settings: { currency: config.ONEPIPE_CURRENCY, balance: config.TOQIO_INBOUND_BALANCE },
    },
    // Named from the settings: the admin function holds none of the provider's credentials.
    providerName: providerNameFor(config),
    ruleSets: ruleSetWorkflow({
      store: ruleSetRepository(documentClient, config.RULE_SETS_TABLE),
      shipped: (ruleSet) => readRuleSetFile(ruleSet === 'outbound' ? config.RULES_FILE : config.INBOUND_RULES_FILE),
    }),
    backtests: backtestRepository(documentClient, {
      analytics: config.ANALYTICS_TABLE,
      decisions: config.DECISIONS_TABLE,
    }),
    backtestPages: backtestPageQueue(sqsClient, config.BACKTEST_PAGES_QUEUE_URL),
    ruleStats: ruleStatsRepository(documentClient, config.ANALYTICS_TABLE),
    guard: signInThrottle(documentClient, config.COUNTERS_TABLE, {
      maxFailures: config.ADMIN_SIGNIN_MAX_FAILURES,
      windowSeconds: config.ADMIN_SIGNIN_WINDOW_SECONDS,
    }),
  };
};

export const handler = builtOnFirstCall(async () => {
  const config = await functionConfig(AdminConfigSchema);
  return buildHandler(adminDeps(config, documentClientFor(config)));
});
