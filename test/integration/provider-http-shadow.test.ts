import { createHmac, randomUUID } from 'node:crypto';
import { signProviderWebhook } from '../../functions/domain/providers/webhook.js';
import type { LocalStack } from '../../local/stack.js';
import { startFakeProvider } from '../fixtures/fake-provider.js';
import { aTransaction as seedTransaction } from '../fixtures/transactions.js';
import { startTestStack, validate } from './stack.js';

// biome-ignore lint/suspicious/noExplicitAny: tests read API answers loosely and assert on them.
type Json = Record<string, any>;

const HMAC_SECRET = 'hmac-secret-for-the-fake-provider';
const WEBHOOK_SECRET = 'provider-webhook-secret-for-shadow-mode';
const aTransaction = (changes: Json = {}) => seedTransaction({ customer: `customer-${randomUUID()}`, ...changes });
let stack: LocalStack;
let acme: Awaited<ReturnType<typeof startFakeProvider>>;

beforeAll(async () => {
  acme = await startFakeProvider();
  Object.assign(process.env, {
    TM_PROVIDER: 'http',
    TM_PROVIDER_MODE: 'shadow',
    PROVIDER_WEBHOOK_SECRET: WEBHOOK_SECRET,
    HTTP_PROVIDER_CONFIG: JSON.stringify({
      name: 'acme',
      url: `${acme.url}/v1/screen`,
      auth: { type: 'hmac', header: 'x-acme-signature', secret: HMAC_SECRET },
      request: {
        transactionId: 'tx.id',
        'amount.value': 'tx.baseAmount',
        'amount.currency': 'tx.currency',
        'payee.name': 'tx.destination.name',
        channel: '=toqio',
      },
      response: {
        statusPath: 'decision',
        statusMap: { pass: 'APPROVED', review: 'PENDING', fail: 'REJECTED' },
        referencePath: 'caseRef',
        reasonsPath: 'alerts',
      },
    }),
  });
  stack = await startTestStack();
});
afterAll(async () => {
  await stack.stop();
  await acme.close();
  for (const name of ['TM_PROVIDER', 'TM_PROVIDER_MODE', 'HTTP_PROVIDER_CONFIG', 'PROVIDER_WEBHOOK_SECRET']) {
    delete process.env[name];
  }
});

describe('a generic HTTP provider in shadow mode', () => {
  it('signs the mapped request with HMAC, lets the rules decide and records the provider', async () => {
    const agrees = aTransaction();
    const disagrees = aTransaction();
    acme.script(String(agrees.id), { body: { decision: 'pass', caseRef: 'c-1' } });
    acme.script(String(disagrees.id), { body: { decision: 'fail', caseRef: 'c-2', alerts: ['Adverse media'] } });
    const since = new Date(Date.now() - 1000).toISOString();

    expect((await validate(stack.apiUrl, agrees)).body.status).toBe('APPROVED');
    const shadowed = await validate(stack.apiUrl, disagrees);
    expect(shadowed.body).toEqual({ status: 'APPROVED', transactionId: disagrees.id, reasons: [] });

    const [request] = acme.requests.filter((r) => r.body.transactionId === disagrees.id);
    expect(request?.path).toBe('/v1/screen');
    expect(request?.body).toEqual({
      transactionId: disagrees.id,
      amount: { value: 250.75, currency: 'USD' },
      payee: { name: 'Business Account' },
      channel: 'toqio',
    });
    expect(request?.headers['x-acme-signature']).toBe(
      createHmac('sha256', HMAC_SECRET)
        .update(request?.raw ?? '')
        .digest('hex'),
    );

    const report = (await (
      await fetch(`${stack.adminUrl}/api/providers/report?since=${encodeURIComponent(since)}`, {
        headers: { authorization: 'Bearer local-analyst-token-0001' },
      })
    ).json()) as Json;
    expect(report).toMatchObject({
      provider: 'acme',
      mode: 'shadow',
      total: 2,
      answered: 2,
      agreed: 1,
      agreementRate: 0.5,
    });
    expect(report.disagreements).toEqual([
      expect.objectContaining({ transactionId: disagrees.id, rulesStatus: 'APPROVED', providerStatus: 'REJECTED' }),
    ]);
  });

  it("records the provider's webhooks but lets them change nothing", async () => {
    const held = aTransaction({ baseTotal: 20_000, total: 20_000 });
    acme.script(String(held.id), { body: { decision: 'pass' } });
    expect((await validate(stack.apiUrl, held)).body.status).toBe('PENDING_EXTERNAL_APPROVAL');
    for (const status of ['pass', 'fail']) {
      const raw = JSON.stringify({ transactionId: held.id, status });
      const response = await fetch(`${stack.apiUrl}/providers/acme/webhook`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-tm-proxy-signature': signProviderWebhook(WEBHOOK_SECRET, Math.floor(Date.now() / 1000), raw),
        },
        body: raw,
      });
      expect(response.status).toBe(202);
      expect(await response.json()).toMatchObject({ result: 'recorded' });
    }
    const view = (await (
      await fetch(`${stack.adminUrl}/api/cases/${String(held.id)}`, {
        headers: { authorization: 'Bearer local-analyst-token-0001' },
      })
    ).json()) as Json;
    expect(view).toMatchObject({ caseStatus: 'PENDING', decidedBy: null });
    expect(view.history.map((entry: Json) => entry.action)).toEqual([
      'CREATED',
      'PROVIDER_VERDICT',
      'PROVIDER_VERDICT',
    ]);
    expect((await validate(stack.apiUrl, held)).body.status).toBe('PENDING_EXTERNAL_APPROVAL');
  });

  it('never sends a retried validate call to the provider again', async () => {
    const payment = aTransaction();
    acme.script(String(payment.id), { body: { decision: 'pass' } });
    const sent = () => acme.requests.filter((request) => request.body.transactionId === payment.id).length;
    expect((await validate(stack.apiUrl, payment)).body.status).toBe('APPROVED');
    expect(sent()).toBe(1);
    // Toqio retries, one after another and all at once: each is answered from the stored decision.
    for (let retry = 0; retry < 3; retry++)
      expect((await validate(stack.apiUrl, payment)).body.status).toBe('APPROVED');
    const parallel = await Promise.all(Array.from({ length: 5 }, () => validate(stack.apiUrl, payment)));
    expect(parallel.map((answer) => answer.body.status)).toEqual(Array(5).fill('APPROVED'));
    expect(sent()).toBe(1);
  });
});
