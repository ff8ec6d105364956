import { ADMIN_ROUTES, type AdminOperation, decodeSegment, matchPath } from '#lib/routes.js';
import { authenticate, type Principal, requireRole } from './admin-auth.js';
import type { Config } from './config.js';
import { BadRequestError, NotFoundError, TooManyRequestsError, UnauthorizedError } from './errors.js';
import type { HttpEvent, HttpResult } from './http.js';

export interface AdminRequest {
  principal: Principal;
  params: Record<string, string>;
  query: Record<string, string>;
  raw: string;
  event: HttpEvent;
}

export type AdminOperations = Record<AdminOperation, (request: AdminRequest) => Promise<HttpResult>>;

/** Counts failed sign-ins per source address (the sign-in throttle adapter). */
export interface SignInGuard {
  blockedFor(source: string, now: Date): Promise<number>;
  recordFailure(source: string, now: Date): Promise<void>;
}

/**
 * Authenticates the caller unless their source address has spent its failed sign-ins for the
 * window (then 429, even with a good token: a guesser must not learn which guess was right). A
 * presented but unknown token counts as a failure; no token at all is not a guess.
 */
const signIn = async (event: HttpEvent, tokens: Config['ADMIN_TOKENS'], guard?: SignInGuard): Promise<Principal> => {
  const source = event.requestContext.http.sourceIp;
  const now = new Date();
  const wait = guard ? await guard.blockedFor(source, now) : 0;
  if (wait > 0) throw new TooManyRequestsError(`Too many failed sign-ins; try again in ${wait} s`, wait);
  try {
    return authenticate(event.headers.authorization, tokens);
  } catch (error) {
    if (guard && error instanceof UnauthorizedError && event.headers.authorization) {
      await guard.recordFailure(source, now);
    }
    throw error;
  }
};

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
  guard?: SignInGuard,
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
    const principal = await signIn(event, tokens, guard);
    requireRole(principal, route.role);
    const query = Object.fromEntries(Object.entries(event.queryStringParameters ?? {}).map(([k, v]) => [k, v ?? '']));
    return operations[route.operation]({ principal, params, query, raw, event });
  }
  throw new NotFoundError(`No route ${method} ${path}`);
};
