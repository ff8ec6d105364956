import type { Delivery } from './delivery.js';
import type { DeliveryQueue } from './send-attempt.js';

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
