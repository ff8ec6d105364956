import { deliveryQueue } from '#adapters/delivery-queue.js';
import { deliveryRepository } from '#adapters/delivery-repository.js';
import { newDelivery } from '#domain/webhooks/delivery.js';
import { buildHandler, SweeperConfigSchema } from '#handlers/sweeper.js';
import { lambdaContext, scheduledEvent } from '../fixtures/events.js';
import { type HandlerResources, handlerResources } from './resources.js';

let resources: HandlerResources;
let handler: ReturnType<typeof buildHandler>;

beforeAll(async () => {
  resources = await handlerResources();
  const config = resources.configOf(SweeperConfigSchema, { SWEEPER_STALE_AFTER_SECONDS: '60' });
  handler = buildHandler({
    records: deliveryRepository(resources.documentClient, config.DELIVERIES_TABLE),
    queue: deliveryQueue(resources.sqs, {
      queue: config.DELIVERIES_QUEUE_URL,
      deadLetter: 'not-bound-to-the-sweeper',
    }),
    staleAfterMs: config.SWEEPER_STALE_AFTER_SECONDS * 1000,
  });
});
afterAll(() => resources.destroy());

/** A delivery written to the outbox `ageMs` ago whose queue message never came. */
const queuedDelivery = async (ageMs: number) => {
  const delivery = newDelivery({
    target: 'toqio',
    type: 'TRANSACTION_MONITORING_STATUS_UPDATED',
    subject: `tx-${crypto.randomUUID()}`,
    payload: { status: 'APPROVED' },
    now: new Date(Date.now() - ageMs),
  });
  await resources.put('deliveries', { ...delivery });
  return delivery;
};

describe('sweeper', () => {
  it('re-enqueues a delivery left QUEUED past the stale time to the deliveries queue, and leaves a fresh one', async () => {
    const stale = await queuedDelivery(5 * 60_000);
    const fresh = await queuedDelivery(0);

    const result = await handler(scheduledEvent(), lambdaContext('sweeper'));
    expect(result).toEqual({ requeued: 1 });

    expect(await resources.receive('deliveries')).toEqual([{ deliveryId: stale.deliveryId }]);
    // Touched, so the next run does not send it again while this message is on its way.
    const swept = await resources.item('deliveries', { deliveryId: stale.deliveryId });
    expect(swept).toMatchObject({ status: 'QUEUED' });
    expect(Date.parse(String(swept?.updatedAt))).toBeGreaterThan(Date.parse(stale.updatedAt));
    expect(await resources.item('deliveries', { deliveryId: fresh.deliveryId })).toEqual(fresh);

    expect(await handler(scheduledEvent(), lambdaContext('sweeper'))).toEqual({ requeued: 0 });
  });

  it('leaves a delivery a worker is sending, and sends it again once the lease of that worker has lapsed', async () => {
    const repository = deliveryRepository(resources.documentClient, resources.tables.deliveries);
    const sending = await queuedDelivery(5 * 60_000);
    const now = new Date();
    // A worker holds it (the lease outlives the HTTP timeout): the sweeper must not send a second copy.
    expect(
      await repository.acquireLease(sending.deliveryId, 'live', now, new Date(now.getTime() + 40_000)),
    ).toMatchObject({ deliveryId: sending.deliveryId });
    expect(await handler(scheduledEvent(), lambdaContext('sweeper'))).toEqual({ requeued: 0 });
    expect(await resources.receive('deliveries')).toEqual([]);

    // The worker died holding it: once its lease lapses the record is stale again, and goes.
    const died = await queuedDelivery(5 * 60_000);
    expect(await repository.acquireLease(died.deliveryId, 'dead', now, new Date(Date.now() - 1))).toMatchObject({
      deliveryId: died.deliveryId,
    });
    expect(await handler(scheduledEvent(), lambdaContext('sweeper'))).toEqual({ requeued: 1 });
    expect(await resources.receive('deliveries')).toEqual([{ deliveryId: died.deliveryId }]);
  });
});
