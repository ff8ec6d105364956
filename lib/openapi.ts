import { z } from 'zod';
import { CaseQuerySchema } from '../functions/domain/cases/queries.js';
import { DecisionRequestSchema, NoteRequestSchema } from '../functions/domain/cases/transitions.js';
import { TransactionSchema } from '../functions/domain/decisions/transaction.js';
import { OnepipeNotificationSchema } from '../functions/domain/onepipe/messages.js';
import { accountMappingSchema } from '../functions/domain/onepipe/save-transaction.js';
import { FlagrightWebhookEventSchema } from '../functions/domain/providers/flagright-webhook.js';
import { ProviderWebhookSchema } from '../functions/domain/providers/webhook.js';
import { ListDeliveriesQuery, RetryDeadBody } from '../functions/domain/webhooks/delivery.js';
import { ADMIN_ROUTES, type AdminOperation, ROUTES } from './routes.js';

/**
 * The OpenAPI 3.1 document of every route, generated from the zod schemas the handlers validate
 * with and from the route tables: there is no second, hand-written copy. `npm run openapi` writes
 * docs/openapi.json; a test fails when the committed file drifts; the admin function serves it.
 */
const schema = (zod: z.ZodType) =>
  z.toJSONSchema(zod, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' });

const ErrorSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    fields: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  }),
});
const OnepipeAnswer = z.object({ status: z.enum(['Successful', 'Failed']), message: z.string() });
const ValidateAnswer = z.object({
  status: z.enum(['APPROVED', 'REJECTED', 'PENDING_EXTERNAL_APPROVAL']),
  transactionId: z.string(),
  reasons: z.array(z.object({ rule: z.string(), description: z.string() })),
});

const json = (zod: z.ZodType) => ({ content: { 'application/json': { schema: schema(zod) } } });
const errors = (...codes: number[]) =>
  Object.fromEntries(codes.map((code) => [String(code), { description: `Error ${code}`, ...json(ErrorSchema) }]));

/** Request bodies and query strings of the admin operations that take them. */
const ADMIN_INPUTS: Partial<Record<AdminOperation, { body?: z.ZodType; query?: z.ZodObject }>> = {
  listCases: { query: CaseQuerySchema },
  decideCase: { body: DecisionRequestSchema },
  addCaseNote: { body: NoteRequestSchema },
  // Documented with the default ONEPIPE_CURRENCY (NGN).
  putAccountMapping: { body: accountMappingSchema({ currency: 'NGN' }) },
  listDeliveries: { query: ListDeliveriesQuery },
  retryDeadDeliveries: { body: RetryDeadBody },
};

const pathParameters = (path: string) =>
  [...path.matchAll(/\{(\w+)\}/g)].map((match) => ({
    name: match[1],
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));

const queryParameters = (query?: z.ZodObject) =>
  query
    ? Object.entries(query.shape).map(([name, field]) => ({
        name,
        in: 'query',
        required: false,
        schema: schema(field as z.ZodType),
      }))
    : [];

export const buildOpenApi = () => {
  const paths: Record<string, Record<string, unknown>> = {};
  const add = (path: string, method: string, operation: Record<string, unknown>) => {
    paths[path] ??= {};
    (paths[path] as Record<string, unknown>)[method.toLowerCase()] = { parameters: pathParameters(path), ...operation };
  };
  for (const route of ROUTES) {
    if (route.function === 'validate') {
      add(route.path, route.method, {
        operationId: 'validateTransaction',
        summary: 'Decide an outbound payment (Toqio calls this)',
        security: [{ toqioApiKey: [] }],
        requestBody: { required: true, ...json(TransactionSchema) },
        responses: { '200': { description: 'The decision', ...json(ValidateAnswer) }, ...errors(400, 401, 413) },
      });
    } else if (route.function === 'onepipeNotifications') {
      add(route.path, route.method, {
        operationId: 'receiveOnepipeNotification',
        summary: 'OnePipe transaction notification (Signature: md5(request_ref;client secret))',
        security: [{ onepipeSignature: [] }],
        requestBody: { required: true, ...json(OnepipeNotificationSchema) },
        responses: {
          '200': { description: 'Stored', ...json(OnepipeAnswer) },
          '400': json(OnepipeAnswer),
          '401': json(OnepipeAnswer),
        },
      });
    } else if (route.function === 'providerWebhook') {
      add(route.path, route.method, {
        operationId: 'receiveProviderVerdict',
        summary:
          "A monitoring provider's asynchronous verdict: TM_PROVIDER=http posts the generic body (x-tm-proxy-signature: t=..,v1=HMAC-SHA256 of t.body); TM_PROVIDER=flagright posts Flagright's webhook event (x-flagright-signature: hex HMAC-SHA256 of the body)",
        requestBody: { required: true, ...json(z.union([ProviderWebhookSchema, FlagrightWebhookEventSchema])) },
        responses: {
          '200': {
            description: 'Applied, already decided, or (Flagright) a duplicate or an event type carrying no verdict',
          },
          '202': { description: 'Recorded, not applied (a note, four-eyes, shadow mode, or a case it cannot change)' },
          ...errors(400, 401, 404, 409),
        },
      });
    } else {
      add(route.path, route.method, {
        operationId: route.function,
        summary: 'Liveness and storage check',
        responses: { '200': { description: 'Healthy' }, '503': { description: 'Storage unavailable' } },
      });
    }
  }
  for (const route of ADMIN_ROUTES) {
    const input = ADMIN_INPUTS[route.operation];
    add(route.path, route.method, {
      operationId: route.operation,
      summary: route.summary,
      tags: ['admin'],
      security: [{ adminToken: [] }],
      'x-required-role': route.role,
      ...(input?.query ? { parameters: [...pathParameters(route.path), ...queryParameters(input.query)] } : {}),
      ...(input?.body ? { requestBody: { required: true, ...json(input.body) } } : {}),
      responses: { '200': { description: 'OK' }, ...errors(400, 401, 403, 404, 409) },
    });
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'tm-proxy',
      version: '1.0.0',
      description: 'Transaction-monitoring proxy between Toqio, OnePipe, monitoring providers and analysts.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    components: {
      securitySchemes: {
        toqioApiKey: {
          type: 'apiKey',
          in: 'header',
          name: 'x-api-key',
          description: 'TOQIO_API_KEY (header name: TOQIO_API_KEY_HEADER)',
        },
        onepipeSignature: { type: 'apiKey', in: 'header', name: 'Signature' },
        adminToken: { type: 'http', scheme: 'bearer', description: 'A token from ADMIN_TOKENS' },
      },
    },
    paths,
  };
};
