import { createHmac, randomUUID } from 'node:crypto';
import type { LocalStack } from '../../local/stack.js';
import { startFakeProvider } from '../fixtures/fake-provider.js';
import { aTransaction as seedTransaction } from '../fixtures/transactions.js';
import { startTestStack, validate } from './stack.js';

// biome-ignore lint/suspicious/noExplicitAny: tests read API answers loosely and assert on them.
type Json = Record<string, any>;

const HMAC_SECRET = 'hmac-secret-for-the-fake-provider';
const aTransaction = (changes: Json = {}) => seedTransaction({ customer: `customer-${randomUUID()}`, ...changes });
let stack: LocalStack;
let acme: Awaited<ReturnType<typeof startFakeProvider>>;

beforeAll(async () => {
  acme = await startFakeProvider();
  Object.assign(process.env, {
    TM_PROVIDER: 'http',
    TM_PROVIDER_MODE: 'shadow',
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
  for (const name of ['TM_PROVIDER', 'TM_PROVIDER_MODE', 'HTTP_PROVIDER_CONFIG']) delete process.env[name];
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
});
