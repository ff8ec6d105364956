import { ADMIN_ROUTES, type AdminOperation, matchPath } from '#lib/routes.js';
import { authenticate, type Principal, requireRole } from './admin-auth.js';
import type { Config } from './config.js';
import { NotFoundError } from './errors.js';
import type { HttpEvent, HttpResult } from './http.js';

export interface AdminRequest {
  principal: Principal;
  params: Record<string, string>;
  query: Record<string, string>;
  raw: string;
  event: HttpEvent;
}

export type AdminOperations = Record<AdminOperation, (request: AdminRequest) => Promise<HttpResult>>;

/** Literal routes win over parameter routes (`/retry-dead` before `/{deliveryId}`). */
const ORDERED = [...ADMIN_ROUTES].sort(
  (a, b) => (a.path.match(/\{/g)?.length ?? 0) - (b.path.match(/\{/g)?.length ?? 0),
);

/**
 * Routes an admin API call: finds the route in ADMIN_ROUTES, authenticates the caller, checks
 * the route's role, and runs its operation.
 */
export const routeAdminApi = async (
  event: HttpEvent,
  raw: string,
  tokens: Config['ADMIN_TOKENS'],
  operations: AdminOperations,
): Promise<HttpResult> => {
  const method = event.requestContext.http.method.toUpperCase();
  const path = event.rawPath.replace(/\/+$/, '') || '/';
  for (const route of ORDERED) {
    if (route.method !== method) continue;
    const params = matchPath(route.path, path);
    if (!params) continue;
    const principal = authenticate(event.headers.authorization, tokens);
    requireRole(principal, route.role);
    const query = Object.fromEntries(Object.entries(event.queryStringParameters ?? {}).map(([k, v]) => [k, v ?? '']));
    return operations[route.operation]({ principal, params, query, raw, event });
  }
  throw new NotFoundError(`No route ${method} ${path}`);
};
