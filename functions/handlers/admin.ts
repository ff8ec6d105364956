import { z } from 'zod';
import { DELIVERY_STATUSES } from '#domain/delivery.js';
import { DeliveryNotFoundError, retryDeadDelivery, retryDeadSince } from '#domain/delivery-operations.js';
import { type AdminOperations, routeAdminApi } from '#shared/admin-router.js';
import { BadRequestError } from '#shared/errors.js';
import { httpHandler, json, parseJsonBody } from '#shared/http.js';
import { logger } from '#shared/logger.js';
import { wiring } from '#shared/wiring.js';

const deps = await wiring();
const ops = { records: deps.deliveries, queue: deps.deliveryQueue };

const ListDeliveriesQuery = z.object({
  status: z.enum(DELIVERY_STATUSES).default('DEAD'),
  cursor: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});
const RetryDeadBody = z.strictObject({ since: z.iso.datetime({ offset: true }) });

const parseQuery = <T extends z.ZodType>(schema: T, query: Record<string, string>): z.infer<T> => {
  const result = schema.safeParse(query);
  if (result.success) return result.data;
  const fields = result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
  throw new BadRequestError('Invalid query parameters', 'VALIDATION_FAILED', fields);
};

const operations: AdminOperations = {
  whoAmI: async ({ principal }) => json(200, principal),
  listDeliveries: async ({ query }) => {
    const { status, cursor, limit } = parseQuery(ListDeliveriesQuery, query);
    return json(
      200,
      await deps.deliveries.listByStatus(status, { limit, newestFirst: true, ...(cursor ? { cursor } : {}) }),
    );
  },
  getDelivery: async ({ params }) => {
    const delivery = await deps.deliveries.get(String(params.deliveryId));
    if (!delivery) throw new DeliveryNotFoundError(`No delivery ${params.deliveryId}`);
    return json(200, delivery);
  },
  retryDelivery: async ({ params, principal }) => {
    const delivery = await retryDeadDelivery(String(params.deliveryId), ops);
    logger.info('delivery retried by hand', { deliveryId: delivery.deliveryId, by: principal.name });
    return json(202, delivery);
  },
  retryDeadDeliveries: async ({ raw, principal }) => {
    const { since } = parseJsonBody(raw, RetryDeadBody, 16 * 1024);
    const result = await retryDeadSince(new Date(since).toISOString(), ops);
    logger.info('dead deliveries retried by hand', { count: result.retried.length, since, by: principal.name });
    return json(202, { retried: result.retried.length, deliveryIds: result.retried, more: result.more });
  },
};

/** The admin function behind its Function URL: the JSON API under /api/. */
export const handler = httpHandler({}, async ({ event, raw }) =>
  routeAdminApi(event, raw, deps.config.ADMIN_TOKENS, operations),
);
