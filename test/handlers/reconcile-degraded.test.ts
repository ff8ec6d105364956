import { newDelivery } from '#domain/webhooks/delivery.js';
import { buildHandler, ReconcileDegradedConfigSchema, reconcileDegradedStore } from '#handlers/reconcile-degraded.js';
import { lambdaContext, sqsEvent } from '../fixtures/events.js';
import { type HandlerResources, handlerResources } from './resources.js';

let resources: HandlerResources;
let handler: ReturnType<typeof buildHandler>;

beforeAll(async () => {
  resources = await handlerResources({ outboxStream: true });
  const config = resources.configOf(ReconcileDegradedConfigSchema);
  handler = buildHandler({ store: reconcileDegradedStore(config, resources.documentClient) });
});
afterAll(() => resources.destroy());

/** What validate queues when storage did not answer within its budget and Toqio was told REJECTED. */
const degradedAnswer = (transactionId: string, deliveryIds: string[] = []) => ({
  transactionId,
  attemptId: crypto.randomUUID(),
  writeAttempted: true,
  deliveryIds,
  answeredAt: new Date().toISOString(),
  customer: 'Jane Smith',
  baseAmount: 250.75,
  currency: 'EUR',
});

const reconcile = (message: object) => handler(sqsEvent([message]), lambdaContext('reconcileDegraded'));

describe('reconcileDegraded', () => {
  it('stores the rejection Toqio was told when storage holds nothing for the payment', async () => {
    const message = degradedAnswer(`tx-${crypto.randomUUID()}`);
    expect(await reconcile(message)).toEqual({ batchItemFailures: [] });
    expect(await resources.item('decisions', { transactionId: message.transactionId })).toMatchObject({
      status: 'REJECTED',
      reviewStage: 'FINAL',
      attemptId: message.attemptId,
      customer: 'Jane Smith',
      baseAmount: 250.75,
      reasons: [expect.objectContaining({ rule: 'SERVICE_DEGRADED' })],
    });
    // Nothing else to tell Toqio: it was answered REJECTED already.
    expect(await resources.receive('deliveries')).toEqual([]);
  });

  it("turns this call's late-committed decision into the rejection, cancels its unsent webhook and sends REJECTED", async () => {
    const message = degradedAnswer(`tx-${crypto.randomUUID()}`);
    const owed = newDelivery({
      target: 'toqio',
      type: 'TRANSACTION_MONITORING_STATUS_UPDATED',
      subject: message.transactionId,
      payload: { transactionId: message.transactionId, status: 'APPROVED' },
      now: new Date(),
    });
    message.deliveryIds = [owed.deliveryId];
    // The write validate gave up on landed after the answer: an approval, with its outbox.
    await resources.put('decisions', {
      transactionId: message.transactionId,
      status: 'APPROVED',
      reviewStage: 'FINAL',
      version: 1,
      createdAt: message.answeredAt,
      customer: message.customer,
      baseAmount: message.baseAmount,
      reasons: [],
      attemptId: message.attemptId,
    });
    await resources.put('deliveries', { ...owed });

    expect(await reconcile(message)).toEqual({ batchItemFailures: [] });

    expect(await resources.item('decisions', { transactionId: message.transactionId })).toMatchObject({
      status: 'REJECTED',
      decidedBy: 'system:degraded',
      finalReason: 'SERVICE_DEGRADED',
    });
    expect(await resources.item('deliveries', { deliveryId: owed.deliveryId })).toMatchObject({ status: 'CANCELLED' });
    // The stream published both records as they were written: the late write's (now CANCELLED, so
    // the deliver function sends nothing for it) and the REJECTED status update.
    const published = new Set<string>();
    for (let i = 0; i < 5 && published.size < 2; i++) {
      for (const body of await resources.receive('deliveries')) published.add(String(body.deliveryId));
    }
    expect(published.has(owed.deliveryId)).toBe(true);
    published.delete(owed.deliveryId);
    expect(published.size).toBe(1);
    const statusUpdate = await resources.item('deliveries', { deliveryId: String([...published][0]) });
    expect(statusUpdate).toMatchObject({ target: 'toqio', subject: message.transactionId, status: 'QUEUED' });
    expect(JSON.parse(String(statusUpdate?.payload))).toMatchObject({ status: 'REJECTED', reason: 'SERVICE_DEGRADED' });
    expect((await resources.history(message.transactionId)).map((entry) => entry.action)).toEqual(['RECONCILED']);
  });
});
