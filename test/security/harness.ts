import { randomUUID } from 'node:crypto';
import { BatchGetCommand, type BatchGetCommandOutput, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { FunctionName } from '../../lib/routes.js';
import { loadHandler } from '../../local/gateway.js';
import { type LocalStack, startLocalStack } from '../../local/stack.js';
import { httpApiEvent, lambdaContext } from '../fixtures/events.js';
import { startTcpSwitch } from '../fixtures/tcp-switch.js';

export const TOQIO_KEY = 'local-toqio-api-key-change-me';
export const TOQIO_PREVIOUS_KEY = 'previous-toqio-key-0001';
export const ANA = 'Bearer local-analyst-token-0001';
export const ANA_PREVIOUS = 'Bearer previous-analyst-token-0001';
export const SAM = 'Bearer local-supervisor-token-0001';
export const ONEPIPE_SECRET = 'security-onepipe-client-secret';
export const ONEPIPE_KEY = 'security-onepipe-api-key';
export const SIGNIN_MAX_FAILURES = 5;

/** What the security suite configures: a rotation in progress, a tight sign-in limit, OnePipe on. */
const SETTINGS: Record<string, string> = {
  TOQIO_API_KEY_PREVIOUS: TOQIO_PREVIOUS_KEY,
  ADMIN_TOKENS_PREVIOUS: 'ana:analyst:previous-analyst-token-0001',
  ADMIN_SIGNIN_MAX_FAILURES: String(SIGNIN_MAX_FAILURES),
  ONEPIPE_CLIENT_SECRET: ONEPIPE_SECRET,
  ONEPIPE_API_KEY: ONEPIPE_KEY,
};

/**
 * The local stack (no workers: only the handlers under attack run) on the suite's DynamoDB Local,
 * behind a TCP switch that can cut storage off, configured before any handler loads.
 */
export const startSecurityStack = async () => {
  const storage = await startTcpSwitch(String(process.env.TEST_DYNAMODB_ENDPOINT));
  for (const [name, value] of Object.entries(SETTINGS)) process.env[name] = value;
  const stack: LocalStack = await startLocalStack({
    port: 0,
    adminPort: 0,
    workers: false,
    prefix: `sec${randomUUID().slice(0, 8)}`,
    dynamodbEndpoint: storage.url,
    sqsEndpoint: String(process.env.TEST_SQS_ENDPOINT),
  });
  return {
    stack,
    storage,
    stop: async () => {
      await stack.stop();
      await storage.close();
      for (const name of Object.keys(SETTINGS)) delete process.env[name];
    },
  };
};

export interface Answer {
  status: number;
  headers: Record<string, string>;
  // biome-ignore lint/suspicious/noExplicitAny: attacks read answers loosely and assert on them.
  body: any;
  ms: number;
}

/**
 * Calls a function's real handler in-process with the event API Gateway (or the Function URL)
 * would build: the same code path as over HTTP, without a socket per call.
 */
export const invoke = async (
  name: FunctionName,
  request: {
    method: string;
    path: string;
    query?: string;
    headers?: Record<string, string>;
    body?: string;
    sourceIp?: string;
    routeKey?: string;
  },
): Promise<Answer> => {
  const handler =
    await loadHandler<(event: unknown, context: unknown) => Promise<APIGatewayProxyStructuredResultV2>>(name);
  const event = httpApiEvent({
    ...request,
    headers: { 'content-type': 'application/json', ...request.headers },
    routeKey: request.routeKey ?? (name === 'admin' ? '$default' : `${request.method} ${request.path}`),
  });
  const started = performance.now();
  const result = await handler(event, lambdaContext(name));
  const ms = performance.now() - started;
  let body: unknown = result.body;
  try {
    body = JSON.parse(String(result.body));
  } catch {
    // not JSON (the UI's HTML): kept as text
  }
  return { status: Number(result.statusCode), headers: (result.headers ?? {}) as Record<string, string>, body, ms };
};

export const validateCall = (body: string, headers: Record<string, string> = { 'x-api-key': TOQIO_KEY }) =>
  invoke('validate', { method: 'POST', path: '/transaction/validate', headers, body });

export const adminCall = (
  method: string,
  path: string,
  options: { token?: string; query?: string; body?: string; sourceIp?: string } = {},
) =>
  invoke('admin', {
    method,
    path,
    ...(options.query ? { query: options.query } : {}),
    ...(options.body === undefined ? {} : { body: options.body }),
    headers: options.token ? { authorization: options.token } : {},
    sourceIp: options.sourceIp ?? '198.51.100.7',
  });

/** Which of these keys exist in a table (BatchGet, 100 at a time). */
export const existingKeys = async (
  db: DynamoDBDocumentClient,
  table: string,
  keyName: string,
  values: string[],
): Promise<string[]> => {
  const found: string[] = [];
  const unique = [...new Set(values)].filter((value) => value !== '' && Buffer.byteLength(value) <= 1024);
  for (let index = 0; index < unique.length; index += 100) {
    let request: Record<string, { Keys: Record<string, unknown>[] }> | undefined = {
      [table]: { Keys: unique.slice(index, index + 100).map((value) => ({ [keyName]: value })) },
    };
    while (request) {
      const result: BatchGetCommandOutput = await db.send(new BatchGetCommand({ RequestItems: request }));
      found.push(...(result.Responses?.[table] ?? []).map((item: Record<string, unknown>) => String(item[keyName])));
      const left: { Keys?: Record<string, unknown>[] } | undefined = result.UnprocessedKeys?.[table];
      request = left?.Keys?.length ? { [table]: { Keys: left.Keys } } : undefined;
    }
  }
  return found;
};

/** Runs `work` over `items` with at most `limit` in flight. */
export const inPool = async <T>(items: T[], limit: number, work: (item: T, index: number) => Promise<void>) => {
  let next = 0;
  const lanes = Array.from({ length: limit }, async () => {
    while (next < items.length) {
      const index = next++;
      await work(items[index] as T, index);
    }
  });
  await Promise.all(lanes);
};
