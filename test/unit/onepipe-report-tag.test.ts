import type { NormalisedTransaction } from '../../functions/domain/decisions/transaction.js';
import { debitNotification, isOurRequestRef, onepipeSignature } from '../../functions/domain/onepipe/messages.js';
import type { Delivery } from '../../functions/domain/webhooks/delivery.js';
import { buildRequest } from '../../functions/domain/webhooks/targets.js';

const OUTBOUND_SECRET = 'outbound-client-secret-0001';

/** A report as validate or a case decision queues it: without the outbound secret, which they do not hold. */
const queuedReport = (): Delivery => {
  const payload = debitNotification(
    {
      id: 'tx-ngn-1',
      amount: 1500,
      currency: 'NGN',
      customer: 'cust-1',
      concept: 'Rent',
      destination: { name: 'Ada', accountNumber: '0123456789' },
    } as unknown as NormalisedTransaction,
    { providerName: 'TmProxy', mockMode: 'live', currency: 'NGN' },
  );
  return {
    deliveryId: 'dlv-onepipe-1',
    target: 'onepipe',
    type: 'transaction_notification',
    subject: 'tx-ngn-1',
    payload: JSON.stringify(payload),
    status: 'QUEUED',
    attempts: [],
    attemptCount: 0,
    roundStart: 0,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    dueAt: '2026-01-01T00:00:00.000Z',
  } as Delivery;
};

const settings = {
  toqio: { baseUrl: 'https://toqio.example', apiKeyHeader: 'x-api-key', apiKey: 'k' },
  onepipe: { listenerUrl: 'https://onepipe.example/listener', apiKey: 'outbound-key', clientSecret: OUTBOUND_SECRET },
};

describe('a OnePipe debit report queued by a function without the outbound secret', () => {
  it('leaves the deliver function tagged as ours, signed over the tagged request_ref', () => {
    const delivery = queuedReport();
    const queuedRef = (JSON.parse(delivery.payload) as { request_ref: string }).request_ref;
    expect(isOurRequestRef(queuedRef, OUTBOUND_SECRET)).toBe(false);

    const request = buildRequest(delivery, settings, new Date());
    const sent = JSON.parse(request.body) as { request_ref: string; transaction: { transaction_ref: string } };
    expect(isOurRequestRef(sent.request_ref, OUTBOUND_SECRET)).toBe(true);
    expect(sent.request_ref.slice(0, 24)).toBe(queuedRef.slice(0, 24));
    expect(sent.transaction.transaction_ref).toBe('tx-ngn-1');
    expect(request.headers.signature).toBe(onepipeSignature(sent.request_ref, OUTBOUND_SECRET));
  });

  it('carries the same request_ref on every attempt', () => {
    const delivery = queuedReport();
    const first = JSON.parse(buildRequest(delivery, settings, new Date()).body).request_ref;
    const second = JSON.parse(buildRequest(delivery, settings, new Date(Date.now() + 60_000)).body).request_ref;
    expect(second).toBe(first);
  });
});
