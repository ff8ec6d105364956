import type { SQSClient } from '@aws-sdk/client-sqs';
import { createSqs, type Sqs } from '#adapters/aws-clients.js';
import { degradedAnswerQueue } from '#adapters/degraded-answer-queue.js';
import type { DegradedAnswerMessage } from '#domain/decisions/degraded-reconciliation.js';
import { type HandlerResources, handlerResources } from './resources.js';

/**
 * The SQS client the functions load on first use (adapters/aws-clients.ts), on fauxqs: created
 * once however many first calls race, created again after a failed creation, closed even when the
 * function stops while it is still being created; and the degraded-answer queue's deadline, which
 * starts once the client is ready, so loading it never costs a reconciliation.
 */
let resources: HandlerResources;
let settings: { region: string; sqsEndpoint: string };

beforeAll(async () => {
  resources = await handlerResources();
  settings = { region: 'us-east-1', sqsEndpoint: String(process.env.TEST_SQS_ENDPOINT) };
});
afterAll(() => resources.destroy());

const reconciliation = (transactionId: string): DegradedAnswerMessage => ({
  transactionId,
  attemptId: `attempt-${transactionId}`,
  writeAttempted: true,
  deliveryIds: [],
  answeredAt: new Date().toISOString(),
});

it('two first sends at the same moment create (and trace-wrap) one client, and both messages arrive', async () => {
  const created: SQSClient[] = [];
  const sqs = createSqs(settings, (client) => {
    created.push(client);
    return client;
  });
  const queue = degradedAnswerQueue(sqs, resources.queues.degradedAnswers.url);
  await Promise.all([queue.send(reconciliation('lazy-race-1'), 5000), queue.send(reconciliation('lazy-race-2'), 5000)]);
  expect(created).toHaveLength(1);
  const received = [...(await resources.receive('degradedAnswers')), ...(await resources.receive('degradedAnswers'))];
  expect(received.map((message) => message.transactionId).sort()).toEqual(['lazy-race-1', 'lazy-race-2']);
  sqs.destroy();
});

it('a client whose creation failed is created again on the next use, which sends', async () => {
  let attempts = 0;
  const sqs = createSqs(settings, (client) => {
    attempts += 1;
    if (attempts === 1) throw new Error('creation failed once');
    return client;
  });
  const queue = degradedAnswerQueue(sqs, resources.queues.degradedAnswers.url);
  await expect(queue.send(reconciliation('lazy-retry'), 5000)).rejects.toThrow('creation failed once');
  await queue.send(reconciliation('lazy-retry'), 5000);
  expect(attempts).toBe(2);
  expect((await resources.receive('degradedAnswers')).map((message) => message.transactionId)).toEqual(['lazy-retry']);
  sqs.destroy();
});

it('destroy() while the client is still being created closes it as soon as it exists', async () => {
  const closed: string[] = [];
  const sqs = createSqs(settings, (client) => {
    const destroy = client.destroy.bind(client);
    client.destroy = () => {
      closed.push('closed');
      destroy();
    };
    return client;
  });
  const first = sqs.with(async (client) => client);
  sqs.destroy();
  await first;
  await new Promise((resolve) => setImmediate(resolve));
  expect(closed).toEqual(['closed']);
});

it("the degraded answer's deadline starts once the client is ready: a slow first load still queues the reconciliation", async () => {
  const real = createSqs(settings);
  // The module's load and the client's creation taking 150 ms, three times the send's deadline.
  const slowFirstLoad: Sqs = {
    async with(use) {
      await new Promise((resolve) => setTimeout(resolve, 150));
      return real.with(use);
    },
    destroy: () => real.destroy(),
  };
  await degradedAnswerQueue(slowFirstLoad, resources.queues.degradedAnswers.url).send(
    reconciliation('lazy-slow-load'),
    50,
  );
  expect((await resources.receive('degradedAnswers')).map((message) => message.transactionId)).toEqual([
    'lazy-slow-load',
  ]);
  // The deadline still bounds the send itself: one that cannot finish within it is refused.
  await expect(
    degradedAnswerQueue(real, resources.queues.degradedAnswers.url).send(reconciliation('lazy-too-late'), 0),
  ).rejects.toThrow();
  real.destroy();
});
