import { caseRepository } from '#adapters/case-repository.js';
import { deliveryQueue } from '#adapters/delivery-queue.js';
import { deliveryRepository } from '#adapters/delivery-repository.js';
import { webhookSender } from '#adapters/webhook-sender.js';
import { newDelivery } from '#domain/webhooks/delivery.js';
import { buildHandler, DeliverConfigSchema } from '#handlers/deliver.js';
import { lambdaContext, sqsEvent } from '../fixtures/events.js';
import { startReceiver } from '../fixtures/receiver.js';
import { type HandlerResources, handlerResources } from './resources.js';

const TOQIO_KEY = 'handler-test-toqio-key-0001';
const TYPE = 'TRANSACTION_MONITORING_STATUS_UPDATED';
let resources: HandlerResources;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let handler: ReturnType<typeof buildHandler>;

beforeAll(async () => {
  resources = await handlerResources();
  receiver = await startReceiver();
  const { documentClient, sqs } = resources;
  const config = resources.configOf(DeliverConfigSchema, {
    TOQIO_API_KEY: TOQIO_KEY,
    TOQIO_WEBHOOK_BASE_URL: receiver.url,
    DELIVERY_TIMEOUT_MS: '2000',
  });
  handler = buildHandler({
    store: deliveryRepository(documentClient, config.DELIVERIES_TABLE),
    queue: deliveryQueue(sqs, { queue: config.DELIVERIES_QUEUE_URL, deadLetter: config.DELIVERIES_DLQ_URL }),
    sender: webhookSender(),
    settings: {
      toqio: { baseUrl: config.TOQIO_WEBHOOK_BASE_URL, apiKeyHeader: config.TOQIO_API_KEY_HEADER, apiKey: TOQIO_KEY },
    },
    retryDelays: config.DELIVERY_RETRY_DELAYS,
    timeoutMs: config.DELIVERY_TIMEOUT_MS,
    history: caseRepository(documentClient, {
      // Deliver binds no decisions table: it only appends the DELIVERED entry to the history.
      decisions: 'not-bound-to-deliver',
      history: config.HISTORY_TABLE,
      deliveries: config.DELIVERIES_TABLE,
    }),
  });
});
afterAll(async () => {
  await receiver.close();
  await resources.destroy();
});

/** A status update owed to Toqio, written to the outbox as validate or a case change writes it. */
const queuedDelivery = async () => {
  const transactionId = `tx-${crypto.randomUUID()}`;
  const delivery = newDelivery({
    target: 'toqio',
    type: TYPE,
    subject: transactionId,
    payload: { transactionId, status: 'REJECTED', reason: 'handler-test' },
    now: new Date(),
  });
  await resources.put('deliveries', { ...delivery });
  return delivery;
};

const sentFor = (transactionId: string) =>
  receiver
    .requestsFor(TYPE)
    .filter((request) => (request.body as { transactionId?: string }).transactionId === transactionId);

describe('deliver', () => {
  it('sends a queued delivery to the partner once, with its key, and records it DELIVERED in the case history', async () => {
    const delivery = await queuedDelivery();
    const result = await handler(sqsEvent([{ deliveryId: delivery.deliveryId }]), lambdaContext('deliver'));
    expect(result).toEqual({ batchItemFailures: [] });

    const sent = sentFor(delivery.subject);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.headers).toMatchObject({ 'x-api-key': TOQIO_KEY, 'webhook-id': delivery.deliveryId });
    expect(sent[0]?.body).toEqual(JSON.parse(delivery.payload));
    expect(await resources.item('deliveries', { deliveryId: delivery.deliveryId })).toMatchObject({
      status: 'DELIVERED',
      attemptCount: 1,
      attempts: [expect.objectContaining({ outcome: 'delivered', httpStatus: 200 })],
    });
    expect(await resources.history(delivery.subject)).toEqual([
      expect.objectContaining({
        action: 'DELIVERED',
        actor: 'system:toqio',
        details: expect.objectContaining({ deliveryId: delivery.deliveryId }),
      }),
    ]);
  });

  it.each([
    ['is not JSON', '{"deliveryId": '],
    ['is not a delivery message', { deliveryId: 'dlv_x', unexpected: 'field' }],
  ])('reports only the record that %s in batchItemFailures, and delivers the others', async (_name, bad) => {
    const first = await queuedDelivery();
    const second = await queuedDelivery();
    const event = sqsEvent([{ deliveryId: first.deliveryId }, bad, { deliveryId: second.deliveryId }]);
    const result = await handler(event, lambdaContext('deliver'));
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: event.Records[1]?.messageId }] });
    for (const delivery of [first, second]) {
      expect(sentFor(delivery.subject)).toHaveLength(1);
      expect(await resources.item('deliveries', { deliveryId: delivery.deliveryId })).toMatchObject({
        status: 'DELIVERED',
      });
    }
  });

  it('sends nothing again for a redelivered message of a delivered record', async () => {
    const delivery = await queuedDelivery();
    const message = { deliveryId: delivery.deliveryId };
    await handler(sqsEvent([message]), lambdaContext('deliver'));
    expect(await handler(sqsEvent([message]), lambdaContext('deliver'))).toEqual({ batchItemFailures: [] });
    expect(sentFor(delivery.subject)).toHaveLength(1);
  });
});
