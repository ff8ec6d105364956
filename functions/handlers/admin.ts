import { signInThrottle } from '#adapters/sign-in-throttle.js';
import { agreementReport } from '#domain/providers/verdicts.js';
import { buildOpenApi } from '#lib/openapi.js';
import { type AdminOperations, adminRouter } from '#shared/admin-router.js';
import { BadRequestError } from '#shared/errors.js';
import { httpHandler, json } from '#shared/http.js';
import { staticFiles } from '#shared/static-files.js';
import { wiring } from '#shared/wiring.js';
import { caseOperations } from './admin/cases.js';
import { deliveryOperations } from './admin/deliveries.js';
import { onepipeOperations } from './admin/onepipe.js';

const deps = await wiring();
const operations: AdminOperations = {
  whoAmI: async ({ principal }) => json(200, principal),
  providerReport: async ({ query }) => {
    const since = query.since ? new Date(query.since) : new Date(Date.now() - 7 * 86_400_000);
    if (Number.isNaN(since.getTime())) throw new BadRequestError('since must be a date', 'VALIDATION_FAILED');
    const name = deps.providerPort?.name;
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
};
const ui = staticFiles(deps.config.UI_DIR);
// During a rotation each person's previous token signs in too (the configuration checks they pair up).
const tokens = [...(deps.config.ADMIN_TOKENS ?? []), ...(deps.config.ADMIN_TOKENS_PREVIOUS ?? [])];
const guard = signInThrottle(deps.documentClient, deps.config.COUNTERS_TABLE, {
  maxFailures: deps.config.ADMIN_SIGNIN_MAX_FAILURES,
  windowSeconds: deps.config.ADMIN_SIGNIN_WINDOW_SECONDS,
});
const routes = adminRouter({ tokens, operations, guard, openApi: buildOpenApi(), ui });

/** The admin function behind its Function URL: the JSON API under /api/ and the web UI at /. */
export const handler = httpHandler({}, async ({ event, context }) => routes(event, context));
