import { randomUUID } from 'node:crypto';
import { signProviderWebhook } from '../../functions/domain/providers/webhook.js';
import type { LocalStack } from '../../local/stack.js';
import { startFakeProvider } from '../fixtures/fake-provider.js';
import { flagrightRequest } from '../fixtures/flagright-webhooks.js';
import { eventually } from '../fixtures/receiver.js';
import { aTransaction as seedTransaction } from '../fixtures/transactions.js';
import { startTestStack, validate } from './stack.js';

// biome-ignore lint/suspicious/noExplicitAny: tests read API answers loosely and assert on them.
type Json = Record<string, any>;

const aTransaction = (changes: Json = {}) => seedTransaction({ customer: `customer-${randomUUID()}`, ...changes });
const WEBHOOK_SECRET = 'provider-webhook-secret-for-tests-01';
const FLAGRIGHT_SECRET = 'flagright-endpoint-secret-0001';
const ANA = 'Bearer local-analyst-token-0001';
let stack: LocalStack;
let acme: Awaited<ReturnType<typeof startFakeProvider>>;

beforeAll(async () => {
  acme = await startFakeProvider();
  Object.assign(process.env, {
    TM_PROVIDER: 'http',
    TM_PROVIDER_MODE: 'primary',
    PROVIDER_WEBHOOK_SECRET: WEBHOOK_SECRET,
    FLAGRIGHT_WEBHOOK_SECRET: FLAGRIGHT_SECRET,
    HTTP_PROVIDER_CONFIG: JSON.stringify({
      name: 'acme',
      url: `${acme.url}/v1/screen`,
      auth: { type: 'apiKey', header: 'x-api-key', key: 'acme-key-0001' },
      request: { transactionId: 'tx.id' },
      response: { statusPath: 'decision', statusMap: { pass: 'APPROVED', review: 'PENDING', fail: 'REJECTED' } },
    }),
  });
  stack = await startTestStack();
});
afterAll(async () => {
  await stack.stop();
  await acme.close();
  for (const name of [
    'TM_PROVIDER',
    'TM_PROVIDER_MODE',
    'PROVIDER_WEBHOOK_SECRET',
    'FLAGRIGHT_WEBHOOK_SECRET',
    'HTTP_PROVIDER_CONFIG',
  ]) {
    delete process.env[name];
  }
});

const view = async (id: string): Promise<Json> =>
  (
    await fetch(`${stack.adminUrl}/api/cases/${encodeURIComponent(id)}`, { headers: { authorization: ANA } })
  ).json() as Promise<Json>;

const webhook = async (body: Json, options: { timestamp?: number; header?: string } = {}) => {
  const raw = JSON.stringify(body);
  const header =
    options.header ?? signProviderWebhook(WEBHOOK_SECRET, options.timestamp ?? Math.floor(Date.now() / 1000), raw);
  const response = await fetch(`${stack.apiUrl}/providers/acme/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-tm-proxy-signature': header },
    body: raw,
  });
  return { status: response.status, body: (await response.json()) as Json };
};

const pending = async () => {
  const payment = aTransaction();
  acme.script(String(payment.id), { body: { decision: 'review' } });
  expect((await validate(stack.apiUrl, payment)).body.status).toBe('PENDING_EXTERNAL_APPROVAL');
  return String(payment.id);
};

describe('POST /providers/{name}/webhook in the generic signed format (TM_PROVIDER=http)', () => {
  it('resolves a pending case like an analyst decision, once, and refuses a replay', async () => {
    const id = await pending();
    const body = { transactionId: id, status: 'pass', reference: 'acme-123' };
    const timestamp = Math.floor(Date.now() / 1000);
    const first = await webhook(body, { timestamp });
    expect(first).toEqual({ status: 200, body: { transactionId: id, result: 'DECIDED', status: 'APPROVED' } });
    const replay = await webhook(body, { timestamp });
    expect(replay.status).toBe(409);
    const resent = await webhook(body, { timestamp: timestamp + 1 });
    expect(resent.body).toMatchObject({ result: 'already decided' });
    const decided = await view(id);
    expect(decided).toMatchObject({ caseStatus: 'APPROVED', decidedBy: 'provider:acme' });
    await eventually(
      async () =>
        stack.toqioWebhooks.some(
          (w) => (w.body as Json).transactionId === id && (w.body as Json).status === 'APPROVED',
        ),
      'the Toqio webhook',
    );
  });

  it('refuses bad and stale signatures, unknown providers, unknown verdicts and a closed case decided the other way', async () => {
    const id = await pending();
    expect((await webhook({ transactionId: id, status: 'fail' }, { header: 't=1,v1=deadbeef' })).status).toBe(401);
    expect(
      (await webhook({ transactionId: id, status: 'fail' }, { timestamp: Math.floor(Date.now() / 1000) - 3600 }))
        .status,
    ).toBe(401);
    expect((await webhook({ transactionId: id, status: 'MAYBE' })).status).toBe(409);
    expect((await webhook({ transactionId: id, status: '__proto__' })).status).toBe(409);
    expect((await webhook({ transactionId: `missing-${randomUUID()}`, status: 'fail' })).status).toBe(404);
    const other = await fetch(`${stack.apiUrl}/providers/flagright/webhook`, { method: 'POST', body: '{}' });
    expect(other.status).toBe(404);
    expect((await view(id)).caseStatus).toBe('PENDING');
    expect((await webhook({ transactionId: id, status: 'fail' })).body).toMatchObject({ status: 'REJECTED' });
    expect((await webhook({ transactionId: id, status: 'pass' })).status).toBe(409);
    expect((await view(id)).caseStatus).toBe('REJECTED');
  });

  it("refuses Flagright's format: the generic format stays the http provider's", async () => {
    const id = await pending();
    const event = { id: randomUUID(), type: 'TRANSACTION_STATUS_UPDATED', createdTimestamp: Date.now() };
    const request = flagrightRequest(
      { ...event, triggeredBy: 'MANUAL', data: { transactionId: id, reasons: [], status: 'BLOCK' } },
      [FLAGRIGHT_SECRET],
    );
    const response = await fetch(`${stack.apiUrl}/providers/acme/webhook`, { method: 'POST', ...request });
    expect(response.status).toBe(401);
    expect((await view(id)).caseStatus).toBe('PENDING');
  });

  it('notes a review verdict without deciding', async () => {
    const id = await pending();
    expect((await webhook({ transactionId: id, status: 'review', reason: 'needs EDD' })).status).toBe(202);
    const current = await view(id);
    expect(current.caseStatus).toBe('PENDING');
    expect(current.notes).toEqual([expect.objectContaining({ by: 'provider:acme', text: 'needs EDD' })]);
  });
});
