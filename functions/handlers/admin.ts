import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Sqs } from '#adapters/aws-clients.js';
import { deliveryRepository } from '#adapters/delivery-repository.js';
import { onepipeRepository } from '#adapters/onepipe-repository.js';
import { signInThrottle } from '#adapters/sign-in-throttle.js';
import { agreementReport } from '#domain/providers/verdicts.js';
import { type AdminOperations, type AdminRequest, adminRouter } from '#shared/admin-router.js';
import type { AdminOperation } from '#shared/admin-routes.js';
import { caseWorkflow } from '#shared/case-workflow.js';
import { builtOnFirstCall, documentClientFor, functionConfig, onFirstUse, sqsFor } from '#shared/cold-start.js';
import { configSchema } from '#shared/config.js';
import { BadRequestError } from '#shared/errors.js';
import { httpHandler, json } from '#shared/http.js';
import { providerNameFor } from '#shared/provider.js';
import { staticFiles } from '#shared/static-files.js';
import { caseOperations } from './admin/cases.js';
import { deliveryOperations } from './admin/deliveries.js';
import {
  type AdminDeps,
  adminShape,
  ONEPIPE_OPERATIONS,
  type OnepipeOperation,
  RULE_OPERATIONS,
  type RuleOperation,
} from './admin/deps.js';

export const AdminConfigSchema = configSchema(adminShape);

/**
 * Operations whose module is imported on their first call: each name answers through the
 * operations `load` builds. esbuild keeps an `import()`ed module in the one bundle but runs its top
 * level (and its imports') only when the import is reached, so none of it is built at cold start.
 */
const loadedOnFirstCall = <N extends AdminOperation>(
  names: readonly N[],
  load: () => Promise<Pick<AdminOperations, N>>,
): Pick<AdminOperations, N> => {
  const operations = onFirstUse(load);
  return Object.fromEntries(
    names.map((name) => [name, async (request: AdminRequest) => (await operations())[name](request)]),
  ) as Pick<AdminOperations, N>;
};

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
    // Account mappings (with the inbound payment's schemas and IBAN checks) and rule management
    // (with the CEL engine) are loaded on their first request: most cold starts serve the cases.
    ...loadedOnFirstCall<OnepipeOperation>(ONEPIPE_OPERATIONS, async () =>
      (await import('./admin/onepipe.js')).onepipeOperations(deps),
    ),
    ...loadedOnFirstCall<RuleOperation>(RULE_OPERATIONS, async () =>
      (await import('./admin/rules.js')).ruleOperations(await deps.rules()),
    ),
  };
  const ui = staticFiles(deps.config.UI_DIR);
  // During a rotation each person's previous token signs in too (the configuration checks they pair up).
  const tokens = [...(deps.config.ADMIN_TOKENS ?? []), ...(deps.config.ADMIN_TOKENS_PREVIOUS ?? [])];
  const routes = adminRouter({
    tokens,
    operations,
    guard: deps.guard,
    openApi: onFirstUse(async () => (await import('#lib/openapi.js')).buildOpenApi()),
    ui,
  });
  return httpHandler({}, async ({ event, context }) => routes(event, context));
};

/**
 * The admin function's dependencies from its configuration and its DynamoDB and SQS clients: the one
 * wiring, used by `handler` at cold start and by tests on DynamoDB Local and fauxqs.
 */
export const adminDeps = (
  config: AdminDeps['config'],
  documentClient: DynamoDBDocumentClient,
  sqs: Sqs = sqsFor(config),
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
    rules: onFirstUse(async () =>
      (await import('./admin/rules.js')).ruleDeps(config, documentClient, sqs, workflow.store),
    ),
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
