import { randomUUID } from 'node:crypto';
import { GetCommand, QueryCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unpackDecision } from '../../functions/adapters/decision-items.js';
import type { LocalStack } from '../../local/stack.js';
import { aNewBeneficiary, aTransaction, seedExample } from '../fixtures/transactions.js';
import { startTestStack, testDocumentClient, validate } from './stack.js';

const db = testDocumentClient();
let stack: LocalStack;

beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack.stop();
  db.destroy();
});

/** A decision item as stored. */
const storedItem = async (transactionId: string) =>
  (await db.send(new GetCommand({ TableName: stack.tables.decisions, Key: { transactionId } }))).Item;
/** A decision item with what it was decided on unpacked, as the readers see it. */
const stored = async (transactionId: string) =>
  unpackDecision(await storedItem(transactionId)) as
    | { facts: { beneficiary: { firstTime: boolean } }; [key: string]: unknown }
    | undefined;

const counter = async (pk: string) =>
  (await db.send(new GetCommand({ TableName: stack.tables.counters, Key: { pk } }))).Item;

describe('POST /transaction/validate', () => {
  it('approves the seed example and stores the whole decision', async () => {
    const payload = seedExample();
    const response = await validate(stack.apiUrl, payload);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'APPROVED', transactionId: payload.id, reasons: [] });
    expect(response.headers.get('server-timing')).toMatch(/^rules;dur=[\d.]+, storage;dur=[\d.]+, total;dur=[\d.]+$/);

    const item = await stored(String(payload.id));
    expect(item).toMatchObject({
      status: 'APPROVED',
      customer: 'Jane Smith',
      baseAmount: 250.75,
      ruleSetVersion: expect.any(String),
      transaction: { direction: 'OUTBOUND', beneficiaryKey: 'iban:US98765432109876543210' },
      facts: { beneficiary: { firstTime: true }, velocity: { customer: { h24: { count: 1, sum: 250.75 } } } },
    });
    // Nothing reads the timings from storage (they are in the log and the Server-Timing header).
    expect(item?.timings).toBeUndefined();
    // The transaction, the facts and the raw payload are stored once, packed together and
    // compressed, and the raw payload comes back exactly as Toqio sent it.
    const asStored = await storedItem(String(payload.id));
    expect(asStored?.packed).toBeInstanceOf(Uint8Array);
    for (const plain of ['rawJson', 'raw', 'transaction', 'facts']) expect(asStored?.[plain]).toBeUndefined();
    expect(JSON.parse(String(item?.rawJson))).toEqual(payload);
    expect(item?.createdAt).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('answers 401 when the API key is missing or wrong, and stores nothing', async () => {
    const payload = aTransaction();
    for (const headers of [{}, { 'x-api-key': 'wrong-key' }] as Record<string, string>[]) {
      const response = await validate(stack.apiUrl, payload, headers);
      expect(response.status).toBe(401);
      expect(response.body).toEqual({ error: { code: 'UNAUTHORIZED', message: expect.any(String) } });
    }
    expect(await stored(String(payload.id))).toBeUndefined();
  });

  it('answers 400 naming the fields for a schema error, and stores nothing', async () => {
    const payload = aTransaction({ total: '12.00', baseTotal: -3 });
    const response = await validate(stack.apiUrl, payload);
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('VALIDATION_FAILED');
    expect(response.body.error.fields.map((field: { path: string }) => field.path).sort()).toEqual([
      'baseTotal',
      'total',
    ]);
    expect(await stored(String(payload.id))).toBeUndefined();
  });

  it.each([
    ['bad JSON', '{"id": ', 'INVALID_JSON'],
    ['a non-object body', '[1,2]', 'INVALID_BODY'],
    ['an empty body', '', 'INVALID_JSON'],
    ['a missing id', '{"total": 5}', 'VALIDATION_FAILED'],
  ])('answers 400 for %s', async (_name, body, code) => {
    const response = await validate(stack.apiUrl, body);
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe(code);
  });

  it('answers 413 for a body over 256 KB', async () => {
    const payload = aTransaction({ concept: 'x'.repeat(256 * 1024) });
    const response = await validate(stack.apiUrl, payload);
    expect(response.status).toBe(413);
    expect(await stored(String(payload.id))).toBeUndefined();
  });

  it('answers a retried call with the stored decision, counting the payment once', async () => {
    const customer = `cust-${Date.now()}`;
    const payload = aTransaction({ customer });
    const first = await validate(stack.apiUrl, payload);
    const again = await validate(stack.apiUrl, { ...payload, baseTotal: 999999 });
    expect(again.body).toEqual(first.body);
    const counts = await counter(`cust#${customer}`);
    const h24 = Object.entries(counts ?? {}).filter(([name]) => name.startsWith('c_h24_'));
    expect(h24.map(([, value]) => value)).toEqual([1]);
  });

  it('gives concurrent duplicates one decision: all 200, same answer, counted once', async () => {
    const customer = `cust-concurrent-${Date.now()}`;
    const payload = aTransaction({ customer, baseTotal: 15000, total: 15000 });
    const responses = await Promise.all(Array.from({ length: 12 }, () => validate(stack.apiUrl, payload)));
    expect(responses.map((r) => r.status)).toEqual(Array(12).fill(200));
    expect(new Set(responses.map((r) => JSON.stringify(r.body))).size).toBe(1);
    expect(responses[0]?.body.status).toBe('PENDING_EXTERNAL_APPROVAL');
    const counts = await counter(`cust#${customer}`);
    const sums = Object.entries(counts ?? {}).filter(([name]) => name.startsWith('s_d7_'));
    expect(sums.map(([, value]) => value)).toEqual([15_000_000]);
  });

  it('holds the fifth first-time beneficiary of a customer within 24 hours', async () => {
    const customer = `cust-benef-${Date.now()}`;
    const statuses: string[] = [];
    for (let i = 0; i < 5; i++) {
      const response = await validate(stack.apiUrl, aTransaction({ customer, destinationAccount: aNewBeneficiary() }));
      statuses.push(response.body.status);
    }
    expect(statuses).toEqual(['APPROVED', 'APPROVED', 'APPROVED', 'APPROVED', 'PENDING_EXTERNAL_APPROVAL']);
    // Paying a known beneficiary again is not a first-time payment.
    const known = aNewBeneficiary();
    const other = `cust-known-${Date.now()}`;
    await validate(stack.apiUrl, aTransaction({ customer: other, destinationAccount: known }));
    const second = await validate(stack.apiUrl, aTransaction({ customer: other, destinationAccount: known }));
    const item = await stored(second.body.transactionId);
    expect(item?.facts.beneficiary.firstTime).toBe(false);
  });

  it('rejects a payment to a call-for-action country and does not count it', async () => {
    const customer = `cust-kp-${Date.now()}`;
    const response = await validate(
      stack.apiUrl,
      aTransaction({ customer, destinationAccount: { countryCode: 'KP' } }),
    );
    expect(response.body).toMatchObject({ status: 'REJECTED', reasons: [{ rule: 'fatf-call-for-action-country' }] });
    expect(await counter(`cust#${customer}`)).toBeUndefined();
  });

  it('lists pending decisions oldest first through the case index, which holds cases only', async () => {
    const first = aTransaction({ baseTotal: 20000 });
    const second = aTransaction({ baseTotal: 30000 });
    const automatic = aTransaction({ baseTotal: 20, customer: `auto-${randomUUID()}` });
    await validate(stack.apiUrl, first);
    await validate(stack.apiUrl, second);
    expect((await validate(stack.apiUrl, automatic)).body.status).toBe('APPROVED');
    const inIndex = async (status: string) => {
      const result = await db.send(
        new QueryCommand({
          TableName: stack.tables.decisions,
          IndexName: 'byCaseStatus',
          KeyConditionExpression: '#s = :s',
          ExpressionAttributeNames: { '#s': 'caseStatus' },
          ExpressionAttributeValues: { ':s': status },
        }),
      );
      return (result.Items ?? []).map((item) => item.transactionId);
    };
    const ids = await inIndex('PENDING_EXTERNAL_APPROVAL');
    expect(ids.indexOf(first.id)).toBeGreaterThanOrEqual(0);
    expect(ids.indexOf(first.id)).toBeLessThan(ids.indexOf(second.id));
    // A decision that opened no case costs no write in the index (sparse: it has no caseStatus).
    expect(await inIndex('APPROVED')).not.toContain(automatic.id);
  });

  it('answers a retry after a final decision with the final status', async () => {
    const payload = aTransaction({ baseTotal: 20000 });
    expect((await validate(stack.apiUrl, payload)).body.status).toBe('PENDING_EXTERNAL_APPROVAL');
    await db.send(
      new UpdateCommand({
        TableName: stack.tables.decisions,
        Key: { transactionId: payload.id },
        UpdateExpression: 'SET #s = :s, reasons = :r',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':s': 'APPROVED', ':r': [{ rule: 'ANALYST', description: 'Checked invoice' }] },
      }),
    );
    expect((await validate(stack.apiUrl, payload)).body).toEqual({
      status: 'APPROVED',
      transactionId: payload.id,
      reasons: [{ rule: 'ANALYST', description: 'Checked invoice' }],
    });
  });

  it('stores nothing for refused calls at all', async () => {
    const before = (await db.send(new ScanCommand({ TableName: stack.tables.decisions, Select: 'COUNT' }))).Count;
    await validate(stack.apiUrl, '{oops');
    await validate(stack.apiUrl, aTransaction(), { 'x-api-key': 'nope' });
    const after = (await db.send(new ScanCommand({ TableName: stack.tables.decisions, Select: 'COUNT' }))).Count;
    expect(after).toBe(before);
  });
});

describe('GET /health', () => {
  it('reports the rule set version and storage latency', async () => {
    const response = await fetch(`${stack.apiUrl}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      status: 'ok',
      ruleSetVersion: expect.any(String),
      storage: { status: 'ok' },
    });
  });

  it('answers 404 for a route that does not exist', async () => {
    expect((await fetch(`${stack.apiUrl}/nope`)).status).toBe(404);
  });
});
