import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { FUNCTIONS, type FunctionName, matchPath, ROUTES, type RouteSpec } from '#lib/routes.js';
import { httpApiEvent, lambdaContext } from './events.js';

type HttpLambda = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2 | string>;

/** API Gateway refuses bodies over 10 MB before any Lambda runs; so does the local gateway. */
const GATEWAY_MAX_BODY = 10 * 1024 * 1024;

const handlers = new Map<FunctionName, Promise<HttpLambda>>();

/** Imports a function's handler module once, exactly the file the stack bundles. */
export const loadHandler = <T = HttpLambda>(name: FunctionName, root = process.cwd()): Promise<T> => {
  let loaded = handlers.get(name);
  if (!loaded) {
    const url = pathToFileURL(resolve(root, FUNCTIONS[name].entry)).href;
    loaded = import(url).then((module: { handler: HttpLambda }) => module.handler);
    handlers.set(name, loaded);
  }
  return loaded as Promise<T>;
};

/**
 * Runs a function with an event and returns its result: in this process from the sources (`npm start`),
 * or in the function's own process from its bundle (`npm start -- --bundled`, local/bundled/).
 */
export type Invoke = (name: FunctionName, event: unknown) => Promise<unknown>;

/** The handler module imported into this process, called with a Lambda context. */
export const invokeInProcess: Invoke = async (name, event) => {
  const handler = await loadHandler<(event: unknown, context: Context) => Promise<unknown>>(name);
  return handler(event, lambdaContext(name, FUNCTIONS[name].timeoutSeconds));
};

const readBody = (req: IncomingMessage): Promise<Buffer | 'too-large'> =>
  new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= GATEWAY_MAX_BODY) chunks.push(chunk);
    });
    req.on('end', () => done(size > GATEWAY_MAX_BODY ? 'too-large' : Buffer.concat(chunks)));
    req.on('error', fail);
  });

const send = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(body);
};

/** Which function serves a request, under which route key, with which path parameters. */
export interface Resolved {
  function: FunctionName;
  routeKey: string;
  params?: Record<string, string>;
}
export type Resolver = (method: string, path: string) => Resolved | undefined;

/** API Gateway HTTP API: the route table decides. */
export const httpApiResolver: Resolver = (method, path) => {
  for (const route of ROUTES as readonly RouteSpec[]) {
    if (route.method !== method) continue;
    const params = matchPath(route.path, path);
    if (params) return { function: route.function, routeKey: `${route.method} ${route.path}`, params };
  }
  return undefined;
};

/** A Lambda Function URL: every path goes to its one function, route key `$default`. */
export const functionUrlResolver =
  (name: FunctionName): Resolver =>
  () => ({ function: name, routeKey: '$default' });

/** A local-only endpoint beside the routes (the Toqio sink); answers or returns false to pass. */
export type LocalEndpoint = (req: IncomingMessage, res: ServerResponse, body: Buffer) => Promise<boolean> | boolean;

export interface Gateway {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/**
 * The local stand-in for API Gateway HTTP API: matches the route table, builds a v2.0 event,
 * invokes the function (in-process unless told otherwise) and writes its structured result back.
 */
export const startGateway = async (options: {
  port: number;
  host?: string;
  resolve?: Resolver;
  local?: LocalEndpoint;
  invoke?: Invoke;
}): Promise<Gateway> => {
  const resolveRoute = options.resolve ?? httpApiResolver;
  const invoke = options.invoke ?? invokeInProcess;
  /** Requests being handled: a stop lets them finish (their writes land) before storage goes. */
  const inFlight = new Set<Promise<void>>();
  const server = createServer((req, res) => {
    const handled = handle(req, res);
    inFlight.add(handled);
    void handled.finally(() => inFlight.delete(handled));
  });
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const method = (req.method ?? 'GET').toUpperCase();
      const body = await readBody(req);
      if (body === 'too-large') return send(res, 413, JSON.stringify({ message: 'Request Entity Too Large' }));
      if (options.local && (await options.local(req, res, body))) return;
      const match = resolveRoute(method, url.pathname);
      if (!match) return send(res, 404, JSON.stringify({ message: 'Not Found' }));
      const headers = Object.fromEntries(
        Object.entries(req.headers).map(([key, value]) => [
          key,
          Array.isArray(value) ? value.join(',') : (value ?? ''),
        ]),
      );
      const event = httpApiEvent({
        method,
        path: url.pathname,
        query: url.search.slice(1),
        headers,
        ...(body.length > 0 ? { body } : {}),
        routeKey: match.routeKey,
        ...(match.params && Object.keys(match.params).length ? { pathParameters: match.params } : {}),
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
      });
      const result = (await invoke(match.function, event)) as APIGatewayProxyStructuredResultV2 | string;
      if (typeof result === 'string' || result.statusCode === undefined) {
        return send(res, 200, typeof result === 'string' ? result : JSON.stringify(result));
      }
      const out = result.isBase64Encoded ? Buffer.from(result.body ?? '', 'base64') : (result.body ?? '');
      const responseHeaders: Record<string, string | string[]> = Object.fromEntries(
        Object.entries(result.headers ?? {}).map(([key, value]) => [key, String(value)]),
      );
      if (result.cookies?.length) responseHeaders['set-cookie'] = result.cookies;
      res.writeHead(result.statusCode, responseHeaders);
      res.end(out);
    } catch (error) {
      // API Gateway answers 500 "Internal Server Error" when the integration itself fails.
      console.error('[gateway] handler failed:', error);
      if (!res.headersSent) send(res, 500, JSON.stringify({ message: 'Internal Server Error' }));
      else res.end();
    }
  };
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((done) => server.listen(options.port, options.host ?? '127.0.0.1', done));
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    server,
    /** Stops taking requests, lets the ones being handled finish (10 s at most), then closes. */
    close: async () => {
      const closed = new Promise<void>((done) => server.close(() => done()));
      server.closeIdleConnections();
      await Promise.race([
        Promise.allSettled([...inFlight]),
        new Promise((resolve) => setTimeout(resolve, 10_000).unref()),
      ]);
      server.closeAllConnections();
      await closed;
    },
  };
};
