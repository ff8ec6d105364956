import type { DeliveryRecords } from './manual-retry.js';
import type { DeliveryQueue } from './send-attempt.js';

const SWEEP_PAGE = 100;
const SWEEP_MAX_PAGES = 10;

/**
 * Re-enqueues deliveries whose SQS message was lost: written but never sent (a crash between
 * the transaction and SendMessage), or a retry whose message never came. A redundant message is
 * harmless: the deliver function's lease lets only one of them send.
 */
export const sweepDeliveries = async (deps: {
  records: DeliveryRecords;
  queue: DeliveryQueue;
  /** How long a record may sit QUEUED (or overdue FAILED) before it is sent again. */
  staleAfterMs: number;
  now?: Date;
}) => {
  const now = deps.now ?? new Date();
  const before = new Date(now.getTime() - deps.staleAfterMs).toISOString();
  let requeued = 0;
  for (const status of ['QUEUED', 'FAILED'] as const) {
    let cursor: string | undefined;
    for (let page = 0; page < SWEEP_MAX_PAGES; page++) {
      const result = await deps.records.listByStatus(status, {
        before,
        limit: SWEEP_PAGE,
        ...(cursor ? { cursor } : {}),
      });
      for (const delivery of result.items) {
        // A worker may lease the record between this read and the write: the touch then does nothing.
        if (!(await deps.records.touchIfIdle(delivery.deliveryId, status, delivery.updatedAt, now))) continue;
        await deps.queue.send({ deliveryId: delivery.deliveryId }, 0);
        requeued++;
      }
      if (!result.nextCursor) break;
      cursor = result.nextCursor;
    }
  }
  return { requeued };
};
