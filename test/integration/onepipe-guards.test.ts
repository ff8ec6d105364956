import { createHash, randomUUID } from 'node:crypto';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LocalStack } from '../../local/stack.js';
import { eventually } from '../fixtures/receiver.js';
import { startTestStack } from './stack.js';

// biome-ignore lint/suspicious/noExplicitAny: tests read API answers loosely and assert on them.
type Json = Record<string, any>;

const SECRET = 'onepipe-client-secret-guards';
const API_KEY = 'onepipe-api-key-guards-01';
const OUTBOUND_SECRET = 'our-outbound-secret-guards-01';
const OUTBOUND_KEY = 'our-outbound-key-guards-01';
const SAM = 'Bearer local-supervisor-token-0001';
const ANA = 'Bearer local-analyst-token-0001';

/** OnePipe's /v2/transact/query, strict about our credentials; it confirms the refs in `confirmed`. */
const confirmed = new Map<string, number>();
const queries: Json[] = [];
const queryServer = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Json;
    queries.push(body);
    const signed =
      req.headers.authorization === `Bearer ${OUTBOUND_KEY}` &&
      req.headers.signature === createHash('md5').update(`${body.request_ref};${OUTBOUND_SECRET}`).digest('hex');
    const amount = confirmed.get(body.transaction?.transaction_ref);
    res.writeHead(signed ? 200 : 401, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify(
        !signed
          ? { status: 'Failed', message: 'Invalid signature' }
          : amount === undefined
            ? { status: 'Failed', message: 'Transaction not found', data: { provider_response_code: '25' } }
            : {
                status: 'Successful',
                message: 'Transaction processed successfully',
                data: { provider_response_code: '00', provider_response: { transaction_final_amount: amount } },
              },
      ),
    );
  });
});

let stack: LocalStack;
beforeAll(async () => {
  await new Promise<void>((resolve) => queryServer.listen(0, '127.0.0.1', resolve));
  Object.assign(process.env, {
    ONEPIPE_CLIENT_SECRET: SECRET,
    ONEPIPE_API_KEY: API_KEY,
    ONEPIPE_OUTBOUND_CLIENT_SECRET: OUTBOUND_SECRET,
    ONEPIPE_OUTBOUND_API_KEY: OUTBOUND_KEY,
    ONEPIPE_CONFIRM_CREDITS: 'true',
    ONEPIPE_QUERY_URL: `http://127.0.0.1:${(queryServer.address() as AddressInfo).port}/v2/transact/query`,
    // Only this address may post notifications; the tests also post from 127.0.0.2 (loopback too).
    ONEPIPE_ALLOWED_IPS: '127.0.0.1/32',
  });
  stack = await startTestStack();
});
afterAll(async () => {
  await stack.stop();
  queryServer.closeAllConnections();
  await new Promise((resolve) => queryServer.close(resolve));
  for (const name of [
    'ONEPIPE_CLIENT_SECRET',
    'ONEPIPE_API_KEY',
    'ONEPIPE_OUTBOUND_CLIENT_SECRET',
    'ONEPIPE_OUTBOUND_API_KEY',
    'ONEPIPE_CONFIRM_CREDITS',
    'ONEPIPE_QUERY_URL',
    'ONEPIPE_ALLOWED_IPS',
  ])
    delete process.env[name];
});

const aCredit = (account: string, amount = 1250050) => ({
  request_ref: randomUUID(),
  request_type: 'transaction_notification',
  requester: 'FidelityVirtual',
  mock_mode: 'Live',
  details: {
    amount,
    status: 'Successful',
    provider: 'FidelityVirtual',
    transaction_ref: `1000${randomUUID().replaceAll('-', '')}`,
    transaction_desc: 'Transfer from ADA OBI',
    transaction_type: 'collect',
    meta: { event_type: 'credit', cr_account: account, originator_account_name: 'ADA OBI' },
  },
});

/** Posts a signed notification from a given local address (the gateway sees it as the source IP). */
const notifyFrom = (localAddress: string, body: Json) =>
  new Promise<{ status: number; body: Json }>((resolve, reject) => {
    const raw = JSON.stringify(body);
    const url = new URL(`${stack.apiUrl}/onepipe/notifications`);
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        localAddress,
        headers: {
          'content-type': 'application/json',
          signature: createHash('md5').update(`${body.request_ref};${SECRET}`).digest('hex'),
          authorization: `Bearer ${API_KEY}`,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Json }),
        );
      },
    );
    req.on('error', reject);
    req.end(raw);
  });

const admin = async (path: string, token: string, init: { method?: string; body?: unknown } = {}) => {
  const response = await fetch(`${stack.adminUrl}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: token, 'content-type': 'application/json' },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  return { status: response.status, body: (await response.json()) as Json };
};

const MAPPING = {
  company: 'company-1',
  customer: 'customer-1',
  accountId: 'acc-1',
  clientType: 'CONSUMER',
  accountType: 'ngn',
  bankName: 'Fidelity Bank',
  bankDescription: 'Virtual account via OnePipe',
  corePaymentType: 'INTERNAL-TRANSFER',
};

const saved = (transactionRef: string) =>
  stack.toqioWebhooks.filter(
    (webhook) => webhook.type === 'SAVE_TRANSACTION' && (webhook.body as Json).transactionNumber === transactionRef,
  );

describe('OnePipe guards', () => {
  beforeAll(async () => {
    expect((await admin('/api/account-mappings/5001000001', SAM, { method: 'PUT', body: MAPPING })).status).toBe(200);
  });

  it('refuses a well-signed notification from an address outside ONEPIPE_ALLOWED_IPS, storing nothing', async () => {
    const credit = aCredit('5001000001');
    confirmed.set(credit.details.transaction_ref, credit.details.amount);
    expect(await notifyFrom('127.0.0.2', credit)).toEqual({
      status: 403,
      body: { status: 'Failed', message: expect.any(String) },
    });
    expect(queries.filter((query) => query.transaction.transaction_ref === credit.details.transaction_ref)).toEqual([]);
    // The same notification from the allowed address is new (nothing was stored) and registered once confirmed.
    expect((await notifyFrom('127.0.0.1', credit)).status).toBe(200);
    await eventually(async () => saved(credit.details.transaction_ref).length === 1, 'the registration');
  });

  it('refuses a notification without a usable request_ref, naming it, before anything is stored or asked', async () => {
    const refused: [unknown, string][] = [
      [undefined, 'is required'],
      [null, 'is required'],
      ['', 'must not be empty'],
      ['   ', 'must not be empty'],
      [`burn#${randomUUID()}`, 'uses a reserved prefix'],
      ['x'.repeat(201), 'must be at most 200 characters'],
      [1.5, 'must be a string or a whole number'],
      [{ ref: 'x' }, 'must be a string or a whole number'],
    ];
    for (const [requestRef, why] of refused) {
      const credit = { ...aCredit('5001000001'), request_ref: requestRef };
      const answer = await notifyFrom('127.0.0.1', credit as Json);
      expect(answer.status).toBe(400);
      expect(answer.body.message).toMatch(/request_ref/);
      expect(answer.body.message).toContain(why);
      expect(queries.filter((query) => query.transaction.transaction_ref === credit.details.transaction_ref)).toEqual(
        [],
      );
    }
    // A whole number is read as its digits, as signed: a valid request_ref.
    const numbered = { ...aCredit('5001000001'), request_ref: 7_000_000_123 };
    confirmed.set(numbered.details.transaction_ref, numbered.details.amount);
    expect((await notifyFrom('127.0.0.1', numbered as unknown as Json)).status).toBe(200);
    await eventually(async () => saved(numbered.details.transaction_ref).length === 1, 'the registration');
  });

  it('registers a credit only when OnePipe confirms it, with our own credentials', async () => {
    const credit = aCredit('5001000001');
    confirmed.set(credit.details.transaction_ref, credit.details.amount);
    expect((await notifyFrom('127.0.0.1', credit)).status).toBe(200);
    await eventually(async () => saved(credit.details.transaction_ref).length === 1, 'the registration');
    expect(queries.find((query) => query.transaction.transaction_ref === credit.details.transaction_ref)).toMatchObject(
      {
        request_ref: expect.stringMatching(/^[0-9a-f]{32}$/),
        request_type: 'transaction_notification',
      },
    );
  });

  it('parks a forged credit OnePipe does not confirm (unknown, or another amount); nothing reaches Toqio', async () => {
    const unknown = aCredit('5001000001');
    const inflated = aCredit('5001000001', 900_000_000);
    confirmed.set(inflated.details.transaction_ref, 1000);
    expect((await notifyFrom('127.0.0.1', unknown)).status).toBe(200);
    expect((await notifyFrom('127.0.0.1', inflated)).status).toBe(200);
    const parked = (await admin('/api/onepipe/unmatched', ANA)).body.items as Json[];
    expect(parked).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          requestRef: unknown.request_ref,
          state: 'UNCONFIRMED',
          why: expect.stringContaining('not found'),
        }),
        expect.objectContaining({
          requestRef: inflated.request_ref,
          state: 'UNCONFIRMED',
          why: expect.stringContaining('1000'),
        }),
      ]),
    );
    // A later, confirmed credit is registered: the two parked ones never were.
    const real = aCredit('5001000001');
    confirmed.set(real.details.transaction_ref, real.details.amount);
    await notifyFrom('127.0.0.1', real);
    await eventually(async () => saved(real.details.transaction_ref).length === 1, 'the confirmed registration');
    expect(saved(unknown.details.transaction_ref)).toEqual([]);
    expect(saved(inflated.details.transaction_ref)).toEqual([]);
  });
});
