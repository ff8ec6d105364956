import { unpackDecision } from '#adapters/decision-items.js';
import { aTransaction } from '../fixtures/transactions.js';
import { bodyOf, type HandlerResources, handlerResources, validateFunction } from './resources.js';

let resources: HandlerResources;
let validate: Awaited<ReturnType<typeof validateFunction>>;

beforeAll(async () => {
  resources = await handlerResources();
  validate = await validateFunction(resources);
});
afterAll(() => resources.destroy());

/** A stored decision as its readers see it (what it was decided on unpacked). */
const stored = async (transactionId: unknown) =>
  unpackDecision(await resources.item('decisions', { transactionId: String(transactionId) }));

describe('validate', () => {
  it('approves an ordinary payment and stores the decision', async () => {
    const payload = aTransaction();
    const response = await validate(payload);
    expect(response.statusCode).toBe(200);
    expect(bodyOf(response)).toEqual({ status: 'APPROVED', transactionId: payload.id, reasons: [] });
    expect(await stored(payload.id)).toMatchObject({
      status: 'APPROVED',
      customer: 'Jane Smith',
      facts: { velocity: { customer: { h24: { count: 1 } } } },
    });
  });

  it('answers PENDING_EXTERNAL_APPROVAL for a large amount and opens a case', async () => {
    const payload = aTransaction({ baseTotal: 20_000 });
    const response = await validate(payload);
    expect(response.statusCode).toBe(200);
    expect(bodyOf(response)).toMatchObject({
      status: 'PENDING_EXTERNAL_APPROVAL',
      transactionId: payload.id,
      reasons: [expect.objectContaining({ rule: 'large-amount' })],
    });
    expect(await stored(payload.id)).toMatchObject({ status: 'PENDING_EXTERNAL_APPROVAL', baseAmount: 20_000 });
    expect((await resources.history(String(payload.id))).map((entry) => entry.action)).toEqual(['CREATED']);
  });

  it('answers 400 naming the bad fields, and stores nothing', async () => {
    const payload = aTransaction({ total: '12.00', baseTotal: -3 });
    const response = await validate(payload);
    expect(response.statusCode).toBe(400);
    const { error } = bodyOf(response);
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.fields.map((field: { path: string }) => field.path).sort()).toEqual(['baseTotal', 'total']);
    expect(await stored(payload.id)).toBeUndefined();
  });

  it.each([
    ['missing', {}],
    ['wrong', { 'x-api-key': 'not-the-toqio-key-at-all' }],
  ])('answers 401 when the API key is %s, and stores nothing', async (_name, headers) => {
    const payload = aTransaction();
    const response = await validate(payload, headers);
    expect(response.statusCode).toBe(401);
    expect(bodyOf(response)).toEqual({ error: { code: 'UNAUTHORIZED', message: expect.any(String) } });
    expect(await stored(payload.id)).toBeUndefined();
  });
});
