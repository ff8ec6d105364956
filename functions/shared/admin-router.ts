import httpRouterHandler, { type Route } from '@middy/http-router';
import type { Context } from 'aws-lambda';
import { decodeSegment } from '#lib/routes.js';
import { authenticate, type Principal, requireRole } from './admin-auth.js';
import { ADMIN_ROUTES, type AdminOperation, type AdminRouteSpec } from './admin-routes.js';
import type { Config } from './config.js';
import { BadRequestError, NotFoundError, TooManyRequestsError, UnauthorizedError } from './errors.js';
import { type HttpEvent, type HttpResult, json, rawBody } from './http.js';

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

export interface AdminRouterOptions {
  tokens: Config['ADMIN_TOKENS'];
  operations: AdminOperations;
  guard?: SignInGuard;
  /**
   * The public contract, served without a token: it documents the routes, and no data. Built on
   * the first request for it, not at cold start (generating it takes about 20 ms), and kept.
   */
  openApi: () => Promise<unknown>;
  /** The built web UI (staticFiles), served at `/` and its files. */
  ui: (method: string, path: string) => Promise<HttpResult>;
}

type Handler = Route<HttpEvent, HttpResult>['handler'];

/**
 * The admin function's routes on @middy/http-router: the API in ADMIN_ROUTES (each behind its
 * role), the OpenAPI document and the UI's files. Checks that do not depend on the caller (a
 * malformed escape, an unknown route, an id too long to be a key) come before sign-in, so they
 * answer the same for everyone.
 */
export const adminRouter = (options: AdminRouterOptions) => {
  const authorised =
    (route: AdminRouteSpec & { operation: AdminOperation }): Handler =>
    async (event: HttpEvent) => {
      const params: Record<string, string> = {};
      for (const [name, value] of Object.entries(event.pathParameters ?? {})) {
        // The router leaves parameters as sent; their escapes were checked before routing.
        const decoded = decodeSegment(value ?? '') ?? '';
        // Ids are keys in DynamoDB (2,048 bytes at most); none of ours comes near this.
        if (Buffer.byteLength(decoded) > MAX_PARAM_BYTES) {
          throw new BadRequestError(`${name} must be at most ${MAX_PARAM_BYTES} bytes`, 'INVALID_PATH');
        }
        params[name] = decoded;
      }
      const principal = await signIn(event, options.tokens, options.guard);
      requireRole(principal, route.role);
      const query = Object.fromEntries(Object.entries(event.queryStringParameters ?? {}).map(([k, v]) => [k, v ?? '']));
      return options.operations[route.operation]({ principal, params, query, raw: rawBody(event), event });
    };
  const ui: Handler = (event: HttpEvent) => options.ui(event.requestContext.http.method, event.rawPath);
  const router = httpRouterHandler<HttpEvent, HttpResult>({
    routes: [
      ...ADMIN_ROUTES.map((route) => ({ method: route.method, path: route.path, handler: authorised(route) })),
      {
        method: 'GET',
        path: '/api/openapi.json',
        handler: async () => {
          return json(200, await options.openApi(), { 'cache-control': 'public, max-age=300' });
        },
      },
      // The UI routes with the URL hash: `/` and its few files are all there is (staticFiles says which exist).
      { method: 'ANY', path: '/', handler: ui },
      { method: 'ANY', path: '/{file}', handler: ui },
    ],
    notFoundResponse: ({ method, path }) => {
      throw new NotFoundError(`No route ${method} ${path}`);
    },
  });

  return async (event: HttpEvent, context: Context): Promise<HttpResult> => {
    const method = event.requestContext.http.method.toUpperCase();
    const api = event.rawPath.startsWith('/api/');
    // The API ignores trailing slashes; the router matches one at most.
    const path = api ? event.rawPath.replace(/\/+$/, '') || '/' : event.rawPath;
    // Checked before routing and authentication: a malformed path is refused the same for everyone.
    if (api && path.split('/').some((segment) => decodeSegment(segment) === undefined)) {
      throw new BadRequestError('The path has a malformed % escape', 'INVALID_PATH');
    }
    // Routed on rawPath as sent (the router reads requestContext.http.path), with parameters from the route only.
    const routed: HttpEvent = {
      ...event,
      pathParameters: undefined,
      requestContext: { ...event.requestContext, http: { ...event.requestContext.http, method, path } },
    } as HttpEvent;
    return router(routed, context);
  };
};
