import { ConflictError, NotFoundError } from '../shared/errors.js';
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

export class DeliveryNotFoundError extends NotFoundError {}
export class DeliveryNotDeadError extends ConflictError {}

/** A supervisor sends a dead delivery again: a new round of the retry schedule, same webhook-id. */
export const retryDeadDelivery = async (
  deliveryId: string,
  deps: { records: DeliveryRecords; now?: Date },
): Promise<Delivery> => {
  const delivery = await deps.records.get(deliveryId);
  if (!delivery) throw new DeliveryNotFoundError(`No delivery ${deliveryId}`);
  if (delivery.status !== 'DEAD')
    throw new DeliveryNotDeadError(`Delivery ${deliveryId} is ${delivery.status}, not DEAD`);
  const restarted = restartDelivery(delivery, deps.now ?? new Date());
  if (!(await deps.records.replaceIfStatus(restarted, 'DEAD', delivery.updatedAt))) {
    throw new DeliveryNotDeadError(`Delivery ${deliveryId} changed while retrying; reload it`);
  }
  // DEAD -> QUEUED is published by the deliveries table's stream (lib/outbox-stream.ts).
  return restarted;
};

/** Retries every delivery that went DEAD at or after `since` (bounded per call). */
export const retryDeadSince = async (since: string, deps: { records: DeliveryRecords; now?: Date; max?: number }) => {
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
