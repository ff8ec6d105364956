import { randomUUID } from 'node:crypto';
import { providerEventLedger } from '../../functions/adapters/provider-event-ledger.js';
import { signProviderWebhook } from '../../functions/domain/providers/webhook.js';
import type { LocalStack } from '../../local/stack.js';
import { startFakeProvider } from '../fixtures/fake-provider.js';
import { aStatusUpdate, flagrightRequest } from '../fixtures/flagright-webhooks.js';
import { eventually } from '../fixtures/receiver.js';
import { aTransaction as seedTransaction } from '../fixtures/transactions.js';
import { startTestStack, testDocumentClient, validate } from './stack.js';

// biome-ignore lint/suspicious/noExplicitAny: tests read API answers loosely and assert on them.
type Json = Record<string, any>;

/** Each payment from its own customer, so velocity rules of one test never touch another. */
const aTransaction = (changes: Json = {}) => seedTransaction({ customer: `customer-${randomUUID()}`, ...changes });

const TIMEOUT_MS = 300;
const WEBHOOK_SECRET = 'provider-webhook-secret-for-tests-01';
const FLAGRIGHT_SECRET = 'flagright-endpoint-secret-0001';
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
    FLAGRIGHT_WEBHOOK_SECRET: FLAGRIGHT_SECRET,
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
    'FLAGRIGHT_WEBHOOK_SECRET',
  ]) {
    delete process.env[name];
  }
});

const view = async (id: string): Promise<Json> =>
  (
    await fetch(`${stack.adminUrl}/api/cases/${encodeURIComponent(id)}`, { headers: { authorization: ANA } })
  ).json() as Promise<Json>;

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
    // Once the reset timeout (1.5 s) has passed the breaker lets a trial call through; until then
    // every payment gets the fallback. Wait for the first one the provider approves again.
    const recovered = await eventually(async () => {
      const answer = await validate(stack.apiUrl, aTransaction());
      return answer.body.status === 'APPROVED' ? answer.body : undefined;
    }, 'the circuit to close again');
    expect(recovered.reasons).toEqual([]);
    // Closed again: the next payment reaches the provider too.
    const next = aTransaction();
    expect((await validate(stack.apiUrl, next)).body.status).toBe('APPROVED');
    expect(flagright.requestsFor(String(next.id))).toHaveLength(1);
  });
});

describe("POST /providers/flagright/webhook in Flagright's own format", () => {
  const pending = async (changes: Json = {}) => {
    const payment = aTransaction(changes);
    flagright.script(String(payment.id), { body: { status: 'FLAG' } });
    expect((await validate(stack.apiUrl, payment)).body.status).toBe('PENDING_EXTERNAL_APPROVAL');
    return String(payment.id);
  };
  const post = async (request: { body: string; headers: Record<string, string> }) => {
    const response = await fetch(`${stack.apiUrl}/providers/flagright/webhook`, { method: 'POST', ...request });
    return { status: response.status, body: (await response.json()) as Json };
  };
  const send = (event: Json, secrets: readonly string[] = [FLAGRIGHT_SECRET]) => post(flagrightRequest(event, secrets));
  /** What a change would touch: the case's state, its history and Toqio's webhooks. */
  const snapshotOf = async (id: string) => {
    const current = await view(id);
    return {
      caseStatus: current.caseStatus,
      version: current.version,
      history: current.history.map((entry: Json) => entry.action),
      toqio: stack.toqioWebhooks.filter((w) => (w.body as Json).transactionId === id).length,
    };
  };

  it('decides a pending case below the four-eyes threshold on a signed TRANSACTION_STATUS_UPDATED, and tells Toqio', async () => {
    const id = await pending();
    const event = aStatusUpdate(id, 'BLOCK', { reasons: ['Fraud'], comment: 'confirmed mule' });
    expect(await send(event)).toEqual({
      status: 200,
      body: { transactionId: id, result: 'DECIDED', status: 'REJECTED' },
    });
    const decided = await view(id);
    expect(decided).toMatchObject({ caseStatus: 'REJECTED', decidedBy: 'provider:flagright' });
    expect(decided.finalReason).toBe(`Flagright set BLOCK: Fraud (confirmed mule) [event ${event.id}]`);
    await eventually(
      async () =>
        stack.toqioWebhooks.some(
          (w) => (w.body as Json).transactionId === id && (w.body as Json).status === 'REJECTED',
        ),
      'the Toqio webhook',
    );
  });

  it('accepts one signature per active secret while Flagright rolls the secret', async () => {
    const id = await pending();
    const rolled = await send(aStatusUpdate(id, 'ALLOW'), ['the-previous-endpoint-secret', FLAGRIGHT_SECRET]);
    expect(rolled).toEqual({ status: 200, body: { transactionId: id, result: 'DECIDED', status: 'APPROVED' } });
  });

  it('answers 401 to a bad signature and changes nothing', async () => {
    const id = await pending();
    const before = await snapshotOf(id);
    const event = aStatusUpdate(id, 'BLOCK');
    const signed = flagrightRequest(event, [FLAGRIGHT_SECRET]);
    const wrongSecret = flagrightRequest(event, ['not-the-endpoint-secret-000']);
    const tampered = { ...signed, body: signed.body.replace('"BLOCK"', '"ALLOW"') };
    const unsigned = { body: signed.body, headers: { 'content-type': 'application/json' } };
    const base64 = {
      body: signed.body,
      headers: {
        ...signed.headers,
        'x-flagright-signature': Buffer.from(signed.headers['x-flagright-signature'], 'hex').toString('base64'),
      },
    };
    const generic = {
      body: signed.body,
      headers: {
        'content-type': 'application/json',
        'x-tm-proxy-signature': signProviderWebhook(WEBHOOK_SECRET, Math.floor(Date.now() / 1000), signed.body),
      },
    };
    for (const request of [wrongSecret, tampered, unsigned, base64, generic]) {
      expect((await post(request)).status).toBe(401);
    }
    expect(await snapshotOf(id)).toEqual(before);
  });

  it('refuses a replayed event id and a stale event, and changes nothing', async () => {
    const id = await pending();
    const suspend = aStatusUpdate(id, 'SUSPEND', { comment: 'awaiting documents' });
    expect((await send(suspend)).status).toBe(202); // a note: Flagright has not decided
    const noted = await snapshotOf(id);
    expect(noted.history).toEqual(['CREATED', 'NOTED']);
    // Flagright's own retry (same body) is acknowledged so it stops; it is not applied again.
    expect(await send(suspend)).toEqual({
      status: 200,
      body: { eventId: suspend.id, type: 'TRANSACTION_STATUS_UPDATED', result: 'duplicate' },
    });
    // The same id with another body, even validly signed, is refused.
    const reused = aStatusUpdate(id, 'BLOCK', { id: suspend.id });
    expect((await send(reused)).status).toBe(409);
    // An event from before the accepted window is refused, whatever its id.
    const stale = aStatusUpdate(id, 'BLOCK', { createdTimestamp: Date.now() - 6 * 24 * 3600 * 1000 });
    expect((await send(stale)).status).toBe(401);
    expect(await snapshotOf(id)).toEqual(noted);
  });

  it('acknowledges event types that carry no verdict (2xx) and changes nothing', async () => {
    const id = await pending();
    const before = await snapshotOf(id);
    const caseClosed = aStatusUpdate(id, 'ALLOW', { type: 'CASE_CLOSED' });
    caseClosed.data = { caseId: 'C-1', status: 'CLOSED', reasons: ['False positive'], transactionIds: [id] };
    const future = { ...aStatusUpdate(id, 'ALLOW'), type: 'TRANSACTION_RISK_REASSESSED' };
    for (const event of [caseClosed, future]) {
      expect(await send(event)).toEqual({
        status: 200,
        body: { eventId: event.id, type: event.type, result: 'ignored', why: expect.stringContaining(event.type) },
      });
    }
    expect(await snapshotOf(id)).toEqual(before);
  });

  it('refuses an unknown status word, own properties only, and changes nothing', async () => {
    const id = await pending();
    const before = await snapshotOf(id);
    for (const word of ['MAYBE', '__proto__', 'constructor', 'APPROVED']) {
      const event = aStatusUpdate(id, 'ALLOW');
      event.data = { ...event.data, status: word };
      expect((await send(event)).status).toBe(409);
    }
    expect(await snapshotOf(id)).toEqual(before);
  });

  it('never lets its approval count as one of the four eyes: above the threshold it is recorded only', async () => {
    const id = await pending({ baseTotal: 150_000, total: 150_000 });
    expect(await send(aStatusUpdate(id, 'ALLOW'))).toMatchObject({ status: 202, body: { result: 'recorded' } });
    const current = await view(id);
    expect(current.caseStatus).toBe('PENDING');
    expect(current.history.at(-1)).toMatchObject({ action: 'PROVIDER_VERDICT', actor: 'provider:flagright' });
  });

  it('records, and acknowledges, a status change it cannot apply, so Flagright does not retry it for days', async () => {
    const id = await pending();
    expect((await send(aStatusUpdate(id, 'BLOCK'))).body).toMatchObject({ status: 'REJECTED' });
    // Settled: the status update reached Toqio and its delivery is in the history.
    const closed = await eventually(async () => {
      const snapshot = await snapshotOf(id);
      return snapshot.toqio === 1 && snapshot.history.includes('DELIVERED') ? snapshot : undefined;
    }, 'the status update to be delivered and recorded');
    const reversed = await send(aStatusUpdate(id, 'ALLOW'));
    expect(reversed).toMatchObject({ status: 202, body: { result: 'recorded', why: 'the case is already REJECTED' } });
    const after = await snapshotOf(id);
    expect(after).toEqual({ ...closed, history: [...closed.history, 'PROVIDER_VERDICT'] });
    const unknown = await send(aStatusUpdate(`not-ours-${randomUUID()}`, 'BLOCK'));
    expect(unknown).toMatchObject({ status: 202, body: { result: 'recorded', why: 'no case for this transaction' } });
  });
});

describe('the provider event ledger (replay memory on DynamoDB Local)', () => {
  const db = testDocumentClient();
  afterAll(() => db.destroy());
  const ledger = () => providerEventLedger(db, stack.tables.counters, { rememberSeconds: 3600, leaseSeconds: 30 });

  it('hands an event to one of many parallel callers, and then only ever answers duplicate', async () => {
    const key = `flagright-event#${randomUUID()}`;
    const claims = await Promise.all(Array.from({ length: 8 }, () => ledger().claim(key, 'digest-a')));
    expect(claims.filter((claim) => claim === 'claimed')).toHaveLength(1);
    expect(claims.filter((claim) => claim === 'in-progress')).toHaveLength(7);
    await ledger().finish(key);
    expect(await ledger().claim(key, 'digest-a')).toBe('duplicate');
    expect(await ledger().claim(key, 'digest-b')).toBe('conflict');
  });

  it('lets the retry of a failed or dead attempt take the event over, never one with another body', async () => {
    const released = `flagright-event#${randomUUID()}`;
    expect(await ledger().claim(released, 'digest-a')).toBe('claimed');
    await ledger().release(released);
    expect(await ledger().claim(released, 'digest-b')).toBe('conflict');
    expect(await ledger().claim(released, 'digest-a')).toBe('claimed');
    const dead = `flagright-event#${randomUUID()}`;
    const now = Date.now();
    expect(await ledger().claim(dead, 'digest-a', now)).toBe('claimed');
    expect(await ledger().claim(dead, 'digest-a', now + 10_000)).toBe('in-progress');
    expect(await ledger().claim(dead, 'digest-a', now + 31_000)).toBe('claimed');
  });
});
