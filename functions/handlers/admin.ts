import type { AdminOperations } from '#shared/admin-router.js';
import { routeAdminApi } from '#shared/admin-router.js';
import { httpHandler, json } from '#shared/http.js';
import { staticFiles } from '#shared/static-files.js';
import { wiring } from '#shared/wiring.js';
import { caseOperations } from './admin/cases.js';
import { deliveryOperations } from './admin/deliveries.js';
import { onepipeOperations } from './admin/onepipe.js';

const deps = await wiring();
const operations: AdminOperations = {
  whoAmI: async ({ principal }) => json(200, principal),
  ...caseOperations(deps),
  ...deliveryOperations(deps),
  ...onepipeOperations(deps),
};
const ui = staticFiles(deps.config.UI_DIR);

/** The admin function behind its Function URL: the JSON API under /api/ and the web UI at /. */
export const handler = httpHandler({}, async ({ event, raw }) =>
  event.rawPath.startsWith('/api/')
    ? routeAdminApi(event, raw, deps.config.ADMIN_TOKENS, operations)
    : ui(event.requestContext.http.method, event.rawPath),
);
