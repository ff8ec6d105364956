import { aTransaction } from '../fixtures/transactions.js';
import { adminFunction, bodyOf, type HandlerResources, handlerResources, validateFunction } from './resources.js';

const ANA = 'Bearer handler-test-analyst-0001';
const SAM = 'Bearer handler-test-supervisor-0001';
let resources: HandlerResources;
/** A request to the admin Function URL (the same v2.0 event format as the HTTP API). */
let admin: ReturnType<typeof adminFunction>;
let validate: Awaited<ReturnType<typeof validateFunction>>;

beforeAll(async () => {
  resources = await handlerResources({ outboxStream: true });
  admin = adminFunction(resources, {
    ADMIN_TOKENS: 'ana:analyst:handler-test-analyst-0001,sam:supervisor:handler-test-supervisor-0001',
    ADMIN_SIGNIN_MAX_FAILURES: '2',
  });
  validate = await validateFunction(resources);
});
afterAll(() => resources.destroy());

const openCase = async () => {
  const payload = aTransaction({ baseTotal: 20_000 });
  expect(bodyOf(await validate(payload)).status).toBe('PENDING_EXTERNAL_APPROVAL');
  return String(payload.id);
};

describe('admin', () => {
  it('lists the pending cases to an analyst with a token', async () => {
    const transactionId = await openCase();
    const response = await admin('GET', '/api/cases', { authorization: ANA });
    expect(response.statusCode).toBe(200);
    expect(bodyOf(response).items).toContainEqual(
      expect.objectContaining({
        transactionId,
        caseStatus: expect.any(String),
        status: 'PENDING_EXTERNAL_APPROVAL',
        baseAmount: 20_000,
        reasons: [expect.objectContaining({ rule: 'large-amount' })],
      }),
    );
  });

  it.each([
    ['without a token', {}],
    ['with an unknown token', { authorization: 'Bearer not-a-token-anyone-holds' }],
  ])('answers 401 %s and shows no case', async (_name, headers) => {
    await openCase();
    const response = await admin('GET', '/api/cases', headers, undefined, '198.51.100.1');
    expect(response.statusCode).toBe(401);
    expect(bodyOf(response)).toEqual({ error: { code: 'UNAUTHORIZED', message: expect.any(String) } });
  });

  it('counts failed sign-ins per source address in storage: past the limit even a good token waits (429)', async () => {
    const guesser = '198.51.100.2';
    for (let guess = 0; guess < 2; guess++) {
      const wrong = await admin(
        'GET',
        '/api/cases',
        { authorization: `Bearer guess-${guess}-of-a-token` },
        undefined,
        guesser,
      );
      expect(wrong.statusCode).toBe(401);
    }
    const blocked = await admin('GET', '/api/cases', { authorization: ANA }, undefined, guesser);
    expect(blocked.statusCode).toBe(429);
    expect(Number(blocked.headers?.['retry-after'])).toBeGreaterThan(0);
    // Another address is not held back by the guesser's failures.
    expect((await admin('GET', '/api/cases', { authorization: ANA }, undefined, '198.51.100.3')).statusCode).toBe(200);
  });

  it('records a decision on a case and queues the status update Toqio is owed', async () => {
    const transactionId = await openCase();
    const response = await admin(
      'POST',
      `/api/cases/${transactionId}/decision`,
      { authorization: SAM },
      {
        status: 'REJECTED',
        reason: 'beneficiary could not be verified',
      },
    );
    expect(response.statusCode).toBe(200);
    expect(await resources.item('decisions', { transactionId })).toMatchObject({
      status: 'REJECTED',
      reviewStage: 'FINAL',
      decidedBy: 'sam',
    });
    const [queued, ...more] = await resources.receive('deliveries');
    expect(more).toEqual([]);
    const update = await resources.item('deliveries', { deliveryId: String(queued?.deliveryId) });
    expect(update).toMatchObject({ target: 'toqio', subject: transactionId });
    expect(JSON.parse(String(update?.payload))).toMatchObject({ transactionId, status: 'REJECTED' });
  });
});
