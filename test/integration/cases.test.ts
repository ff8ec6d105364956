import type { LocalStack } from '../../local/stack.js';
import { eventually } from '../fixtures/receiver.js';
import { aTransaction } from '../fixtures/transactions.js';
import { startTestStack, validate } from './stack.js';

// biome-ignore lint/suspicious/noExplicitAny: tests read API answers loosely and assert on them.
type Json = Record<string, any>;

const ANA = 'Bearer local-analyst-token-0001'; // analyst
const SAM = 'Bearer local-supervisor-token-0001'; // supervisor
const KIM = 'Bearer local-supervisor-token-0002'; // a second supervisor
const BEN = 'Bearer local-analyst-token-0002'; // a second analyst

let stack: LocalStack;

beforeAll(async () => {
  process.env.ADMIN_TOKENS = [
    'ana:analyst:local-analyst-token-0001',
    'ben:analyst:local-analyst-token-0002',
    'sam:supervisor:local-supervisor-token-0001',
    'kim:supervisor:local-supervisor-token-0002',
  ].join(',');
  stack = await startTestStack();
});
afterAll(async () => {
  await stack.stop();
  delete process.env.ADMIN_TOKENS;
});

const call = async (path: string, token: string | undefined, init: { method?: string; body?: unknown } = {}) => {
  const response = await fetch(`${stack.adminUrl}${path}`, {
    method: init.method ?? 'GET',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: token } : {}) },
    ...(init.body === undefined ? {} : { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) }),
  });
  return { status: response.status, body: (await response.json()) as Json };
};

const post = (path: string, token: string, body: unknown = {}) => call(path, token, { method: 'POST', body });

/** A payment the rules hold for review: a new pending case. */
const pendingCase = async (changes: Json = {}) => {
  const payload = aTransaction({ baseTotal: 20_000, total: 20_000, ...changes });
  const answer = await validate(stack.apiUrl, payload);
  expect(answer.body.status).toBe('PENDING_EXTERNAL_APPROVAL');
  return String(payload.id);
};

const toqioWebhooksFor = (transactionId: string) =>
  stack.toqioWebhooks.filter((webhook) => (webhook.body as Json).transactionId === transactionId);

describe('case API: who may call it', () => {
  it('answers 401 without or with an unknown token, with the error shape', async () => {
    const none = await call('/api/cases', undefined);
    expect(none).toEqual({ status: 401, body: { error: { code: 'UNAUTHORIZED', message: expect.any(String) } } });
    expect((await call('/api/cases', 'Bearer not-a-token')).status).toBe(401);
    expect((await call('/api/cases', 'Basic YWRtaW46YWRtaW4=')).status).toBe(401);
  });

  it('serves the OpenAPI contract without a token', async () => {
    const response = await fetch(`${stack.adminUrl}/api/openapi.json`);
    expect(response.status).toBe(200);
    expect(((await response.json()) as Json).paths['/api/cases/{transactionId}/decision']).toBeDefined();
  });

  it('answers 404 for an unknown case and 400 for a bad query', async () => {
    expect((await call('/api/cases/no-such-case', ANA)).status).toBe(404);
    expect(
      (await post('/api/cases/no-such-case/decision', ANA, { status: 'APPROVED', reason: 'ok then' })).status,
    ).toBe(404);
    const bad = await call('/api/cases?status=MAYBE&minAmount=-5', ANA);
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields.map((field: Json) => field.path).sort()).toEqual(['minAmount', 'status']);
  });
});

describe('case queue', () => {
  it('lists pending cases oldest first with amount, SLA and rule hits, and pages with a cursor', async () => {
    const customer = `queue-${Date.now()}`;
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push(await pendingCase({ customer }));
    const first = await call(`/api/cases?customer=${customer}&limit=2`, ANA);
    expect(first.status).toBe(200);
    expect(first.body.items.map((item: Json) => item.transactionId)).toEqual(ids.slice(0, 2));
    expect(first.body.items[0]).toMatchObject({
      caseStatus: 'PENDING',
      baseAmount: 20_000,
      reasons: [{ rule: 'large-amount', description: expect.any(String) }],
      claimedBy: null,
      sla: { atRisk: false, expired: false, remainingMs: expect.any(Number) },
    });
    const second = await call(`/api/cases?customer=${customer}&limit=2&cursor=${first.body.nextCursor}`, ANA);
    expect(second.body.items.map((item: Json) => item.transactionId)).toEqual([ids[2]]);
  });

  it('filters by minimum amount, rule and age', async () => {
    const customer = `filters-${Date.now()}`;
    const small = await pendingCase({ customer, baseTotal: 12_000 });
    const big = await pendingCase({ customer, baseTotal: 60_000 });
    const byAmount = await call(`/api/cases?customer=${customer}&minAmount=50000`, ANA);
    expect(byAmount.body.items.map((item: Json) => item.transactionId)).toEqual([big]);
    const byRule = await call(`/api/cases?customer=${customer}&rule=customer-daily-volume`, ANA);
    expect(byRule.body.items.map((item: Json) => item.transactionId)).toEqual([big]);
    const byAge = await call(`/api/cases?customer=${customer}&olderThanHours=1`, ANA);
    expect(byAge.body.items).toEqual([]);
    expect(
      (await call(`/api/cases?customer=${customer}`, ANA)).body.items.map((item: Json) => item.transactionId),
    ).toEqual([small, big]);
  });
});

describe('a case', () => {
  it('shows the transaction, facts, reasons, customer history, notes, history and deliveries', async () => {
    const customer = `full-${Date.now()}`;
    await validate(stack.apiUrl, aTransaction({ customer }));
    const id = await pendingCase({ customer });
    const response = await call(`/api/cases/${id}`, ANA);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      transactionId: id,
      caseStatus: 'PENDING',
      transaction: { direction: 'OUTBOUND', baseAmount: 20_000 },
      facts: { velocity: { customer: { h24: { count: 2 } } }, beneficiary: { firstTime: expect.any(Boolean) } },
      hits: [{ rule: 'large-amount', outcome: 'REVIEW' }],
      payload: { id, customer },
      customerHistory: [{ status: 'APPROVED' }],
      notes: [],
      history: [{ action: 'CREATED', actor: 'system:rules', after: { reviewStage: 'FIRST' } }],
      deliveries: [],
    });
  });

  it('keeps notes in the history, oldest first', async () => {
    const id = await pendingCase();
    expect((await post(`/api/cases/${id}/notes`, ANA, { text: 'Called the customer' })).status).toBe(201);
    const after = await post(`/api/cases/${id}/notes`, BEN, { text: 'Invoice attached' });
    expect(after.body.notes.map((note: Json) => [note.by, note.text])).toEqual([
      ['ana', 'Called the customer'],
      ['ben', 'Invoice attached'],
    ]);
    expect((await post(`/api/cases/${id}/notes`, ANA, { text: '' })).status).toBe(400);
  });

  it('lets one analyst hold a case: others get 409, a supervisor may release it', async () => {
    const id = await pendingCase();
    const claimed = await post(`/api/cases/${id}/claim`, ANA);
    expect(claimed.body).toMatchObject({ claimedBy: 'ana' });
    expect((await post(`/api/cases/${id}/claim`, BEN)).status).toBe(409);
    expect((await post(`/api/cases/${id}/release`, BEN)).status).toBe(409);
    expect((await post(`/api/cases/${id}/decision`, BEN, { status: 'APPROVED', reason: 'looks fine' })).status).toBe(
      409,
    );
    const released = await post(`/api/cases/${id}/release`, SAM);
    expect(released.body.claimedBy).toBeNull();
    expect(released.body.history.map((entry: Json) => entry.action)).toEqual(['CREATED', 'CLAIMED', 'RELEASED']);
  });

  it('refuses an invalid decision with 400 and changes nothing', async () => {
    const id = await pendingCase();
    for (const body of [
      { status: 'MAYBE', reason: 'hmm' },
      { status: 'APPROVED' },
      { status: 'APPROVED', reason: ' ' },
      '{oops',
    ]) {
      expect((await post(`/api/cases/${id}/decision`, ANA, body)).status).toBe(400);
    }
    const still = await call(`/api/cases/${id}`, ANA);
    expect(still.body).toMatchObject({ caseStatus: 'PENDING', version: 1, history: [{ action: 'CREATED' }] });
  });
});

describe('deciding a case', () => {
  it('approves below the four-eyes threshold: final, history, webhook to Toqio, and validate answers the final status', async () => {
    const id = await pendingCase();
    const decided = await post(`/api/cases/${id}/decision`, ANA, { status: 'APPROVED', reason: 'Invoice checked' });
    expect(decided.status).toBe(200);
    expect(decided.body).toMatchObject({
      caseStatus: 'APPROVED',
      decidedBy: 'ana',
      finalReason: 'Invoice checked',
      sla: null,
    });
    const webhook = await eventually(async () => toqioWebhooksFor(id)[0], 'the Toqio webhook');
    expect(webhook.type).toBe('TRANSACTION_MONITORING_STATUS_UPDATED');
    expect(webhook.body).toEqual({
      transactionId: id,
      status: 'APPROVED',
      reason: 'Invoice checked',
      decidedAt: expect.any(String),
      decidedBy: 'ana',
    });
    expect(webhook.headers['x-api-key']).toBe('local-toqio-api-key-change-me');
    const after = await eventually(async () => {
      const view = await call(`/api/cases/${id}`, ANA);
      return view.body.history.some((entry: Json) => entry.action === 'DELIVERED') ? view : undefined;
    }, 'the DELIVERED history entry');
    expect(after.body.history.map((entry: Json) => entry.action)).toEqual(['CREATED', 'DECIDED', 'DELIVERED']);
    expect(after.body.history[1]).toMatchObject({
      actor: 'ana',
      before: { status: 'PENDING_EXTERNAL_APPROVAL' },
      after: { status: 'APPROVED', reviewStage: 'FINAL' },
    });
    expect(after.body.deliveries).toEqual([expect.objectContaining({ status: 'DELIVERED', attemptCount: 1 })]);
    const retried = await validate(stack.apiUrl, { id, baseTotal: 20_000 });
    expect(retried.body.status).toBe('APPROVED');
  });

  it('answers 409 to a decision on a case that is already final', async () => {
    const id = await pendingCase();
    await post(`/api/cases/${id}/decision`, ANA, { status: 'REJECTED', reason: 'Mule pattern' });
    const again = await post(`/api/cases/${id}/decision`, ANA, { status: 'APPROVED', reason: 'changed my mind' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('CONFLICT');
  });

  it('makes exactly one final decision out of concurrent ones, with one webhook', async () => {
    const id = await pendingCase();
    const attempts = await Promise.all(
      [ANA, BEN, SAM, KIM, ANA, BEN].map((token, index) =>
        post(`/api/cases/${id}/decision`, token, {
          status: index % 2 ? 'REJECTED' : 'APPROVED',
          reason: `decision ${index}`,
        }),
      ),
    );
    const statuses = attempts.map((attempt) => attempt.status).sort();
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status !== 200).every((status) => status === 409)).toBe(true);
    const view = await call(`/api/cases/${id}`, ANA);
    expect(view.body.history.filter((entry: Json) => entry.action === 'DECIDED')).toHaveLength(1);
    expect(view.body.deliveries).toHaveLength(1);
  });

  it('needs two different people at or above the four-eyes threshold', async () => {
    const id = await pendingCase({ baseTotal: 150_000, total: 150_000 });
    const first = await post(`/api/cases/${id}/decision`, ANA, { status: 'APPROVED', reason: 'Known supplier' });
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({
      caseStatus: 'AWAITING_SECOND_APPROVAL',
      status: 'PENDING_EXTERNAL_APPROVAL',
      fourEyes: true,
      firstDecision: { status: 'APPROVED', by: 'ana', reason: 'Known supplier' },
      deliveries: [],
    });
    expect((await validate(stack.apiUrl, { id })).body.status).toBe('PENDING_EXTERNAL_APPROVAL');
    const queue = await call('/api/cases?status=AWAITING_SECOND_APPROVAL&minAmount=150000', ANA);
    expect(queue.body.items.map((item: Json) => item.transactionId)).toContain(id);

    const same = await post(`/api/cases/${id}/decision`, ANA, { status: 'APPROVED', reason: 'me again' });
    expect(same.status).toBe(403);
    expect(same.body.error.message).toMatch(/different person/);
    expect(
      (await post(`/api/cases/${id}/decision`, BEN, { status: 'APPROVED', reason: 'second analyst' })).status,
    ).toBe(403);

    const second = await post(`/api/cases/${id}/decision`, SAM, { status: 'APPROVED', reason: 'Confirmed with KYC' });
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ caseStatus: 'APPROVED', decidedBy: 'sam' });
    expect(second.body.history.map((entry: Json) => entry.action)).toEqual(['CREATED', 'FIRST_APPROVAL', 'DECIDED']);
    const webhook = await eventually(async () => toqioWebhooksFor(id)[0], 'the Toqio webhook');
    expect(webhook.body).toMatchObject({ status: 'APPROVED', decidedBy: 'sam' });
  });

  it('never lets a later change touch history entries: each change only appends', async () => {
    const id = await pendingCase();
    const before = (await call(`/api/cases/${id}`, ANA)).body.history;
    await post(`/api/cases/${id}/claim`, ANA);
    await post(`/api/cases/${id}/notes`, ANA, { text: 'checking' });
    const after = (await call(`/api/cases/${id}`, ANA)).body.history;
    expect(after.slice(0, before.length)).toEqual(before);
    expect(after.map((entry: Json) => entry.action)).toEqual(['CREATED', 'CLAIMED', 'NOTED']);
  });
});
