import * as z from 'zod';
import { TransactionSchema } from '../functions/domain/decisions/transaction.js';
import { OnepipeNotificationSchema } from '../functions/domain/onepipe/messages.js';
import { FlagrightWebhookEventSchema } from '../functions/domain/providers/flagright-webhook.js';
import { ProviderWebhookSchema } from '../functions/domain/providers/webhook.js';
import { ADMIN_ROUTES } from '../functions/shared/admin-routes.js';
import { type FunctionName, ROUTES } from './routes.js';

/**
 * The OpenAPI 3.1 document of every route, generated from the route tables and the zod schemas
 * attached to them (zod 4's own JSON Schema output): there is no second, hand-written copy.
 * `npm run openapi` writes docs/openapi.json; a test fails when the committed file drifts or when
 * Redocly's recommended rules find an error; the admin function serves it.
 */
const schema = (zod: z.ZodType) =>
  z.toJSONSchema(zod, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' });

// Built on the first request for the document, not at the admin function's cold start.
const ErrorSchema = z.lazy(() =>
  z.object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      fields: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    }),
  }),
);
const OnepipeAnswer = z.lazy(() => z.object({ status: z.enum(['Successful', 'Failed']), message: z.string() }));
const ValidateAnswer = z.lazy(() =>
  z.object({
    status: z.enum(['APPROVED', 'REJECTED', 'PENDING_EXTERNAL_APPROVAL']),
    transactionId: z.string(),
    reasons: z.array(z.object({ rule: z.string(), description: z.string() })),
  }),
);

/** What an operation takes and answers; each response needs a description (OpenAPI requires one). */
interface OperationContract {
  operationId: string;
  summary: string;
  /** Security requirements; `[]` says the route is public. */
  security: Record<string, string[]>[];
  query?: z.ZodObject;
  body?: z.ZodType;
  responses: Record<number, { description: string; body?: z.ZodType }>;
}

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Bad input (with the fields at fault)',
  401: 'No or unknown credentials',
  403: 'Wrong role, or four-eyes',
  404: 'Unknown resource',
  409: 'Final, claimed by someone else, or changed meanwhile',
  413: 'Body too large',
  429: 'Too many failed sign-ins from this address (Retry-After)',
};
const errors = (...codes: number[]) =>
  Object.fromEntries(
    codes.map((code) => [code, { description: ERROR_DESCRIPTIONS[code] ?? 'Error', body: ErrorSchema }]),
  );

type HttpApiFunction = 'validate' | 'health' | 'onepipeNotifications' | 'providerWebhook';

/** The HTTP API's contracts, keyed by the function a route in lib/routes.ts names. */
const HTTP_API: Record<HttpApiFunction, OperationContract> = {
  validate: {
    operationId: 'validateTransaction',
    summary: 'Decide an outbound payment (Toqio calls this)',
    security: [{ toqioApiKey: [] }],
    body: TransactionSchema,
    responses: { 200: { description: 'The decision', body: ValidateAnswer }, ...errors(400, 401, 413) },
  },
  health: {
    operationId: 'health',
    summary: 'Liveness and storage check',
    security: [],
    responses: { 200: { description: 'Healthy' }, 503: { description: 'Storage unavailable' } },
  },
  onepipeNotifications: {
    operationId: 'receiveOnepipeNotification',
    summary: 'OnePipe transaction notification (Signature: md5(request_ref;client secret))',
    security: [{ onepipeSignature: [] }],
    body: OnepipeNotificationSchema,
    responses: {
      200: { description: 'Stored', body: OnepipeAnswer },
      400: { description: 'Refused: bad input', body: OnepipeAnswer },
      401: { description: 'Refused: bad signature', body: OnepipeAnswer },
    },
  },
  providerWebhook: {
    operationId: 'receiveProviderVerdict',
    summary:
      "A monitoring provider's asynchronous verdict: TM_PROVIDER=http posts the generic body (x-tm-proxy-signature: t=..,v1=HMAC-SHA256 of t.body); TM_PROVIDER=flagright posts Flagright's webhook event (x-flagright-signature: hex HMAC-SHA256 of the body)",
    security: [{ providerSignature: [] }, { flagrightSignature: [] }],
    body: z.union([ProviderWebhookSchema, FlagrightWebhookEventSchema]),
    responses: {
      200: { description: 'Applied, already decided, or (Flagright) a duplicate or an event type carrying no verdict' },
      202: { description: 'Recorded, not applied (a note, four-eyes, shadow mode, or a case it cannot change)' },
      ...errors(400, 401, 404, 409),
    },
  },
};

const httpApiContract = (name: FunctionName): OperationContract => {
  if (!Object.hasOwn(HTTP_API, name)) throw new Error(`No OpenAPI contract for the HTTP API function ${name}`);
  return HTTP_API[name as HttpApiFunction];
};

const adminContract = (route: (typeof ADMIN_ROUTES)[number]): OperationContract => {
  const answers: Record<number, string> = 'answers' in route ? route.answers : { 200: 'OK' };
  return {
    operationId: route.operation,
    summary: route.summary,
    security: [{ adminToken: [] }],
    ...('query' in route ? { query: route.query } : {}),
    ...('body' in route ? { body: route.body } : {}),
    responses: {
      ...Object.fromEntries(Object.entries(answers).map(([code, description]) => [code, { description }])),
      ...errors(400, 401, 403, 404, 409, 429),
    },
  };
};

/** The error body is one component, referenced by every error answer. */
const content = (zod: z.ZodType) => ({
  content: {
    'application/json': { schema: zod === ErrorSchema ? { $ref: '#/components/schemas/Error' } : schema(zod) },
  },
});

const operation = (path: string, contract: OperationContract) => ({
  operationId: contract.operationId,
  summary: contract.summary,
  security: contract.security,
  parameters: [
    ...[...path.matchAll(/\{(\w+)\}/g)].map((match) => ({
      name: match[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    })),
    ...Object.entries(contract.query?.shape ?? {}).map(([name, field]) => ({
      name,
      in: 'query',
      required: false,
      schema: schema(field as z.ZodType),
    })),
  ],
  ...(contract.body ? { requestBody: { required: true, ...content(contract.body) } } : {}),
  responses: Object.fromEntries(
    Object.entries(contract.responses).map(([code, response]) => [
      code,
      { description: response.description, ...(response.body ? content(response.body) : {}) },
    ]),
  ),
});

/** Where each API is served: the stack's outputs name them; `npm start` serves them on these ports. */
const serverOf = (variable: string, local: string, description: string) => [
  { url: `{${variable}}`, variables: { [variable]: { default: local, description } } },
];
const ADMIN_SERVERS = serverOf('adminUrl', 'http://127.0.0.1:3001', 'The AdminUrl output (ADMIN_PORT locally)');

export const buildOpenApi = () => {
  const paths: Record<string, Record<string, unknown>> = {};
  const add = (path: string, method: string, entry: Record<string, unknown>, extra: Record<string, unknown> = {}) => {
    paths[path] ??= { ...extra };
    (paths[path] as Record<string, unknown>)[method.toLowerCase()] = entry;
  };
  for (const route of ROUTES) add(route.path, route.method, operation(route.path, httpApiContract(route.function)));
  for (const route of ADMIN_ROUTES) {
    add(
      route.path,
      route.method,
      { ...operation(route.path, adminContract(route)), tags: ['admin'], 'x-required-role': route.role },
      { servers: ADMIN_SERVERS },
    );
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'tm-proxy',
      version: '1.0.0',
      description: 'Transaction-monitoring proxy between Toqio, OnePipe, monitoring providers and analysts.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    servers: serverOf('apiUrl', 'http://127.0.0.1:3000', 'The ApiUrl output (PORT locally)'),
    tags: [{ name: 'admin', description: 'Case management, served by the admin function behind its Function URL' }],
    components: {
      schemas: { Error: schema(ErrorSchema) },
      securitySchemes: {
        toqioApiKey: {
          type: 'apiKey',
          in: 'header',
          name: 'x-api-key',
          description: 'TOQIO_API_KEY (header name: TOQIO_API_KEY_HEADER)',
        },
        onepipeSignature: { type: 'apiKey', in: 'header', name: 'Signature' },
        providerSignature: {
          type: 'apiKey',
          in: 'header',
          name: 'x-tm-proxy-signature',
          description: 't=<unix seconds>,v1=<HMAC-SHA256 of t.body> with the provider webhook secret',
        },
        flagrightSignature: {
          type: 'apiKey',
          in: 'header',
          name: 'x-flagright-signature',
          description: "hex HMAC-SHA256 of the body with Flagright's webhook secret",
        },
        adminToken: { type: 'http', scheme: 'bearer', description: 'A token from ADMIN_TOKENS' },
      },
    },
    paths,
  };
};
