import { checkCursor, refusedInputAsBadRequest } from '#adapters/listing-input.js';
import { DeliveryNotFoundError, retryDeadDelivery, retryDeadSince } from '#domain/webhooks/manual-retry.js';
import { ListDeliveriesQuery, RetryDeadBody } from '#domain/webhooks/requests.js';
import type { AdminOperations } from '#shared/admin-router.js';
import { json, parseJsonBody } from '#shared/http.js';
import { logger } from '#shared/logger.js';
import type { AdminDeps } from './deps.js';
import { parseQuery } from './query.js';

type DeliveryOperations = Pick<
  AdminOperations,
  'listDeliveries' | 'getDelivery' | 'retryDelivery' | 'retryDeadDeliveries'
>;

/** The operators' side of the delivery engine: look at deliveries and send dead ones again. */
export const deliveryOperations = (deps: AdminDeps): DeliveryOperations => {
  const ops = { records: deps.deliveries };
  return {
    listDeliveries: async ({ query }) => {
      const { status, cursor, limit } = parseQuery(ListDeliveriesQuery, query);
      checkCursor(cursor, ['deliveryId', 'status', 'dueAt'], { status });
      return json(
        200,
        await refusedInputAsBadRequest(() =>
          deps.deliveries.listByStatus(status, { limit, newestFirst: true, ...(cursor ? { cursor } : {}) }),
        ),
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
};
