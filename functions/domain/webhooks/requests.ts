import * as z from 'zod';
import { DELIVERY_STATUSES } from './delivery.js';

/**
 * The admin API's delivery listing query and bulk-retry body: in a module of their own, so the
 * functions that only queue deliveries (validate, onepipeNotifications) do not build them at cold
 * start (npm run bench:cold).
 */
export const ListDeliveriesQuery = z.object({
  status: z.enum(DELIVERY_STATUSES).default('DEAD'),
  cursor: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});
export const RetryDeadBody = z.lazy(() => z.strictObject({ since: z.iso.datetime({ offset: true }) }));
