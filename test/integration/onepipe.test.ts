import { createHash, randomUUID } from 'node:crypto';
import { GetCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { LocalStack } from '../../local/stack.js';
import { saveTransactionProblems } from '../../local/toqio-contract.js';
import { onepipeListenerContract } from '../fixtures/onepipe-contract.js';
import { aCredit, MAPPING } from '../fixtures/onepipe-credits.js';
import { eventually, startReceiver } from '../fixtures/receiver.js';
import { aTransaction } from '../fixtures/transactions.js';
import { startTestStack, testDocumentClient, validate } from './stack.js';

// biome-ignore lint/suspicious/noExplicitAny: tests read API answers loosely and assert on them.
type Json = Record<string, any>;

const SECRET = 'onepipe-client-secret-test';
const API_KEY = 'onepipe-api-key-test-0001';
const OUTBOUND_SECRET = 'our-outbound-secret-test-0001';
const OUTBOUND_KEY = 'our-outbound-key-test-0001';
const SAM = 'Bearer local-supervisor-token-0001';
const SUE = 'Bearer local-supervisor-token-0002';
const ANA = 'Bearer local-analyst-token-0001';
const ACK = { status: 'Successful', message: 'Transaction processed successfully' };

let stack: LocalStack;
let onepipe: Awaited<ReturnType<typeof startReceiver>>;
const db = testDocumentClient();

beforeAll(async () => {
  // The OnePipe listener is strict: it refuses an envelope, key or signature that is not OnePipe's.
  onepipe = await startReceiver({
    contract: onepipeListenerContract({ apiKey: OUTBOUND_KEY, clientSecret: OUTBOUND_SECRET }),
  });
  Object.assign(process.env, {
    ONEPIPE_CLIENT_SECRET: SECRET,
    ONEPIPE_API_KEY: API_KEY,
    ONEPIPE_OUTBOUND_CLIENT_SECRET: OUTBOUND_SECRET,
    ONEPIPE_OUTBOUND_API_KEY: OUTBOUND_KEY,
    ONEPIPE_LISTENER_URL: `${onepipe.url}/onepipe`,
    ONEPIPE_MOCK_MODE: 'inspect',
    ADMIN_TOKENS:
      'ana:analyst:local-analyst-token-0001,sam:supervisor:local-supervisor-token-0001,sue:supervisor:local-supervisor-token-0002',
  });
  stack = await startTestStack();
});
afterAll(async () => {
  await stack.stop();
  await onepipe.close();
  for (const name of [
    'ONEPIPE_CLIENT_SECRET',
    'ONEPIPE_API_KEY',
    'ONEPIPE_OUTBOUND_CLIENT_SECRET',
    'ONEPIPE_OUTBOUND_API_KEY',
    'ONEPIPE_LISTENER_URL',
    'ONEPIPE_MOCK_MODE',
    'ADMIN_TOKENS',
  ])
    delete process.env[name];
});

/** A list once it has something in it (eventually() waits on a truthy value). */
const nonEmpty = <T>(list: T[]) => (list.length > 0 ? list : undefined);

const sign = (requestRef: string, secret = SECRET) => createHash('md5').update(`${requestRef};${secret}`).digest('hex');

const notify = async (body: Json | string, headers?: Record<string, string>) => {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const ref = typeof body === 'string' ? '' : String(body.request_ref);
  const response = await fetch(`${stack.apiUrl}/onepipe/notifications`, {
    method: 'POST',
    headers: headers ?? {
      'content-type': 'application/json',
      signature: sign(ref),
      authorization: `Bearer ${API_KEY}`,
    },
    body: raw,
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

const mapAccount = (account: string, mapping: Json = MAPPING) =>
  admin(`/api/account-mappings/${account}`, SAM, { method: 'PUT', body: mapping });

const savedTransactionsFor = (transactionRef: string) =>
  stack.toqioWebhooks.filter(
    (webhook) => webhook.type === 'SAVE_TRANSACTION' && (webhook.body as Json).transactionNumber === transactionRef,
  );

/** Every SAVE_TRANSACTION delivery in the outbox, whatever became of it. */
const saveTransactionDeliveries = async () =>
  ((await db.send(new ScanCommand({ TableName: stack.tables.deliveries }))).Items ?? []).filter(
    (item) => item.type === 'SAVE_TRANSACTION',
  );

/**
 * The outbox rows about a subject for a target. The outbox is written in the same transaction as
 * the change that owes the webhook, before the call answers, and nothing is sent without a row:
 * an empty outbox right after the call proves nothing will be sent, where the partner's inbox
 * could only show that nothing was sent yet.
 */
const outboxFor = async (subject: string, target: 'toqio' | 'onepipe') =>
  ((await db.send(new ScanCommand({ TableName: stack.tables.deliveries }))).Items ?? []).filter(
    // A decision's own records keep their subject as `about` (out of the subject index).
    (item) => (item.subject ?? item.about) === subject && item.target === target,
  );

const waitingForAPerson = async () => (await admin('/api/onepipe/unmatched', ANA)).body.items as Json[];

describe('POST /onepipe/notifications', () => {
  it("accepts a correctly signed notification with OnePipe's documented acknowledgement", async () => {
    const response = await notify(aCredit('4565564001'));
    expect(response).toEqual({ status: 200, body: ACK });
  });

  it('reads a request_ref sent as a whole number as its digits, the way it was signed', async () => {
    const credit = { ...aCredit('4565564038'), request_ref: Number(`9${Date.now()}`) };
    expect(await notify(credit)).toEqual({ status: 200, body: ACK });
    const again = await notify(credit);
    expect(again).toEqual({ status: 200, body: ACK });
  });

  it('reads request_type in any letter case', async () => {
    await mapAccount('4565564010');
    const credit = { ...aCredit('4565564010'), request_type: 'Transaction_Notification' };
    expect(await notify(credit)).toEqual({ status: 200, body: ACK });
    await eventually(async () => savedTransactionsFor(credit.details.transaction_ref).length === 1, 'the registration');
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

  it('answers 400 in the OnePipe envelope for a body it cannot read, before any signature check', async () => {
    expect(await notify('{"request_ref": ')).toEqual({
      status: 400,
      body: { status: 'Failed', message: expect.stringContaining('JSON') },
    });
  });

  it('registers a mapped credit in Toqio as SAVE_TRANSACTION with every field the seed makes mandatory', async () => {
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
        countryCode: 'NG',
      },
      balance: 0,
      corePaymentType: 'INTERNAL-TRANSFER',
      bankName: 'Fidelity Bank',
      bankDescription: 'Virtual account via OnePipe',
      orderId: credit.details.transaction_ref,
      transactionTitle: 'OLUWADUROTIMI BOLAJI IDOWU',
      destinationAccount: {
        id: 'acc-5521',
        type: 'ngn',
        name: 'Java Biller Ltd',
        accountNumber: '4565564003',
        countryCode: 'NG',
        bankingProvider: 'OnePipe',
      },
      concept: credit.details.meta.narration,
      dynamicFields: [
        { label: { en: 'OnePipe reference' }, valueId: 'onepipe_request_ref', value: credit.request_ref },
        { label: { en: 'OnePipe payment id' }, valueId: 'onepipe_payment_id', value: '0093003' },
        { label: { en: 'Collected by' }, valueId: 'onepipe_provider', value: 'FidelityVirtual' },
        { label: { en: 'Payer bank' }, valueId: 'onepipe_payer_bank', value: 'Paycom' },
        {
          label: { en: 'Balance' },
          valueId: 'balance_not_reported',
          value: 'Not reported by OnePipe (sent as 0)',
        },
      ],
    });
    expect(saveTransactionProblems(body)).toEqual([]);
    expect(saved?.headers['x-api-key']).toBe('local-toqio-api-key-change-me');
  });

  it('never sends an empty concept: without narration or description it names the payer', async () => {
    await mapAccount('4565564011');
    const credit = aCredit('4565564011');
    credit.details.meta.narration = '';
    credit.details.transaction_desc = '';
    await notify(credit);
    const [saved] = await eventually(
      async () => nonEmpty(savedTransactionsFor(credit.details.transaction_ref)),
      'SAVE_TRANSACTION',
    );
    expect((saved?.body as Json | undefined)?.concept).toBe('Transfer from OLUWADUROTIMI BOLAJI IDOWU');
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
  });

  it('answers a repeated request_ref the same way and registers it once', async () => {
    await mapAccount('4565564005');
    const credit = aCredit('4565564005');
    const first = await notify(credit);
    const again = await notify(credit);
    expect(again).toEqual(first);
    await eventually(async () => savedTransactionsFor(credit.details.transaction_ref).length === 1, 'the registration');
    const deliveries = await saveTransactionDeliveries();
    expect(deliveries.filter((item) => item.subject === credit.details.transaction_ref)).toHaveLength(1);
  });

  it('registers a credit OnePipe resends under a new request_ref only once', async () => {
    await mapAccount('4565564012');
    const credit = aCredit('4565564012');
    const resent = { ...credit, request_ref: randomUUID() };
    const answers = await Promise.all([notify(credit), notify(resent)]);
    expect(answers).toEqual([
      { status: 200, body: ACK },
      { status: 200, body: ACK },
    ]);
    await eventually(async () => savedTransactionsFor(credit.details.transaction_ref).length === 1, 'the registration');
    const deliveries = await saveTransactionDeliveries();
    expect(deliveries.filter((item) => item.subject === credit.details.transaction_ref)).toHaveLength(1);
  });

  it('stores Inspect-mode notifications without registering them', async () => {
    await mapAccount('4565564006');
    const credit = aCredit('4565564006', { mockMode: 'Inspect' });
    expect((await notify(credit)).status).toBe(200);
    expect((await notify(credit)).status).toBe(200);
    expect((await waitingForAPerson()).map((item) => item.requestRef)).not.toContain(credit.request_ref);
    const deliveries = await saveTransactionDeliveries();
    expect(deliveries.filter((item) => item.subject === credit.details.transaction_ref)).toEqual([]);
  });

  it('registers a credit into a named account without event_type, and parks a collection it cannot place', async () => {
    await mapAccount('4565564013');
    const noEvent = aCredit('4565564013', { eventType: null });
    await notify(noEvent);
    await eventually(
      async () => savedTransactionsFor(noEvent.details.transaction_ref).length === 1,
      'the registration',
    );
    // OnePipe's own FidelityVirtual sample: money, but no event_type and no credited account.
    const fidelity = aCredit('x', { eventType: null, amount: 10_000_000 });
    fidelity.details.meta = { transaction_date: '2022-11-18-11-41-58' } as never;
    expect(await notify(fidelity)).toEqual({ status: 200, body: ACK });
    const zero = aCredit('4565564013', { amount: 0 });
    expect(await notify(zero)).toEqual({ status: 200, body: ACK });
    const parked = await waitingForAPerson();
    expect(parked).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ requestRef: fidelity.request_ref, state: 'PARKED', why: expect.any(String) }),
        expect.objectContaining({
          requestRef: zero.request_ref,
          state: 'PARKED',
          why: expect.stringContaining('zero'),
        }),
      ]),
    );
    const deliveries = await saveTransactionDeliveries();
    expect(deliveries.filter((item) => item.subject === zero.details.transaction_ref)).toEqual([]);
  });

  it('parks a credit to an unmapped account and registers it as soon as the account is mapped', async () => {
    const account = `77${Date.now().toString().slice(-8)}`;
    const credit = aCredit(account);
    expect((await notify(credit)).status).toBe(200);
    expect(await waitingForAPerson()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          requestRef: credit.request_ref,
          state: 'UNMATCHED',
          accountNumber: account,
          amountKobo: '1250050',
        }),
      ]),
    );
    expect(await outboxFor(credit.details.transaction_ref, 'toqio')).toEqual([]);

    const mapped = await mapAccount(account);
    expect(mapped.body.registeredCredits).toEqual([credit.request_ref]);
    await eventually(async () => savedTransactionsFor(credit.details.transaction_ref).length === 1, 'the registration');
    // Registered once, by the mapping: one row in the outbox.
    expect(await outboxFor(credit.details.transaction_ref, 'toqio')).toEqual([
      expect.objectContaining({ type: 'SAVE_TRANSACTION' }),
    ]);
    expect((await waitingForAPerson()).map((item) => item.requestRef)).not.toContain(credit.request_ref);
  });

  it('parks credits to an incomplete (older) mapping instead of sending Toqio an incomplete message', async () => {
    const account = `78${Date.now().toString().slice(-8)}`;
    const { corePaymentType: _c, accountType: _t, ...old } = MAPPING;
    await db.send(
      new PutCommand({ TableName: stack.tables.mappings, Item: { ...old, accountNumber: account, version: 1 } }),
    );
    const credit = aCredit(account);
    expect((await notify(credit)).status).toBe(200);
    expect(await waitingForAPerson()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          requestRef: credit.request_ref,
          state: 'UNMATCHED',
          why: expect.stringContaining('corePaymentType'),
        }),
      ]),
    );
    const listed = (await admin('/api/account-mappings', SAM)).body.items.find(
      (item: Json) => item.accountNumber === account,
    );
    expect(listed).toMatchObject({
      complete: false,
      problems: expect.arrayContaining([expect.stringContaining('accountType')]),
    });
    expect(
      (await saveTransactionDeliveries()).filter((item) => item.subject === credit.details.transaction_ref),
    ).toEqual([]);
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
          transactionId: `onepipe#${big.details.transaction_ref}`,
          caseStatus: 'INFORMATIONAL',
          reasons: [expect.objectContaining({ rule: 'large-credit' })],
        }),
      ]),
    );
  });

  it('never touches a Toqio payment whose id equals a credit reference', async () => {
    await mapAccount('4565564014');
    const payment = aTransaction({ baseTotal: 20_000, total: 20_000, currency: 'NGN', baseCurrency: 'NGN' });
    expect((await validate(stack.apiUrl, payment)).body.status).toBe('PENDING_EXTERNAL_APPROVAL');
    // A large credit (an informational case) whose transaction_ref is the pending payment's id.
    const credit = aCredit('4565564014', { amount: 600_000_000, transactionRef: String(payment.id) });
    expect(await notify(credit)).toEqual({ status: 200, body: ACK });
    await eventually(async () => savedTransactionsFor(String(payment.id)).length === 1, 'the registration');
    expect((await validate(stack.apiUrl, payment)).body.status).toBe('PENDING_EXTERNAL_APPROVAL');
    const view = await admin(`/api/cases/${encodeURIComponent(String(payment.id))}`, ANA);
    expect(view.body).toMatchObject({ transactionId: payment.id, caseStatus: 'PENDING' });
    const decided = await admin(`/api/cases/${encodeURIComponent(String(payment.id))}/decision`, ANA, {
      method: 'POST',
      body: { status: 'REJECTED', reason: 'Checked the payee' },
    });
    expect(decided.status).toBe(200);
    expect((await validate(stack.apiUrl, payment)).body.status).toBe('REJECTED');
    expect((await admin(`/api/cases/${encodeURIComponent(`onepipe#${payment.id}`)}`, ANA)).body).toMatchObject({
      caseStatus: 'INFORMATIONAL',
    });
    // And no Toqio payment can take the credits' key space.
    expect((await validate(stack.apiUrl, { ...payment, id: `onepipe#${payment.id}` })).status).toBe(400);
  });
});

describe('hostile and forged OnePipe notifications', () => {
  const cases: [string, (credit: Json) => void][] = [
    [
      'a negative amount',
      (credit) => {
        credit.details.amount = -1250050;
      },
    ],
    [
      'an amount of 400 nines',
      (credit) => {
        credit.details.amount = '9'.repeat(400);
      },
    ],
    [
      'an amount of 1e308',
      (credit) => {
        credit.details.amount = 1e308;
      },
    ],
    [
      'a transaction_ref over 191 characters',
      (credit) => {
        credit.details.transaction_ref = 'r'.repeat(192);
      },
    ],
    [
      'a cr_account over 2,048 bytes',
      (credit) => {
        credit.details.meta.cr_account = '4'.repeat(2049);
      },
    ],
    [
      'an empty transaction_ref',
      (credit) => {
        credit.details.transaction_ref = '';
      },
    ],
    [
      'a blank transaction_ref',
      (credit) => {
        credit.details.transaction_ref = '   ';
      },
    ],
    [
      'a transaction_ref in our own key space',
      (credit) => {
        credit.details.transaction_ref = `onepipe#${Date.now()}`;
      },
    ],
  ];
  it.each(cases)(
    'stores a signed message with %s as received, parks it and answers so OnePipe stops retrying',
    async (_name, spoil) => {
      await mapAccount('4565564015');
      const credit = aCredit('4565564015') as Json;
      spoil(credit);
      const raw = JSON.stringify(credit).replace('"amount":1e+308', '"amount":1e308');
      expect(
        await notify(raw, {
          'content-type': 'application/json',
          signature: sign(credit.request_ref),
          authorization: `Bearer ${API_KEY}`,
        }),
      ).toEqual({
        status: 200,
        body: ACK,
      });
      expect(await waitingForAPerson()).toEqual(
        expect.arrayContaining([expect.objectContaining({ requestRef: credit.request_ref, state: 'REFUSED' })]),
      );
      // The same message again is answered the same, and still nothing reaches Toqio.
      expect(
        (
          await notify(raw, {
            'content-type': 'application/json',
            signature: sign(credit.request_ref),
            authorization: `Bearer ${API_KEY}`,
          })
        ).status,
      ).toBe(200);
      expect(
        (await saveTransactionDeliveries()).filter((item) => item.subject === credit.details.transaction_ref),
      ).toEqual([]);
    },
  );

  it('registers a credit with text longer than a payment allows, screening what it can read', async () => {
    await mapAccount('4565564037');
    const credit = aCredit('4565564037') as Json;
    credit.details.meta.narration = 'n'.repeat(2500);
    credit.details.meta.originator_account_name = 'N'.repeat(600);
    expect(await notify(credit)).toEqual({ status: 200, body: ACK });
    await eventually(async () => savedTransactionsFor(credit.details.transaction_ref).length === 1, 'the registration');
  });

  it('sends a credit the inbound rules cannot read to a person instead of failing (15 digits of kobo)', async () => {
    await mapAccount('4565564028');
    const credit = aCredit('4565564028', { amount: '999999999999999' }) as Json;
    expect(await notify(credit)).toEqual({ status: 200, body: ACK });
    const informational = await admin(
      `/api/cases/${encodeURIComponent(`onepipe#${credit.details.transaction_ref}`)}`,
      ANA,
    );
    expect(informational.body).toMatchObject({
      status: 'INFORMATIONAL',
      reasons: [expect.objectContaining({ rule: 'INBOUND_NOT_SCREENED' })],
    });
    await eventually(async () => savedTransactionsFor(credit.details.transaction_ref).length === 1, 'the registration');
  });

  it('parks a credit whose outcome it cannot read (no status, or an unknown word) for a person', async () => {
    await mapAccount('4565564029');
    for (const status of [null, 'OfflineNotified']) {
      const credit = aCredit('4565564029') as Json;
      credit.details.status = status;
      expect(await notify(credit)).toEqual({ status: 200, body: ACK });
      expect(await waitingForAPerson()).toEqual(
        expect.arrayContaining([expect.objectContaining({ requestRef: credit.request_ref })]),
      );
      expect(
        (await saveTransactionDeliveries()).filter((item) => item.subject === credit.details.transaction_ref),
      ).toEqual([]);
    }
  });

  it('burns a request_ref once its signature is accepted: a refused message cannot lend it to another body', async () => {
    await mapAccount('4565564016');
    const refused = aCredit('4565564016', { amount: -5 });
    expect((await notify(refused)).status).toBe(200);
    const forged = { ...aCredit('4565564016', { amount: 900_000_000 }), request_ref: refused.request_ref };
    expect(await notify(forged)).toEqual({ status: 409, body: { status: 'Failed', message: expect.any(String) } });
    expect(
      (await saveTransactionDeliveries()).filter((item) => item.subject === forged.details.transaction_ref),
    ).toEqual([]);
  });

  it('refuses our own debit report replayed as a credit, signed either way', async () => {
    await mapAccount('4565564017');
    const payment = aTransaction({ currency: 'NGN', baseCurrency: 'NGN' });
    expect((await validate(stack.apiUrl, payment)).body.status).toBe('APPROVED');
    const [report] = await eventually(
      async () =>
        nonEmpty(
          onepipe
            .requestsFor('/onepipe')
            .filter((request) => (request.body as Json).transaction?.transaction_ref === payment.id),
        ),
      'the debit report',
    );
    const requestRef = String((report?.body as Json | undefined)?.request_ref);
    // What anyone holding the report has: its body, its Signature and its Bearer key.
    const forged = { ...aCredit('4565564017', { amount: 900_000_000 }), request_ref: requestRef };
    const withItsHeaders = await notify(forged, {
      'content-type': 'application/json',
      signature: String(report?.headers.signature),
      authorization: String(report?.headers.authorization),
    });
    expect(withItsHeaders.status).toBe(401);
    // Even a correct inbound signature does not make one of our request_refs OnePipe's.
    expect((await notify(forged)).status).toBe(401);
    expect(
      (await saveTransactionDeliveries()).filter((item) => item.subject === forged.details.transaction_ref),
    ).toEqual([]);
  });
});

describe('account mappings', () => {
  it('are managed by supervisors only, complete, with a clear 400 naming what Toqio needs', async () => {
    expect((await admin('/api/account-mappings/4565564009', ANA, { method: 'PUT', body: MAPPING })).status).toBe(403);
    const { bankName: _b, corePaymentType: _c, accountType: _t, ...incomplete } = MAPPING;
    const bad = await admin('/api/account-mappings/4565564009', SAM, {
      method: 'PUT',
      body: { ...incomplete, clientType: 'PERSON', currency: 'USD' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields.map((field: Json) => field.path).sort()).toEqual([
      'accountType',
      'bankName',
      'clientType',
      'corePaymentType',
      'currency',
    ]);
    const wrongEnum = await admin('/api/account-mappings/4565564009', SAM, {
      method: 'PUT',
      body: { ...MAPPING, corePaymentType: 'NIP', accountType: 'naira' },
    });
    expect(wrongEnum.body.error.fields.map((field: Json) => field.path).sort()).toEqual([
      'accountType',
      'corePaymentType',
    ]);
    expect((await mapAccount('4565564009')).status).toBe(200);
    expect((await admin('/api/account-mappings/4565564009', SAM)).body).toMatchObject({
      ...MAPPING,
      accountNumber: '4565564009',
      updatedBy: 'sam',
      complete: true,
    });
  });

  it('need a second supervisor to change or remove an existing mapping, and keep every step in the history', async () => {
    const account = '4565564018';
    expect((await mapAccount(account)).status).toBe(200);
    const changed = { ...MAPPING, customer: 'customer-other' };
    const proposed = await mapAccount(account, changed);
    expect(proposed).toMatchObject({ status: 202, body: { status: 'PROPOSED' } });
    // Nothing changed yet, and the author cannot approve their own proposal.
    expect((await admin(`/api/account-mappings/${account}`, SAM)).body.customer).toBe(MAPPING.customer);
    expect((await admin(`/api/account-mappings/${account}/approve`, SAM, { method: 'POST' })).status).toBe(403);
    const approved = await admin(`/api/account-mappings/${account}/approve`, SUE, { method: 'POST' });
    expect(approved).toMatchObject({ status: 200, body: { status: 'CHANGED' } });
    const view = (await admin(`/api/account-mappings/${account}`, SAM)).body;
    expect(view).toMatchObject({ customer: 'customer-other', updatedBy: 'sue', version: 2, pendingChange: null });
    expect((await admin(`/api/account-mappings/${account}/approve`, SUE, { method: 'POST' })).status).toBe(404);

    expect((await admin(`/api/account-mappings/${account}`, SUE, { method: 'DELETE' })).status).toBe(202);
    expect((await admin(`/api/account-mappings/${account}/approve`, SUE, { method: 'POST' })).status).toBe(403);
    expect((await admin(`/api/account-mappings/${account}/approve`, SAM, { method: 'POST' })).body.status).toBe(
      'REMOVED',
    );
    expect((await admin(`/api/account-mappings/${account}`, SAM)).status).toBe(404);
    expect((await admin(`/api/account-mappings/${account}`, SAM, { method: 'DELETE' })).status).toBe(404);

    const history = (
      await db.send(
        new ScanCommand({
          TableName: stack.tables.history,
          FilterExpression: 'transactionId = :id',
          ExpressionAttributeValues: { ':id': `mapping#${account}` },
        }),
      )
    ).Items?.sort((a, b) => String(a.entryId).localeCompare(String(b.entryId)));
    expect(history?.map((entry) => [entry.action, entry.actor])).toEqual([
      ['MAPPING_CREATED', 'sam'],
      ['MAPPING_CHANGE_PROPOSED', 'sam'],
      ['MAPPING_CHANGED', 'sue'],
      ['MAPPING_CHANGE_PROPOSED', 'sue'],
      ['MAPPING_REMOVED', 'sam'],
    ]);
  });
});

describe('reporting approved debits to OnePipe', () => {
  const debitsFor = (transactionId: string) =>
    onepipe
      .requestsFor('/onepipe')
      .filter((request) => (request.body as Json).transaction?.transaction_ref === transactionId);

  it('reports an NGN payment approved at validate time in the OnePipe envelope, signed with our own credentials', async () => {
    const payment = aTransaction({ currency: 'NGN', baseCurrency: 'NGN' });
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
          currency: 'NGN',
          beneficiary_name: 'Business Account',
          beneficiary_account: '1234567890',
        },
        details: null,
      },
    });
    expect(report?.headers.authorization).toBe(`Bearer ${OUTBOUND_KEY}`);
    expect(report?.headers.signature).toBe(sign(body.request_ref, OUTBOUND_SECRET));
    expect(onepipe.refused).toEqual([]);
  });

  it('never reports a payment in another currency as kobo', async () => {
    const usd = aTransaction();
    const ngn = aTransaction({ currency: 'NGN', baseCurrency: 'NGN' });
    expect((await validate(stack.apiUrl, usd)).body.status).toBe('APPROVED');
    expect((await validate(stack.apiUrl, ngn)).body.status).toBe('APPROVED');
    await eventually(async () => nonEmpty(debitsFor(String(ngn.id))), 'the NGN report');
    const deliveries = (await db.send(new ScanCommand({ TableName: stack.tables.deliveries }))).Items ?? [];
    expect(deliveries.filter((item) => (item.subject ?? item.about) === usd.id && item.target === 'onepipe')).toEqual(
      [],
    );
    // The NGN approval's report is there, so the filter above can find one.
    expect(deliveries.filter((item) => (item.subject ?? item.about) === ngn.id && item.target === 'onepipe')).toEqual([
      expect.objectContaining({ status: expect.any(String) }),
    ]);
  });

  it("keeps an approval's debit report out of the subject index, and still shows it on the payment's page", async () => {
    const ngn = aTransaction({ currency: 'NGN', baseCurrency: 'NGN' });
    expect((await validate(stack.apiUrl, ngn)).body.status).toBe('APPROVED');
    await eventually(async () => nonEmpty(debitsFor(String(ngn.id))), 'the NGN report');
    const [row] = await outboxFor(String(ngn.id), 'onepipe');
    // Stored without the index's key: validate's transaction writes no subject-index item for it.
    expect(row).toMatchObject({ about: ngn.id, target: 'onepipe' });
    expect(row?.subject).toBeUndefined();
    const decision = (
      await db.send(new GetCommand({ TableName: stack.tables.decisions, Key: { transactionId: ngn.id } }))
    ).Item;
    expect(decision?.deliveryIds).toEqual([row?.deliveryId]);
    // The page finds it by the id the decision keeps, with its subject as the domain knows it.
    const page = (await admin(`/api/cases/${ngn.id}`, ANA)).body;
    await eventually(
      async () => ((await admin(`/api/cases/${ngn.id}`, ANA)).body.deliveries as Json[])[0]?.status === 'DELIVERED',
      'the report shown as delivered',
    );
    expect(page.deliveries).toEqual([
      expect.objectContaining({ deliveryId: row?.deliveryId, subject: ngn.id, target: 'onepipe' }),
    ]);
  });

  it('says so in the case when an approved payment is not reported (another currency)', async () => {
    const usd = aTransaction();
    expect((await validate(stack.apiUrl, usd)).body.status).toBe('APPROVED');
    const atValidate = (await admin(`/api/cases/${usd.id}`, ANA)).body;
    expect(atValidate.history).toEqual([
      expect.objectContaining({
        action: 'NOTED',
        actor: 'system:onepipe',
        details: { text: expect.stringMatching(/^Not reported to OnePipe: the payment is in USD; .* NGN /) },
      }),
    ]);

    const reviewed = aTransaction({ baseTotal: 20_000, total: 20_000 });
    await validate(stack.apiUrl, reviewed);
    await admin(`/api/cases/${reviewed.id}/decision`, ANA, {
      method: 'POST',
      body: { status: 'APPROVED', reason: 'Checked' },
    });
    const decided = (await admin(`/api/cases/${reviewed.id}`, ANA)).body;
    expect(decided.history.find((entry: Json) => entry.action === 'DECIDED')?.details).toMatchObject({
      onepipeReport: expect.stringMatching(/^Not reported to OnePipe: the payment is in USD/),
    });
    expect(await outboxFor(String(reviewed.id), 'onepipe')).toEqual([]);
  });

  it('reports a payment approved after review, and never a rejected one', async () => {
    const approved = aTransaction({ baseTotal: 20_000, total: 20_000, currency: 'NGN', baseCurrency: 'NGN' });
    const rejected = aTransaction({ baseTotal: 20_000, total: 20_000, currency: 'NGN', baseCurrency: 'NGN' });
    await validate(stack.apiUrl, approved);
    await validate(stack.apiUrl, rejected);
    // Pending: nothing is owed to OnePipe yet.
    expect(await outboxFor(String(approved.id), 'onepipe')).toEqual([]);
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
    expect(await outboxFor(String(rejected.id), 'onepipe')).toEqual([]);
  });
});

describe('the Toqio contract', () => {
  it('holds for every SAVE_TRANSACTION this suite sent: the seed’s mandatory fields, enums and types', async () => {
    const deliveries = await saveTransactionDeliveries();
    expect(deliveries.length).toBeGreaterThan(5);
    for (const delivery of deliveries) {
      expect({
        subject: delivery.subject,
        problems: saveTransactionProblems(JSON.parse(String(delivery.payload))),
      }).toEqual({
        subject: delivery.subject,
        problems: [],
      });
      expect(delivery.status).not.toBe('DEAD');
    }
  });
});
