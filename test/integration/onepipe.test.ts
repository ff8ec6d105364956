import { createHash, randomUUID } from 'node:crypto';
import type { LocalStack } from '../../local/stack.js';
import { eventually, startReceiver } from '../fixtures/receiver.js';
import { aTransaction } from '../fixtures/transactions.js';
import { startTestStack, validate } from './stack.js';

// biome-ignore lint/suspicious/noExplicitAny: tests read API answers loosely and assert on them.
type Json = Record<string, any>;

const SECRET = 'onepipe-client-secret-test';
const API_KEY = 'onepipe-api-key-test-0001';
const SAM = 'Bearer local-supervisor-token-0001';
const ANA = 'Bearer local-analyst-token-0001';

let stack: LocalStack;
let onepipe: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  onepipe = await startReceiver();
  process.env.ONEPIPE_CLIENT_SECRET = SECRET;
  process.env.ONEPIPE_API_KEY = API_KEY;
  process.env.ONEPIPE_LISTENER_URL = `${onepipe.url}/onepipe`;
  process.env.ONEPIPE_MOCK_MODE = 'inspect';
  stack = await startTestStack();
});
afterAll(async () => {
  await stack.stop();
  await onepipe.close();
  for (const name of ['ONEPIPE_CLIENT_SECRET', 'ONEPIPE_API_KEY', 'ONEPIPE_LISTENER_URL', 'ONEPIPE_MOCK_MODE'])
    delete process.env[name];
});

/** A list once it has something in it (eventually() waits on a truthy value). */
const nonEmpty = <T>(list: T[]) => (list.length > 0 ? list : undefined);

const sign = (requestRef: string) => createHash('md5').update(`${requestRef};${SECRET}`).digest('hex');

/** The seed-style credit notification (shared/partners/onepipe.md §2.4 A) to a given virtual account. */
const aCredit = (
  account: string,
  changes: { amount?: number | string; mockMode?: string; eventType?: string } = {},
) => ({
  details: {
    data: {},
    meta: {
      name: 'Java Biller',
      route: 'listener',
      amount: '10400',
      status: 'active',
      narration: `${account}/PWT - Jav/Transfer from OLUWADUROTIMI B`,
      cr_account: account,
      pwt_bank_code: '044',
      cr_account_name: 'PWT - Java Biller',
      originator_cbn_code: '305',
      originator_bank_name: 'Paycom',
      originator_account_name: 'OLUWADUROTIMI BOLAJI IDOWU',
      originator_account_number: '8101590442',
      event_type: changes.eventType ?? 'credit',
      payment_id: '0093003',
      transaction_date: '2026-11-20-09-15-00',
      signature_hash: '9900ubuuxubueebjx',
    },
    amount: changes.amount ?? 1250050,
    status: 'Successful',
    provider: 'FidelityVirtual',
    customer_ref: '2348101590442_000042',
    customer_email: 'timi@onepipe.io',
    transaction_ref: `1000${Date.now()}${Math.floor(Math.random() * 1e6)}`,
    customer_surname: 'Bolaji Idowu',
    transaction_desc: 'Transfer from OLUWADUROTIMI B',
    transaction_type: 'collect',
    customer_firstname: 'Oluwadurotimi',
    customer_mobile_no: '2348189848421',
  },
  app_info: { app_code: 'PAYP924039' },
  mock_mode: changes.mockMode ?? 'Live',
  requester: 'FidelityVirtual',
  request_ref: randomUUID(),
  request_type: 'transaction_notification',
});

const notify = async (body: Json, headers?: Record<string, string>) => {
  const response = await fetch(`${stack.apiUrl}/onepipe/notifications`, {
    method: 'POST',
    headers: headers ?? {
      'content-type': 'application/json',
      signature: sign(body.request_ref),
      authorization: `Bearer ${API_KEY}`,
    },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Json };
};

const admin = async (path: string, token: string, init: { method?: string; body?: unknown } = {}) => {
  const response = await fetch(`${stack.adminUrl}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: token, 'content-type': 'application/json' },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  return { status: response.status, body: response.status === 204 ? {} : ((await response.json()) as Json) };
};

const MAPPING = {
  company: 'company-7f3a',
  customer: 'customer-19bc',
  accountId: 'acc-5521',
  clientType: 'BUSINESS',
  currency: 'NGN',
  accountName: 'Java Biller Ltd',
  bankName: 'Fidelity Bank',
  bankDescription: 'Virtual account via OnePipe',
};

const mapAccount = (account: string) =>
  admin(`/api/account-mappings/${account}`, SAM, { method: 'PUT', body: MAPPING });

const savedTransactionsFor = (transactionRef: string) =>
  stack.toqioWebhooks.filter(
    (webhook) => webhook.type === 'SAVE_TRANSACTION' && (webhook.body as Json).transactionNumber === transactionRef,
  );

describe('POST /onepipe/notifications', () => {
  it('accepts a correctly signed notification with the OnePipe acknowledgement', async () => {
    const response = await notify(aCredit('4565564001'));
    expect(response).toEqual({ status: 200, body: { status: 'Successful', message: expect.any(String) } });
  });

  it('refuses a wrong signature or a missing bearer key with 401 and stores nothing', async () => {
    const credit = aCredit('4565564002');
    await mapAccount('4565564002');
    const wrong = await notify(credit, { signature: sign('another-ref'), authorization: `Bearer ${API_KEY}` });
    expect(wrong).toEqual({ status: 401, body: { status: 'Failed', message: expect.any(String) } });
    const noKey = await notify(credit, { signature: sign(credit.request_ref) });
    expect(noKey.status).toBe(401);
    // Only the correctly signed one is taken: afterwards it is new, not a duplicate.
    expect((await notify(credit)).status).toBe(200);
    await eventually(async () => savedTransactionsFor(credit.details.transaction_ref).length === 1, 'one registration');
  });

  it('answers 400 in the OnePipe envelope for a body it cannot read', async () => {
    const bad = await notify({ request_ref: 'x-1', request_type: 'something_else' });
    expect(bad).toEqual({ status: 400, body: { status: 'Failed', message: expect.stringContaining('request_type') } });
  });

  it('registers a mapped credit in Toqio as SAVE_TRANSACTION, field by field', async () => {
    await mapAccount('4565564003');
    const credit = aCredit('4565564003');
    expect((await notify(credit)).status).toBe(200);
    const [saved] = await eventually(
      async () => nonEmpty(savedTransactionsFor(credit.details.transaction_ref)),
      'SAVE_TRANSACTION',
    );
    const body = saved?.body as Json;
    expect(body).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/),
      company: 'company-7f3a',
      customer: 'customer-19bc',
      clientType: 'BUSINESS',
      type: 'INBOUND',
      status: 'ACCEPTED',
      currency: 'NGN',
      baseCurrency: 'NGN',
      total: 12500.5,
      baseTotal: 12500.5,
      transactionNumber: credit.details.transaction_ref,
      payType: 'INBOUND_BANK_TRANSFER',
      date: '2026-11-20',
      sourceAccount: {
        type: 'NGN',
        name: 'OLUWADUROTIMI BOLAJI IDOWU',
        accountNumber: '8101590442',
        routingNumber: '305',
        address: 'Paycom',
        countryCode: 'NG',
      },
      destinationAccount: {
        id: 'acc-5521',
        type: 'ngn',
        name: 'Java Biller Ltd',
        accountNumber: '4565564003',
        countryCode: 'NG',
        bankingProvider: 'OnePipe',
      },
      concept: credit.details.meta.narration,
      bankName: 'Fidelity Bank',
      bankDescription: 'Virtual account via OnePipe',
      orderId: credit.details.transaction_ref,
      dynamicFields: [
        { label: { en: 'OnePipe reference' }, valueId: 'onepipe_request_ref', value: credit.request_ref },
        { label: { en: 'OnePipe payment id' }, valueId: 'onepipe_payment_id', value: '0093003' },
        { label: { en: 'Collected by' }, valueId: 'onepipe_provider', value: 'FidelityVirtual' },
      ],
    });
    // Every field is one the Save Transaction seed's INBOUND_BANK_TRANSFER shape names.
    const seedFields = [
      'id',
      'user',
      'company',
      'customer',
      'clientType',
      'type',
      'status',
      'currency',
      'baseCurrency',
      'total',
      'baseTotal',
      'transactionNumber',
      'merchant',
      'address',
      'payType',
      'date',
      'sourceAccount',
      'balance',
      'country',
      'corePaymentType',
      'bankName',
      'bankLogo',
      'bankDescription',
      'failureReason',
      'finalTxNumber',
      'cardId',
      'orderId',
      'ledgerType',
      'dynamicFields',
      'emails',
      'advancedInvoiceId',
      'transactionTitle',
      'destinationAccount',
      'concept',
    ];
    expect(Object.keys(body).filter((key) => !seedFields.includes(key))).toEqual([]);
    expect(saved?.headers['x-api-key']).toBe('local-toqio-api-key-change-me');
  });

  it('reads the amount in kobo as a number or a numeric string, exactly', async () => {
    await mapAccount('4565564004');
    const asString = aCredit('4565564004', { amount: '1000000001' });
    await notify(asString);
    const [saved] = await eventually(
      async () => nonEmpty(savedTransactionsFor(asString.details.transaction_ref)),
      'SAVE_TRANSACTION',
    );
    expect((saved?.body as Json | undefined)?.total).toBe(10000000.01);
    expect(
      (await notify({ ...aCredit('4565564004'), details: { ...aCredit('4565564004').details, amount: '12.5.0' } }))
        .status,
    ).toBe(400);
  });

  it('answers a repeated request_ref the same way and registers it once', async () => {
    await mapAccount('4565564005');
    const credit = aCredit('4565564005');
    const first = await notify(credit);
    const again = await notify(credit);
    expect(again).toEqual(first);
    await eventually(async () => savedTransactionsFor(credit.details.transaction_ref).length === 1, 'the registration');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(savedTransactionsFor(credit.details.transaction_ref)).toHaveLength(1);
  });

  it('stores Inspect-mode notifications without registering them', async () => {
    await mapAccount('4565564006');
    const credit = aCredit('4565564006', { mockMode: 'Inspect' });
    expect((await notify(credit)).status).toBe(200);
    expect((await notify(credit)).status).toBe(200);
    const unmatched = await admin('/api/onepipe/unmatched', ANA);
    expect(unmatched.body.items.map((item: Json) => item.requestRef)).not.toContain(credit.request_ref);
    expect(savedTransactionsFor(credit.details.transaction_ref)).toEqual([]);
  });

  it('parks a credit to an unmapped account and registers it as soon as the account is mapped', async () => {
    const account = `77${Date.now().toString().slice(-8)}`;
    const credit = aCredit(account);
    expect((await notify(credit)).status).toBe(200);
    const unmatched = await admin('/api/onepipe/unmatched', ANA);
    expect(unmatched.body.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          requestRef: credit.request_ref,
          state: 'UNMATCHED',
          accountNumber: account,
          amountKobo: '1250050',
        }),
      ]),
    );
    expect(savedTransactionsFor(credit.details.transaction_ref)).toEqual([]);

    const mapped = await mapAccount(account);
    expect(mapped.body.registeredCredits).toEqual([credit.request_ref]);
    await eventually(async () => savedTransactionsFor(credit.details.transaction_ref).length === 1, 'the registration');
    const after = await admin('/api/onepipe/unmatched', ANA);
    expect(after.body.items.map((item: Json) => item.requestRef)).not.toContain(credit.request_ref);
  });

  it('opens an informational case for an inbound rule hit without blocking the credit', async () => {
    await mapAccount('4565564008');
    const big = aCredit('4565564008', { amount: 600_000_000 }); // 6,000,000 NGN
    await notify(big);
    await eventually(async () => savedTransactionsFor(big.details.transaction_ref).length === 1, 'the registration');
    const cases = await admin('/api/cases?status=INFORMATIONAL', ANA);
    expect(cases.body.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          transactionId: `onepipe:${big.details.transaction_ref}`,
          caseStatus: 'INFORMATIONAL',
          reasons: [expect.objectContaining({ rule: 'large-credit' })],
        }),
      ]),
    );
  });
});

describe('account mappings', () => {
  it('are managed by supervisors only, with validated bodies', async () => {
    expect((await admin('/api/account-mappings/4565564009', ANA, { method: 'PUT', body: MAPPING })).status).toBe(403);
    const bad = await admin('/api/account-mappings/4565564009', SAM, {
      method: 'PUT',
      body: { ...MAPPING, clientType: 'PERSON', currency: 'naira' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields.map((field: Json) => field.path).sort()).toEqual(['clientType', 'currency']);
    expect((await mapAccount('4565564009')).status).toBe(200);
    expect((await admin('/api/account-mappings/4565564009', SAM)).body).toMatchObject({
      ...MAPPING,
      accountNumber: '4565564009',
      updatedBy: 'sam',
    });
    expect((await admin('/api/account-mappings', SAM)).body.items.map((item: Json) => item.accountNumber)).toContain(
      '4565564009',
    );
    expect((await admin('/api/account-mappings/4565564009', SAM, { method: 'DELETE' })).status).toBe(204);
    expect((await admin('/api/account-mappings/4565564009', SAM)).status).toBe(404);
    expect((await admin('/api/account-mappings/4565564009', SAM, { method: 'DELETE' })).status).toBe(404);
  });
});

describe('reporting approved debits to OnePipe', () => {
  const debitsFor = (transactionId: string) =>
    onepipe
      .requestsFor('/onepipe')
      .filter((request) => (request.body as Json).transaction?.transaction_ref === transactionId);

  it('reports a payment approved at validate time in the OnePipe envelope, signed', async () => {
    const payment = aTransaction();
    expect((await validate(stack.apiUrl, payment)).body.status).toBe('APPROVED');
    const [report] = await eventually(async () => nonEmpty(debitsFor(String(payment.id))), 'the debit report');
    const body = report?.body as Json;
    expect(body).toEqual({
      request_ref: expect.stringMatching(/^[0-9a-f]{32}$/),
      request_type: 'transaction_notification',
      auth: { type: null, secure: null, auth_provider: 'TmProxy', route_mode: null },
      transaction: {
        mock_mode: 'inspect',
        transaction_ref: payment.id,
        transaction_desc: 'Payment for office supplies',
        transaction_ref_parent: null,
        amount: 25075,
        customer: { customer_ref: 'Jane Smith', firstname: '', surname: '', email: '', mobile_no: '' },
        meta: {
          event_type: 'debit',
          currency: 'USD',
          beneficiary_name: 'Business Account',
          beneficiary_account: '1234567890',
        },
        details: null,
      },
    });
    expect(report?.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(report?.headers.signature).toBe(sign(body.request_ref));
  });

  it('reports a payment approved after review, and never a rejected one', async () => {
    const approved = aTransaction({ baseTotal: 20_000, total: 20_000 });
    const rejected = aTransaction({ baseTotal: 20_000, total: 20_000 });
    await validate(stack.apiUrl, approved);
    await validate(stack.apiUrl, rejected);
    expect(debitsFor(String(approved.id))).toEqual([]);
    await admin(`/api/cases/${approved.id}/decision`, ANA, {
      method: 'POST',
      body: { status: 'APPROVED', reason: 'Checked' },
    });
    await admin(`/api/cases/${rejected.id}/decision`, ANA, {
      method: 'POST',
      body: { status: 'REJECTED', reason: 'Mule' },
    });
    const [report] = await eventually(async () => nonEmpty(debitsFor(String(approved.id))), 'the debit report');
    expect((report?.body as Json | undefined)?.transaction.amount).toBe(2_000_000);
    await eventually(
      async () => stack.toqioWebhooks.some((webhook) => (webhook.body as Json).transactionId === rejected.id),
      'the rejection webhook',
    );
    expect(debitsFor(String(rejected.id))).toEqual([]);
  });
});
