import { ADMIN_ROUTES, type AdminOperation, decodeSegment, matchPath } from '#lib/routes.js';
import { authenticate, type Principal, requireRole } from './admin-auth.js';
import type { Config } from './config.js';
import { BadRequestError, NotFoundError } from './errors.js';
import type { HttpEvent, HttpResult } from './http.js';

export interface AdminRequest {
  principal: Principal;
  params: Record<string, string>;
  query: Record<string, string>;
  raw: string;
  event: HttpEvent;
}

export type AdminOperations = Record<AdminOperation, (request: AdminRequest) => Promise<HttpResult>>;

/** The longest path parameter (an id) the API accepts. */
export const MAX_PARAM_BYTES = 1024;

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
  // Checked before authentication: a malformed path is refused the same for everyone.
  if (path.split('/').some((segment) => decodeSegment(segment) === undefined)) {
    throw new BadRequestError('The path has a malformed % escape', 'INVALID_PATH');
  }
  for (const route of ORDERED) {
    if (route.method !== method) continue;
    const params = matchPath(route.path, path);
    if (!params) continue;
    for (const [name, value] of Object.entries(params)) {
      // Ids are keys in DynamoDB (2,048 bytes at most); none of ours comes near this.
      if (Buffer.byteLength(value) > MAX_PARAM_BYTES) {
        throw new BadRequestError(`${name} must be at most ${MAX_PARAM_BYTES} bytes`, 'INVALID_PATH');
      }
    }
    const principal = authenticate(event.headers.authorization, tokens);
    requireRole(principal, route.role);
    const query = Object.fromEntries(Object.entries(event.queryStringParameters ?? {}).map(([k, v]) => [k, v ?? '']));
    return operations[route.operation]({ principal, params, query, raw, event });
  }
  throw new NotFoundError(`No route ${method} ${path}`);
};
