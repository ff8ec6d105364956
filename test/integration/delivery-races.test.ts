import { randomUUID } from 'node:crypto';
import { GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { jest } from '@jest/globals';
import type { SQSEvent } from 'aws-lambda';
import { createSqs } from '../../functions/adapters/aws-clients.js';
import { deliveryQueue } from '../../functions/adapters/delivery-queue.js';
import { deliveryRepository } from '../../functions/adapters/delivery-repository.js';
import { webhookSender } from '../../functions/adapters/webhook-sender.js';
import { type Delivery, newDelivery } from '../../functions/domain/webhooks/delivery.js';
import { DeliveryNotDeadError, retryDeadDelivery } from '../../functions/domain/webhooks/manual-retry.js';
import { deliverWebhook } from '../../functions/domain/webhooks/send-attempt.js';
import { sweepDeliveries } from '../../functions/domain/webhooks/sweep.js';
import { lambdaContext } from '../../local/events.js';
import { loadHandler } from '../../local/gateway.js';
import type { LocalStack } from '../../local/stack.js';
import { sqsEvent } from '../fixtures/events.js';
import { eventually, startReceiver } from '../fixtures/receiver.js';
import { startTestStack, TOQIO_KEY, testDocumentClient } from './stack.js';

/** A delivery is sent once, whatever runs beside the worker that sends it. */
const db = testDocumentClient();
const sqs = createSqs({ region: 'us-east-1', sqsEndpoint: String(process.env.TEST_SQS_ENDPOINT) });
let stack: LocalStack;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let repo: ReturnType<typeof deliveryRepository>;
let queue: ReturnType<typeof deliveryQueue>;
const SETTINGS = {
  DELIVERY_RETRY_DELAYS: '1,1,2',
  SWEEPER_STALE_AFTER_SECONDS: '1',
  // Metrics are printed (embedded metric format) so the test can read their dimensions.
  POWERTOOLS_METRICS_DISABLED: 'false',
  ONEPIPE_OUTBOUND_CLIENT_SECRET: 'delivery-races-outbound-secret',
  ONEPIPE_OUTBOUND_API_KEY: 'delivery-races-outbound-key',
};

beforeAll(async () => {
  receiver = await startReceiver();
  Object.assign(process.env, SETTINGS, {
    TOQIO_WEBHOOK_BASE_URL: receiver.url,
    ONEPIPE_LISTENER_URL: `${receiver.url}/onepipe`,
  });
  stack = await startTestStack();
  repo = deliveryRepository(db, stack.tables.deliveries);
  queue = deliveryQueue(sqs, { queue: stack.queues.deliveries.url, deadLetter: stack.queues.deliveries.dlqUrl });
});
afterAll(async () => {
  await stack.stop();
  await receiver.close();
  db.destroy();
  sqs.destroy();
  for (const name of [...Object.keys(SETTINGS), 'TOQIO_WEBHOOK_BASE_URL', 'ONEPIPE_LISTENER_URL']) {
    delete process.env[name];
  }
});

/** A delivery record written as the outbox writes it, `ageMs` in the past, with no queue message. */
const storedDelivery = async (target: Delivery['target'], type: string, ageMs = 0) => {
  const delivery = newDelivery({
    target,
    type,
    subject: `tx-${randomUUID()}`,
    // OnePipe's envelope is signed over its request_ref.
    payload: { transactionId: type, status: 'APPROVED', request_ref: `race-${randomUUID()}` },
    now: new Date(Date.now() - ageMs),
  });
  // Its stream record is lost on purpose (as if the pipe had been down past the stream's retention).
  await stack.outboxStream?.pause();
  await db.send(new TransactWriteCommand({ TransactItems: [repo.outboxItem(delivery)] }));
  await stack.outboxStream?.resume({ dropPending: true });
  return delivery;
};

describe('the sweeper and a worker at the same moment', () => {
  it('never erases a lease taken between its read and its write: the webhook is sent once and recorded', async () => {
    const type = `SWEEP_RACE_${randomUUID().slice(0, 8)}`;
    // Lost its queue message long ago: exactly what the sweeper looks for.
    const delivery = await storedDelivery('toqio', type, 10_000);
    // The partner answers slowly, so the worker's lease is live while the sweeper writes.
    receiver.plan(type, { slowAttempts: [1], delayMs: 1500 });
    const worker = {
      store: repo,
      queue,
      sender: webhookSender(),
      settings: { toqio: { baseUrl: receiver.url, apiKeyHeader: 'x-api-key', apiKey: TOQIO_KEY } },
      retryDelays: [1, 1, 2],
      timeoutMs: 5000,
      newLeaseToken: () => randomUUID(),
    };
    let sending: Promise<unknown> | undefined;
    const result = await sweepDeliveries({
      records: {
        ...repo,
        // The sweeper has read the record; a worker leases it (and starts sending) before the sweeper writes.
        listByStatus: async (status, options) => {
          const page = await repo.listByStatus(status, options);
          if (status === 'QUEUED' && page.items.some((item) => item.deliveryId === delivery.deliveryId)) {
            sending = deliverWebhook({ deliveryId: delivery.deliveryId }, worker);
            await eventually(async () => receiver.requestsFor(type).length === 1, 'the worker to be sending');
          }
          return page;
        },
      },
      queue,
      staleAfterMs: 1000,
    });
    expect(sending).toBeDefined();
    // The sweeper saw the live lease and left the record alone: no second queue message.
    expect(result.requeued).toBe(0);
    // The worker records its attempt (its lease was not erased) ...
    await expect(sending).resolves.toMatchObject({ kind: 'attempted', delivery: { status: 'DELIVERED' } });
    const stored = await repo.get(delivery.deliveryId);
    expect(stored).toMatchObject({ status: 'DELIVERED', attemptCount: 1 });
    // ... and a redundant message (the next sweep, a stray duplicate) sends nothing more.
    await queue.send({ deliveryId: delivery.deliveryId }, 0);
    await stack.runScheduled('sweeper');
    const probe = await storedDelivery('toqio', `${type}_PROBE`);
    await queue.send({ deliveryId: probe.deliveryId }, 0);
    await eventually(async () => (await repo.get(probe.deliveryId))?.status === 'DELIVERED', 'the probe delivery');
    expect(receiver.requestsFor(type)).toHaveLength(1);
  });

  it('still sends a record whose message was lost and that no worker holds', async () => {
    const type = `SWEEP_LOST_${randomUUID().slice(0, 8)}`;
    const delivery = await storedDelivery('toqio', type, 10_000);
    await stack.runScheduled('sweeper');
    await eventually(async () => (await repo.get(delivery.deliveryId))?.status === 'DELIVERED', 'the swept delivery');
    expect(receiver.requestsFor(type)).toHaveLength(1);
  });
});

describe('a cancelled delivery', () => {
  it('is never brought back by a worker whose lease lapsed while it stalled', async () => {
    const delivery = await storedDelivery('toqio', `CANCEL_STALL_${randomUUID().slice(0, 8)}`);
    const token = randomUUID();
    const now = new Date();
    // A worker leases it, then stalls past its lease (slow storage: the degraded scenario).
    const leased = await repo.acquireLease(delivery.deliveryId, token, now, new Date(now.getTime() - 1));
    expect(leased).toBeDefined();
    expect(await repo.cancelUnsent(delivery.subject, [], new Date())).toMatchObject({
      cancelled: [delivery.deliveryId],
    });
    // Its late attempt is refused and the record stays cancelled.
    await expect(
      repo.saveAttempt({ ...(leased as Delivery), status: 'FAILED', nextAttemptAt: new Date().toISOString() }, token),
    ).rejects.toThrow();
    expect(await repo.get(delivery.deliveryId)).toMatchObject({ status: 'CANCELLED' });
    expect(await repo.acquireLease(delivery.deliveryId, randomUUID(), new Date(), new Date(Date.now() + 60_000))).toBe(
      undefined,
    );
  });

  it('includes a DEAD one, so a manual retry can never send it', async () => {
    const delivery = await storedDelivery('toqio', `CANCEL_DEAD_${randomUUID().slice(0, 8)}`);
    await db.send(
      new UpdateCommand({
        TableName: stack.tables.deliveries,
        Key: { deliveryId: delivery.deliveryId },
        UpdateExpression: 'SET #s = :dead',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':dead': 'DEAD' },
      }),
    );
    expect(await repo.cancelUnsent(delivery.subject, [], new Date())).toMatchObject({
      cancelled: [delivery.deliveryId],
    });
    await expect(retryDeadDelivery(delivery.deliveryId, { records: repo })).rejects.toBeInstanceOf(
      DeliveryNotDeadError,
    );
    expect(await repo.get(delivery.deliveryId)).toMatchObject({ status: 'CANCELLED' });
  });
});

describe('delivery metrics', () => {
  it('credit each record of a mixed batch to its own partner', async () => {
    const toqio = await storedDelivery('toqio', `METRICS_${randomUUID().slice(0, 8)}`);
    const onepipe = await storedDelivery('onepipe', 'transaction_notification');
    const printed: string[] = [];
    const log = jest.spyOn(console, 'log').mockImplementation((line: unknown) => void printed.push(String(line)));
    const warn = jest.spyOn(console, 'warn').mockImplementation((line: unknown) => void printed.push(String(line)));
    try {
      const handler = await loadHandler<(event: SQSEvent, context: unknown) => Promise<unknown>>('deliver');
      const event = sqsEvent(
        [toqio, onepipe].map((delivery) => ({ deliveryId: delivery.deliveryId })),
        stack.queues.deliveries.arn,
      );
      await handler(event, lambdaContext('deliver', 15));
    } finally {
      log.mockRestore();
      warn.mockRestore();
    }
    expect(printed.join('\n')).not.toContain('has already been added');
    const emf = printed
      .filter((line) => line.includes('"_aws"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const delivered = emf.filter((entry) => 'webhook_delivered' in entry);
    expect(delivered.map((entry) => entry.target).sort()).toEqual(['onepipe', 'toqio']);
    const latency = emf.filter((entry) => 'webhook_latency' in entry);
    expect(latency.map((entry) => entry.target).sort()).toEqual(['onepipe', 'toqio']);
    const item = await db.send(
      new GetCommand({ TableName: stack.tables.deliveries, Key: { deliveryId: onepipe.deliveryId } }),
    );
    expect(item.Item?.status).toBe('DELIVERED');
  });
});
