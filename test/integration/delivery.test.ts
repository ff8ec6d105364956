import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { deliveryRepository } from '../../functions/adapters/delivery-repository.js';
import { type Delivery, heldUntil, newDelivery } from '../../functions/domain/webhooks/delivery.js';
import { localSqsClient } from '../../local/sqs.js';
import type { LocalStack } from '../../local/stack.js';
import { eventually, startReceiver } from '../fixtures/receiver.js';
import { startTestStack, TOQIO_KEY, testDocumentClient } from './stack.js';

const db = testDocumentClient();
const sqs = localSqsClient(String(process.env.TEST_SQS_ENDPOINT));
let stack: LocalStack;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let repo: ReturnType<typeof deliveryRepository>;

const SUPERVISOR = 'Bearer local-supervisor-token-0001';
const ANALYST = 'Bearer local-analyst-token-0001';

beforeAll(async () => {
  receiver = await startReceiver();
  process.env.TOQIO_WEBHOOK_BASE_URL = receiver.url;
  process.env.DELIVERY_RETRY_DELAYS = '1,1,2';
  process.env.DELIVERY_TIMEOUT_MS = '800';
  process.env.SWEEPER_STALE_AFTER_SECONDS = '1';
  stack = await startTestStack();
  repo = deliveryRepository(db, stack.tables.deliveries);
});
afterAll(async () => {
  await stack.stop();
  await receiver.close();
  db.destroy();
  sqs.destroy();
  for (const name of [
    'TOQIO_WEBHOOK_BASE_URL',
    'DELIVERY_RETRY_DELAYS',
    'DELIVERY_TIMEOUT_MS',
    'SWEEPER_STALE_AFTER_SECONDS',
  ]) {
    delete process.env[name];
  }
});

/**
 * Writes a delivery the way business code does (record in a transaction): the table's stream
 * queues it. With `publish: false` the stream's record is lost (the pipe was down for longer than
 * the stream keeps records), so no message ever comes for it.
 */
const enqueue = async (type: string, options: { publish?: boolean; paused?: boolean } = {}): Promise<Delivery> => {
  const delivery = newDelivery({
    target: 'toqio',
    type,
    subject: `tx-${type}`,
    payload: { transactionId: `tx-${type}`, status: 'APPROVED' },
    now: new Date(),
  });
  const stream = stack.outboxStream;
  if (!stream) throw new Error('the stack runs no outbox stream');
  if (options.paused) {
    // The caller holds the stream paused and resumes it itself.
    await db.send(new TransactWriteCommand({ TransactItems: [repo.outboxItem(delivery)] }));
    return delivery;
  }
  if (options.publish === false) await stream.pause();
  await db.send(new TransactWriteCommand({ TransactItems: [repo.outboxItem(delivery)] }));
  if (options.publish === false) await stream.resume({ dropPending: true });
  return delivery;
};

const settled = (deliveryId: string, status: Delivery['status']) =>
  eventually(async () => {
    const delivery = await repo.get(deliveryId);
    return delivery?.status === status ? delivery : undefined;
  }, `delivery ${deliveryId} to be ${status}`);

const dlqDeliveryIds = async () => {
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    const result = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: stack.queues.deliveries.dlqUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
      }),
    );
    for (const message of result.Messages ?? []) ids.push(JSON.parse(message.Body ?? '{}').deliveryId);
    if (!result.Messages?.length) break;
  }
  return ids;
};

const queueDrained = () =>
  eventually(async () => {
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: stack.queues.deliveries.url,
        AttributeNames: [
          'ApproximateNumberOfMessages',
          'ApproximateNumberOfMessagesNotVisible',
          'ApproximateNumberOfMessagesDelayed',
        ],
      }),
    );
    return Object.values(Attributes ?? {}).every((value) => value === '0');
  }, 'the deliveries queue to drain');

const admin = (path: string, init: RequestInit & { token?: string } = {}) =>
  fetch(`${stack.adminUrl}${path}`, {
    ...init,
    headers: { 'content-type': 'application/json', ...(init.token ? { authorization: init.token } : {}) },
  });

describe('delivery engine', () => {
  it('retries a failing receiver with backoff and delivers on attempt N+1 with one webhook-id', async () => {
    receiver.plan('FAIL_TWICE', { fail: 2, failStatus: 503 });
    const created = await enqueue('FAIL_TWICE');
    const delivered = await settled(created.deliveryId, 'DELIVERED');

    expect(delivered.attempts.map((attempt) => [attempt.number, attempt.outcome, attempt.httpStatus])).toEqual([
      [1, 'retry', 503],
      [2, 'retry', 503],
      [3, 'delivered', 200],
    ]);
    const requests = receiver.requestsFor('FAIL_TWICE');
    expect(requests).toHaveLength(3);
    expect(new Set(requests.map((request) => request.headers['webhook-id']))).toEqual(new Set([created.deliveryId]));
    for (const request of requests) {
      expect(request.headers['x-api-key']).toBe(TOQIO_KEY);
      expect(request.body).toEqual({ transactionId: 'tx-FAIL_TWICE', status: 'APPROVED' });
    }
    // Backoff: each retry waited for its scheduled delay (1 s, jittered by at most 20 %, rounded).
    const gaps = requests.slice(1).map((request, index) => request.at - (requests[index]?.at ?? 0));
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(700);
  });

  it('sends a refused (4xx) delivery to DEAD and the DLQ without retrying', async () => {
    receiver.plan('GONE', { always: 410 });
    const created = await enqueue('GONE');
    const dead = await settled(created.deliveryId, 'DEAD');
    expect(dead.attempts).toHaveLength(1);
    expect(dead.deadReason).toMatch(/410/);
    expect(receiver.requestsFor('GONE')).toHaveLength(1);
    expect(await eventually(async () => (await dlqDeliveryIds()).includes(created.deliveryId), 'the DLQ message')).toBe(
      true,
    );
  });

  it('honours Retry-After on a 429', async () => {
    receiver.plan('SLOW_DOWN', { fail: 1, failStatus: 429, retryAfter: '2' });
    const created = await enqueue('SLOW_DOWN');
    const delivered = await settled(created.deliveryId, 'DELIVERED');
    const [first, second] = receiver.requestsFor('SLOW_DOWN').map((request) => request.at);
    expect(delivered.attempts.map((attempt) => attempt.httpStatus)).toEqual([429, 200]);
    expect((second ?? 0) - (first ?? 0)).toBeGreaterThanOrEqual(1900);
  });

  it('counts a timeout as a failed attempt and retries it', async () => {
    receiver.plan('TIMEOUT_ONCE', { slowAttempts: [1], delayMs: 2000 });
    const created = await enqueue('TIMEOUT_ONCE');
    const delivered = await settled(created.deliveryId, 'DELIVERED');
    expect(delivered.attempts[0]).toMatchObject({ outcome: 'retry', error: 'timeout after 800 ms' });
    expect(delivered.attempts[1]).toMatchObject({ outcome: 'delivered', httpStatus: 200 });
  });

  it('gives up after the last scheduled attempt: DEAD and in the DLQ', async () => {
    receiver.plan('ALWAYS_DOWN', { always: 503 });
    const created = await enqueue('ALWAYS_DOWN');
    const dead = await settled(created.deliveryId, 'DEAD');
    expect(dead.attempts).toHaveLength(4); // the first attempt and one per delay in 1,1,2
    expect(dead.deadReason).toMatch(/no attempts left after 4/);
    expect(await eventually(async () => (await dlqDeliveryIds()).includes(created.deliveryId), 'the DLQ message')).toBe(
      true,
    );
  });

  it('sends nothing when SQS redelivers a message for a delivered webhook', async () => {
    const created = await enqueue('ONCE');
    await settled(created.deliveryId, 'DELIVERED');
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: stack.queues.deliveries.url,
        MessageBody: JSON.stringify({ deliveryId: created.deliveryId }),
      }),
    );
    await queueDrained();
    expect(receiver.requestsFor('ONCE')).toHaveLength(1);
  });

  it('sends once when several copies of a message arrive at the same time', async () => {
    receiver.plan('COPIES', { slowAttempts: [1], delayMs: 300 });
    const created = await enqueue('COPIES', { publish: false });
    const body = JSON.stringify({ deliveryId: created.deliveryId });
    await Promise.all(
      Array.from({ length: 5 }, () =>
        sqs.send(new SendMessageCommand({ QueueUrl: stack.queues.deliveries.url, MessageBody: body })),
      ),
    );
    await settled(created.deliveryId, 'DELIVERED');
    await queueDrained();
    expect(receiver.requestsFor('COPIES')).toHaveLength(1);
  });

  it('holds a delivery until its first attempt is due, though the stream publishes it at once', async () => {
    const held = heldUntil(
      newDelivery({
        target: 'toqio',
        type: 'HELD',
        subject: 'tx-HELD',
        payload: { transactionId: 'tx-HELD', status: 'APPROVED' },
        now: new Date(),
      }),
      new Date(Date.now() + 7000),
    );
    await db.send(new TransactWriteCommand({ TransactItems: [repo.outboxItem(held)] }));
    // The stream's message came at once and was sent back until due.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(receiver.requestsFor('HELD')).toHaveLength(0);
    expect((await repo.get(held.deliveryId))?.status).toBe('QUEUED');
    const delivered = await settled(held.deliveryId, 'DELIVERED');
    expect(Date.parse(String(delivered.deliveredAt))).toBeGreaterThanOrEqual(
      Date.parse(String(held.nextAttemptAt)) - 1000,
    );
    expect(receiver.requestsFor('HELD')).toHaveLength(1);
  });

  it('loses nothing when the process stops between the commit and the queue: the stream still holds the record', async () => {
    const stream = stack.outboxStream;
    if (!stream) throw new Error('the stack runs no outbox stream');
    // The pipe (here its local stand-in) is not running when the record is committed ...
    await stream.pause();
    const created = await enqueue('AFTER_RESTART', { publish: false, paused: true });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await repo.get(created.deliveryId))?.status).toBe('QUEUED');
    // ... and picks it up from the stream when it runs again: delivered once, no sweeper involved.
    await stream.resume();
    const delivered = await settled(created.deliveryId, 'DELIVERED');
    expect(delivered.attempts).toHaveLength(1);
    expect(receiver.requestsFor('AFTER_RESTART')).toHaveLength(1);
  });

  it('recovers a delivery whose message was never sent (crash after the write) with the sweeper', async () => {
    const created = await enqueue('CRASHED', { publish: false });
    await eventually(async () => Date.now() > Date.parse(created.createdAt) + 1100, 'the record to become stale');
    expect(await stack.runScheduled('sweeper')).toMatchObject({ requeued: expect.any(Number) });
    const delivered = await settled(created.deliveryId, 'DELIVERED');
    expect(delivered.attempts).toHaveLength(1);
  });
});

describe('admin API for deliveries', () => {
  it('refuses callers without a valid token (401) and analysts on supervisor actions (403)', async () => {
    expect((await admin('/api/deliveries')).status).toBe(401);
    expect((await admin('/api/deliveries', { token: 'Bearer nope' })).status).toBe(401);
    const forbidden = await admin('/api/deliveries/retry-dead', {
      method: 'POST',
      token: ANALYST,
      body: JSON.stringify({ since: new Date(0).toISOString() }),
    });
    expect(forbidden.status).toBe(403);
    expect(await forbidden.json()).toEqual({
      error: { code: 'FORBIDDEN', message: expect.stringContaining('supervisor') },
    });
  });

  it('lists deliveries by status and shows one with every attempt', async () => {
    receiver.plan('LISTED', { always: 400 });
    const created = await enqueue('LISTED');
    await settled(created.deliveryId, 'DEAD');
    const list = await admin('/api/deliveries?status=DEAD', { token: ANALYST });
    expect(list.status).toBe(200);
    const page = (await list.json()) as { items: Delivery[]; nextCursor: string | null };
    expect(page.items.map((item) => item.deliveryId)).toContain(created.deliveryId);
    const one = await admin(`/api/deliveries/${created.deliveryId}`, { token: ANALYST });
    expect(await one.json()).toMatchObject({
      deliveryId: created.deliveryId,
      status: 'DEAD',
      attempts: [{ httpStatus: 400 }],
    });
    expect((await admin('/api/deliveries/dlv_missing', { token: ANALYST })).status).toBe(404);
    expect((await admin('/api/deliveries?status=LOST', { token: ANALYST })).status).toBe(400);
  });

  it('retries one dead delivery and refuses to retry a delivered one', async () => {
    receiver.plan('RETRY_ONE', { fail: 1, failStatus: 404 });
    const created = await enqueue('RETRY_ONE');
    await settled(created.deliveryId, 'DEAD');
    const retried = await admin(`/api/deliveries/${created.deliveryId}/retry`, { method: 'POST', token: SUPERVISOR });
    expect(retried.status).toBe(202);
    const delivered = await settled(created.deliveryId, 'DELIVERED');
    expect(delivered.attempts.map((attempt) => attempt.outcome)).toEqual(['dead', 'delivered']);
    const again = await admin(`/api/deliveries/${created.deliveryId}/retry`, { method: 'POST', token: SUPERVISOR });
    expect(again.status).toBe(409);
  });

  it('bulk-retries every delivery that went dead since a time', async () => {
    receiver.plan('BULK', { fail: 2, failStatus: 422 });
    const since = new Date().toISOString();
    const first = await enqueue('BULK');
    const second = await enqueue('BULK');
    await settled(first.deliveryId, 'DEAD');
    await settled(second.deliveryId, 'DEAD');
    const response = await admin('/api/deliveries/retry-dead', {
      method: 'POST',
      token: SUPERVISOR,
      body: JSON.stringify({ since }),
    });
    expect(response.status).toBe(202);
    const result = (await response.json()) as { retried: number; deliveryIds: string[] };
    expect(result.deliveryIds).toEqual(expect.arrayContaining([first.deliveryId, second.deliveryId]));
    await settled(first.deliveryId, 'DELIVERED');
    await settled(second.deliveryId, 'DELIVERED');
    const bad = await admin('/api/deliveries/retry-dead', {
      method: 'POST',
      token: SUPERVISOR,
      body: '{"since":"yesterday"}',
    });
    expect(bad.status).toBe(400);
  });
});
