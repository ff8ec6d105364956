import type { DeliveryQueue } from './deliver-webhook.js';
import { type Delivery, type DeliveryStatus, restartDelivery } from './delivery.js';

/** The record operations the sweeper and the retry actions need. */
export interface DeliveryRecords {
  get(deliveryId: string): Promise<Delivery | undefined>;
  listByStatus(
    status: DeliveryStatus,
    options: { limit?: number; cursor?: string; before?: string; since?: string },
  ): Promise<{ items: Delivery[]; nextCursor: string | null }>;
  replaceIfStatus(delivery: Delivery, expected: DeliveryStatus, expectedUpdatedAt: string): Promise<boolean>;
  /** Moves a record's dueAt forward only if it is as read and not leased by a worker. */
  touchIfIdle(deliveryId: string, expected: DeliveryStatus, expectedUpdatedAt: string, now: Date): Promise<boolean>;
}

export class DeliveryNotFoundError extends Error {
  override name = 'NotFoundError';
}
export class DeliveryNotDeadError extends Error {
  override name = 'ConflictError';
}

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

/**
 * Sends the queue messages for deliveries whose records were just committed (the outbox). A
 * failed send is reported, not thrown: the record is safe and the sweeper will send it.
 */
export const publishDeliveries = async (
  deliveries: readonly Delivery[],
  queue: DeliveryQueue,
  onError: (deliveryId: string, error: unknown) => void,
): Promise<void> => {
  await Promise.all(
    deliveries.map((delivery) =>
      queue.send({ deliveryId: delivery.deliveryId }, 0).catch((error: unknown) => onError(delivery.deliveryId, error)),
    ),
  );
};

/** A supervisor sends a dead delivery again: a new round of the retry schedule, same webhook-id. */
export const retryDeadDelivery = async (
  deliveryId: string,
  deps: { records: DeliveryRecords; queue: DeliveryQueue; now?: Date },
): Promise<Delivery> => {
  const delivery = await deps.records.get(deliveryId);
  if (!delivery) throw new DeliveryNotFoundError(`No delivery ${deliveryId}`);
  if (delivery.status !== 'DEAD')
    throw new DeliveryNotDeadError(`Delivery ${deliveryId} is ${delivery.status}, not DEAD`);
  const restarted = restartDelivery(delivery, deps.now ?? new Date());
  if (!(await deps.records.replaceIfStatus(restarted, 'DEAD', delivery.updatedAt))) {
    throw new DeliveryNotDeadError(`Delivery ${deliveryId} changed while retrying; reload it`);
  }
  await deps.queue.send({ deliveryId }, 0);
  return restarted;
};

/** Retries every delivery that went DEAD at or after `since` (bounded per call). */
export const retryDeadSince = async (
  since: string,
  deps: { records: DeliveryRecords; queue: DeliveryQueue; now?: Date; max?: number },
) => {
  const max = deps.max ?? 500;
  const retried: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await deps.records.listByStatus('DEAD', { since, limit: 100, ...(cursor ? { cursor } : {}) });
    for (const delivery of page.items) {
      if (retried.length >= max) return { retried, more: true };
      try {
        await retryDeadDelivery(delivery.deliveryId, deps);
        retried.push(delivery.deliveryId);
      } catch (error) {
        if (!(error instanceof DeliveryNotDeadError)) throw error;
      }
    }
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return { retried, more: false };
};
