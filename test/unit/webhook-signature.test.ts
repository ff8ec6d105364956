import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import type { Delivery } from '../../functions/domain/webhooks/delivery.js';
import { buildRequest, type TargetSettings } from '../../functions/domain/webhooks/targets.js';

const delivery = (payload: string): Delivery => ({
  deliveryId: 'dlv-0001',
  target: 'toqio',
  type: 'TRANSACTION_MONITORING_STATUS_UPDATED',
  subject: 'tx-1',
  payload,
  status: 'QUEUED',
  attempts: [],
  attemptCount: 0,
  roundStart: 0,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  dueAt: '2026-01-01T00:00:00.000Z',
});

const settings = (signingSecret?: string): TargetSettings => ({
  toqio: { baseUrl: 'https://toqio.example', apiKeyHeader: 'x-api-key', apiKey: 'k' },
  signingSecret,
});

describe('the Standard Webhooks signature of outbound webhooks', () => {
  it.each([
    ['an ASCII secret', 'a-generated-secret-of-32-chars-xx'],
    ['a secret with non-ASCII characters', 'clé-secrète-ünïcode-🔑-0123456789'],
  ])(
    'verifies with the standardwebhooks package and equals HMAC-SHA256 over id.timestamp.body, with %s',
    (_, secret) => {
      const body = JSON.stringify({ transactionId: 'tx-1', status: 'APPROVED', reason: 'née 5 €' });
      const now = new Date();
      const request = buildRequest(delivery(body), settings(secret), now);

      const receiver = new Webhook(new TextEncoder().encode(secret), { format: 'raw' });
      expect(receiver.verify(request.body, request.headers)).toEqual(JSON.parse(body));
      const timestamp = Math.floor(now.getTime() / 1000);
      const hmac = createHmac('sha256', secret).update(`dlv-0001.${timestamp}.${body}`).digest('base64');
      expect(request.headers).toMatchObject({
        'webhook-id': 'dlv-0001',
        'webhook-timestamp': String(timestamp),
        'webhook-signature': `v1,${hmac}`,
      });
    },
  );

  it('refuses a changed body and sends no signature without a secret', () => {
    const request = buildRequest(delivery('{"a":1}'), settings('a-generated-secret-of-32-chars-xx'), new Date());
    const receiver = new Webhook(new TextEncoder().encode('a-generated-secret-of-32-chars-xx'), { format: 'raw' });
    expect(() => receiver.verify('{"a":2}', request.headers)).toThrow('No matching signature found');
    expect(buildRequest(delivery('{}'), settings(), new Date()).headers['webhook-signature']).toBeUndefined();
  });
});
