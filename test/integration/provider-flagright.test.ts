import { randomUUID } from 'node:crypto';
import { signProviderWebhook } from '../../functions/domain/provider-webhook.js';
import type { LocalStack } from '../../local/stack.js';
import { startFakeProvider } from '../fixtures/fake-provider.js';
import { eventually } from '../fixtures/receiver.js';
import { aTransaction as seedTransaction } from '../fixtures/transactions.js';
import { startTestStack, validate } from './stack.js';

// biome-ignore lint/suspicious/noExplicitAny: tests read API answers loosely and assert on them.
type Json = Record<string, any>;

/** Each payment from its own customer, so velocity rules of one test never touch another. */
const aTransaction = (changes: Json = {}) => seedTransaction({ customer: `customer-${randomUUID()}`, ...changes });

const TIMEOUT_MS = 300;
const WEBHOOK_SECRET = 'provider-webhook-secret-for-tests-01';
const ANA = 'Bearer local-analyst-token-0001';
let stack: LocalStack;
let flagright: Awaited<ReturnType<typeof startFakeProvider>>;

beforeAll(async () => {
  flagright = await startFakeProvider();
  Object.assign(process.env, {
    TM_PROVIDER: 'flagright',
    TM_PROVIDER_MODE: 'primary',
    FLAGRIGHT_API_URL: flagright.url,
    FLAGRIGHT_API_KEY: 'flagright-key-0001',
    PROVIDER_TIMEOUT_MS: String(TIMEOUT_MS),
    PROVIDER_BREAKER_RESET_MS: '1500',
    PROVIDER_WEBHOOK_SECRET: WEBHOOK_SECRET,
  });
  stack = await startTestStack();
  await validate(stack.apiUrl, aTransaction()); // warm the function
});
afterAll(async () => {
  await stack.stop();
  await flagright.close();
  for (const name of [
    'TM_PROVIDER',
    'TM_PROVIDER_MODE',
    'FLAGRIGHT_API_URL',
    'FLAGRIGHT_API_KEY',
    'PROVIDER_TIMEOUT_MS',
    'PROVIDER_BREAKER_RESET_MS',
    'PROVIDER_WEBHOOK_SECRET',
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
  const response = await fetch(`${stack.apiUrl}/providers/flagright/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-tm-proxy-signature': header },
    body: raw,
  });
  return { status: response.status, body: (await response.json()) as Json };
};

describe('Flagright as the primary provider', () => {
  it('sends the payment in Flagright’s schema with the API key and approves on ALLOW', async () => {
    const payment = aTransaction();
    flagright.script(String(payment.id), { body: { transactionId: payment.id, status: 'ALLOW' } });
    expect((await validate(stack.apiUrl, payment)).body).toEqual({
      status: 'APPROVED',
      transactionId: payment.id,
      reasons: [],
    });
    const [request] = flagright.requestsFor(String(payment.id));
    // Users Flagright does not know are accepted only through its documented query flags.
    expect(request?.path).toBe('/transactions?validateOriginUserId=false&validateDestinationUserId=false');
    expect(request?.headers['x-api-key']).toBe('flagright-key-0001');
    expect(request?.body).toEqual({
      transactionId: payment.id,
      type: 'TRANSFER',
      timestamp: Date.parse('2024-06-27'),
      originUserId: payment.customer,
      destinationUserId: expect.stringMatching(/^beneficiary-[0-9a-f]{32}$/),
      originAmountDetails: { transactionAmount: 250.75, transactionCurrency: 'USD', country: 'GB' },
      destinationAmountDetails: { transactionAmount: 250.75, transactionCurrency: 'USD', country: 'GB' },
      originPaymentDetails: {
        method: 'IBAN',
        IBAN: 'GB29NWBK60161331926819',
        BIC: 'NWBKGB2L',
        name: 'Primary Account',
        country: 'GB',
      },
      destinationPaymentDetails: {
        method: 'IBAN',
        IBAN: 'US98765432109876543210',
        BIC: 'NEWBGB2L',
        name: 'Business Account',
        country: 'GB',
      },
      reference: 'Payment for office supplies',
    });
    expect(flagright.refused).toEqual([]);
  });

  it('gives the same beneficiary the same Flagright user id, and follows the payment type', async () => {
    const first = aTransaction();
    const refund = aTransaction({ type: 'REFUND', payType: 'CARD' });
    await validate(stack.apiUrl, first);
    await validate(stack.apiUrl, refund);
    const [a] = flagright.requestsFor(String(first.id));
    const [b] = flagright.requestsFor(String(refund.id));
    expect(a?.body.destinationUserId).toBe(b?.body.destinationUserId);
    expect(b?.body.type).toBe('REFUND');
  });

  it('invents nothing: no currency means no amount details, an unreadable date no timestamp, and Flagright’s refusal is recorded', async () => {
    const payment = aTransaction({ currency: undefined, baseCurrency: undefined, date: 'yesterday' });
    const response = await validate(stack.apiUrl, payment);
    const [request] = flagright.requestsFor(String(payment.id));
    expect(request?.body).not.toHaveProperty('originAmountDetails');
    expect(request?.body).not.toHaveProperty('timestamp');
    expect(flagright.refused.at(-1)?.problems).toEqual([
      'timestamp: Invalid input: expected number, received undefined',
    ]);
    expect(response.body.status).toBe('PENDING_EXTERNAL_APPROVAL');
    expect(response.body.reasons[0]).toMatchObject({
      rule: 'PROVIDER_UNAVAILABLE',
      description: expect.stringContaining('400'),
    });
  });

  it('rejects on BLOCK and holds on FLAG and SUSPEND, with the hit rules as reasons', async () => {
    const blocked = aTransaction();
    flagright.script(String(blocked.id), {
      body: {
        transactionId: blocked.id,
        status: 'BLOCK',
        executedRules: [],
        hitRules: [
          {
            ruleInstanceId: 'RI-17',
            ruleId: 'R-7',
            ruleName: 'Sanctions',
            ruleDescription: 'Sanctions screening hit',
            ruleAction: 'BLOCK',
          },
        ],
      },
    });
    expect((await validate(stack.apiUrl, blocked)).body).toMatchObject({
      status: 'REJECTED',
      reasons: [{ rule: 'flagright:RI-17', description: 'Sanctions (R-7): Sanctions screening hit' }],
    });
    for (const status of ['FLAG', 'SUSPEND']) {
      const held = aTransaction();
      flagright.script(String(held.id), { body: { status } });
      expect((await validate(stack.apiUrl, held)).body.status).toBe('PENDING_EXTERNAL_APPROVAL');
    }
  });

  it('lets a REJECT rule make an ALLOW stricter, but not a REVIEW rule', async () => {
    const sanctioned = aTransaction({ destinationAccount: { countryCode: 'KP' } });
    expect((await validate(stack.apiUrl, sanctioned)).body.status).toBe('REJECTED');
    const large = aTransaction({ baseTotal: 50_000 });
    expect((await validate(stack.apiUrl, large)).body.status).toBe('APPROVED');
  });

  it.each([
    ['a 5xx', { status: 503, body: { message: 'down' } }, /HTTP 503/],
    ['a garbage answer', { text: '<html>oops</html>' }, /not JSON/],
    ['an unknown verdict', { body: { status: 'PERHAPS' } }, /PERHAPS/],
  ])('falls back to PENDING on %s, saying why', async (_name, answer, why) => {
    const payment = aTransaction();
    flagright.script(String(payment.id), answer);
    const response = await validate(stack.apiUrl, payment);
    expect(response.body.status).toBe('PENDING_EXTERNAL_APPROVAL');
    expect(response.body.reasons).toEqual([{ rule: 'PROVIDER_UNAVAILABLE', description: expect.stringMatching(why) }]);
  });

  it('answers within the budget on a timeout, then records the late answer and flags a disagreement', async () => {
    const payment = aTransaction();
    flagright.script(
      String(payment.id),
      { delayMs: 1500, body: { status: 'ALLOW' } },
      { body: { status: 'BLOCK', hitRules: [{ ruleInstanceId: 'RI-9', ruleName: 'Mule', ruleDescription: 'Mule' }] } },
    );
    const started = performance.now();
    const response = await validate(stack.apiUrl, payment);
    const elapsed = performance.now() - started;
    expect(response.body).toMatchObject({
      status: 'PENDING_EXTERNAL_APPROVAL',
      reasons: [{ rule: 'PROVIDER_UNAVAILABLE', description: expect.stringContaining(`within ${TIMEOUT_MS} ms`) }],
    });
    expect(elapsed).toBeLessThan(TIMEOUT_MS + 1000); // generous: the bench measures real latency
    const flagged = await eventually(async () => {
      const late = await view(`provider-late:${payment.id}`);
      return late.caseStatus === 'INFORMATIONAL' ? late : undefined;
    }, 'the late-disagreement case');
    expect(flagged.reasons[0]).toMatchObject({
      rule: 'PROVIDER_LATE_DISAGREEMENT',
      description: expect.stringMatching(/BLOCK|REJECTED/),
    });
    // The late verdict is fetched with GET /transactions/{id}, not by posting the payment again.
    expect(flagright.requestsFor(String(payment.id)).map((request) => request.path)).toEqual([
      '/transactions?validateOriginUserId=false&validateDestinationUserId=false',
      `/transactions/${payment.id}`,
    ]);
    const original = await view(String(payment.id));
    expect(original.history.map((entry: Json) => entry.action)).toEqual(['CREATED', 'NOTED']);
  });

  it('opens the circuit after repeated failures (no calls reach the provider) and closes it again', async () => {
    flagright.always({ status: 500, body: {} });
    for (let i = 0; i < 6; i++) await validate(stack.apiUrl, aTransaction());
    const before = flagright.requests.length;
    const whileOpen = await validate(stack.apiUrl, aTransaction());
    expect(whileOpen.body.reasons[0]?.description).toMatch(/circuit open/);
    expect(flagright.requests.length).toBe(before);
    flagright.always(undefined);
    await new Promise((resolve) => setTimeout(resolve, 1600)); // the breaker's reset timeout
    const recovered = aTransaction();
    expect((await validate(stack.apiUrl, recovered)).body.status).toBe('APPROVED');
    expect((await validate(stack.apiUrl, aTransaction())).body.status).toBe('APPROVED');
  });
});

describe('POST /providers/{name}/webhook', () => {
  const pending = async () => {
    const payment = aTransaction();
    flagright.script(String(payment.id), { body: { status: 'FLAG' } });
    expect((await validate(stack.apiUrl, payment)).body.status).toBe('PENDING_EXTERNAL_APPROVAL');
    return String(payment.id);
  };

  it('resolves a pending case like an analyst decision, once, and refuses a replay', async () => {
    const id = await pending();
    const body = { transactionId: id, status: 'ALLOW', reference: 'fr-123' };
    const timestamp = Math.floor(Date.now() / 1000);
    const first = await webhook(body, { timestamp });
    expect(first).toEqual({ status: 200, body: { transactionId: id, result: 'DECIDED', status: 'APPROVED' } });
    const replay = await webhook(body, { timestamp });
    expect(replay.status).toBe(409);
    const resent = await webhook(body, { timestamp: timestamp + 1 });
    expect(resent.body).toMatchObject({ result: 'already decided' });
    const decided = await view(id);
    expect(decided).toMatchObject({ caseStatus: 'APPROVED', decidedBy: 'provider:flagright' });
    await eventually(
      async () =>
        stack.toqioWebhooks.some(
          (w) => (w.body as Json).transactionId === id && (w.body as Json).status === 'APPROVED',
        ),
      'the Toqio webhook',
    );
  });

  it('refuses bad and stale signatures, unknown providers and unknown verdicts', async () => {
    const id = await pending();
    expect((await webhook({ transactionId: id, status: 'BLOCK' }, { header: 't=1,v1=deadbeef' })).status).toBe(401);
    expect(
      (await webhook({ transactionId: id, status: 'BLOCK' }, { timestamp: Math.floor(Date.now() / 1000) - 3600 }))
        .status,
    ).toBe(401);
    expect((await webhook({ transactionId: id, status: 'MAYBE' })).status).toBe(409);
    const other = await fetch(`${stack.apiUrl}/providers/acme/webhook`, { method: 'POST', body: '{}' });
    expect(other.status).toBe(404);
    expect((await view(id)).caseStatus).toBe('PENDING');
  });

  it('notes a FLAG without deciding', async () => {
    const id = await pending();
    expect((await webhook({ transactionId: id, status: 'FLAG', reason: 'needs EDD' })).status).toBe(202);
    const current = await view(id);
    expect(current.caseStatus).toBe('PENDING');
    expect(current.notes).toEqual([expect.objectContaining({ by: 'provider:flagright', text: 'needs EDD' })]);
  });
});
