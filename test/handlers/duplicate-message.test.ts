import { deliveryRepository } from '#adapters/delivery-repository.js';
import { type DeliveryMessage, newDelivery } from '#domain/webhooks/delivery.js';
import { type DeliverDeps, deliverWebhook } from '#domain/webhooks/send-attempt.js';
import { type HandlerResources, handlerResources } from '../handlers/resources.js';

let resources: HandlerResources;
beforeAll(async () => {
  resources = await handlerResources();
});
afterAll(async () => {
  await resources.destroy();
});

/**
 * A duplicate queue message (the pipe is at-least-once; the sweeper also sends) for a record already
 * tried is dropped, not sent back: only a held first attempt is sent back until due (otherwise every
 * copy of a message would survive every retry round of a failing partner). Found by an audit.
 */
test('drops a duplicate message for a delivery already tried instead of sending it back every round', async () => {
  const store = deliveryRepository(resources.documentClient, resources.tables.deliveries);
  const t0 = new Date();
  const delivery = newDelivery({ target: 'toqio', type: 'T', subject: 'tx-dup', payload: {}, now: t0 });
  await resources.put('deliveries', { ...delivery });

  const sent: { message: DeliveryMessage; delaySeconds: number; at: number }[] = [];
  let clock = t0.getTime();
  let attempts = 0;
  const deps: DeliverDeps = {
    store,
    queue: {
      send: async (message, delaySeconds) => {
        sent.push({ message, delaySeconds, at: clock });
      },
      sendToDeadLetter: async () => undefined,
    },
    sender: {
      send: async () => {
        attempts++;
        return { kind: 'response', status: 503, latencyMs: 1 };
      },
    },
    settings: { toqio: { baseUrl: 'http://127.0.0.1:9', apiKeyHeader: 'x-api-key', apiKey: 'k' } },
    retryDelays: [30, 120, 600, 1800],
    timeoutMs: 1000,
    now: () => new Date(clock),
    random: () => 0.5,
    newLeaseToken: () => crypto.randomUUID(),
  };
  const msg = { deliveryId: delivery.deliveryId };

  // Round 0: the pipe's message and a duplicate of it (at-least-once), handled one after the other.
  let inFlight = [msg, msg];
  const kinds: string[][] = [];
  for (let round = 0; round < 3; round++) {
    const results: string[] = [];
    const next: DeliveryMessage[] = [];
    for (const m of inFlight) {
      const before = sent.length;
      results.push((await deliverWebhook(m, deps)).kind);
      next.push(...sent.slice(before).map((s) => s.message));
    }
    kinds.push(results);
    inFlight = next;
    // Jump to when the delayed messages are due.
    const maxDelay = Math.max(...sent.slice(-next.length).map((s) => s.delaySeconds));
    clock += (maxDelay + 1) * 1000;
  }

  // One message per round: the retry's own; the copy was dropped.
  expect(kinds).toEqual([['attempted', 'skipped'], ['attempted'], ['attempted']]);
  expect(attempts).toBe(3);
});
