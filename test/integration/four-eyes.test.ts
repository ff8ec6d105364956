import { randomUUID } from 'node:crypto';
import { ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { signProviderWebhook } from '../../functions/domain/providers/webhook.js';
import type { LocalStack } from '../../local/stack.js';
import { startFakeProvider } from '../fixtures/fake-provider.js';
import { eventually } from '../fixtures/receiver.js';
import { aTransaction } from '../fixtures/transactions.js';
import { startTestStack, testDocumentClient, validate } from './stack.js';

// biome-ignore lint/suspicious/noExplicitAny: tests read API answers loosely and assert on them.
type Json = Record<string, any>;

/**
 * Four-eyes means two people agree: no payment at or above FOUR_EYES_THRESHOLD is approved by one
 * person, by a provider, by the SLA sweeper, or by one person racing themselves.
 */
const ANA = 'Bearer local-analyst-token-0001';
const SAM = 'Bearer local-supervisor-token-0001';
const KIM = 'Bearer local-supervisor-token-0002';
const LEE = 'Bearer local-supervisor-token-0003';
const WEBHOOK_SECRET = 'provider-webhook-secret-for-four-eyes';
const SETTINGS = {
  ADMIN_TOKENS: [
    'ana:analyst:local-analyst-token-0001',
    'sam:supervisor:local-supervisor-token-0001',
    'kim:supervisor:local-supervisor-token-0002',
    'lee:supervisor:local-supervisor-token-0003',
  ].join(','),
  FOUR_EYES_THRESHOLD: '100000',
  PENDING_SLA: '1h',
  PENDING_SLA_POLICY: 'APPROVED',
  TM_PROVIDER: 'http',
  TM_PROVIDER_MODE: 'both',
  PROVIDER_WEBHOOK_SECRET: WEBHOOK_SECRET,
};
const db = testDocumentClient();
let stack: LocalStack;
let acme: Awaited<ReturnType<typeof startFakeProvider>>;

beforeAll(async () => {
  acme = await startFakeProvider();
  Object.assign(process.env, SETTINGS, {
    HTTP_PROVIDER_CONFIG: JSON.stringify({
      name: 'acme',
      url: `${acme.url}/v1/screen`,
      auth: { type: 'apiKey', header: 'x-api-key', key: 'acme-key-for-four-eyes' },
      request: { transactionId: 'tx.id', amount: 'tx.baseAmount' },
      response: { statusPath: 'decision', statusMap: { pass: 'APPROVED', review: 'PENDING', fail: 'REJECTED' } },
    }),
  });
  stack = await startTestStack();
});
afterAll(async () => {
  await stack.stop();
  await acme.close();
  db.destroy();
  for (const name of [...Object.keys(SETTINGS), 'HTTP_PROVIDER_CONFIG']) delete process.env[name];
});

const call = async (path: string, token: string, init: { method?: string; body?: unknown } = {}) => {
  const response = await fetch(`${stack.adminUrl}${path}`, {
    method: init.method ?? 'GET',
    headers: { 'content-type': 'application/json', authorization: token },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  return { status: response.status, body: (await response.json()) as Json };
};
const decide = (id: string, token: string, status: 'APPROVED' | 'REJECTED', reason = `${status} after review`) =>
  call(`/api/cases/${id}/decision`, token, { method: 'POST', body: { status, reason } });
const view = async (id: string) => (await call(`/api/cases/${id}`, ANA)).body;
const toqioWebhooksFor = (id: string) =>
  stack.toqioWebhooks.filter((webhook) => (webhook.body as Json).transactionId === id);
/**
 * What Toqio is owed about a case: the outbox rows, written in the decision's own transaction
 * before the API answers. Empty right after a call proves no webhook will follow; Toqio's inbox
 * could only show that none has arrived yet.
 */
const owedToToqio = async (id: string) =>
  ((await db.send(new ScanCommand({ TableName: stack.tables.deliveries }))).Items ?? []).filter(
    (item) => (item.subject ?? item.about) === id && item.target === 'toqio',
  );

/** A payment the provider holds for review: a pending case of the given amount. */
const pendingCase = async (amount: number) => {
  const payload = aTransaction({ customer: `c-${randomUUID()}`, baseTotal: amount, total: amount });
  acme.script(String(payload.id), { body: { decision: 'review' } });
  expect((await validate(stack.apiUrl, payload)).body.status).toBe('PENDING_EXTERNAL_APPROVAL');
  return String(payload.id);
};

const providerWebhook = async (body: Json) => {
  const raw = JSON.stringify(body);
  const response = await fetch(`${stack.apiUrl}/providers/acme/webhook`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-tm-proxy-signature': signProviderWebhook(WEBHOOK_SECRET, Math.floor(Date.now() / 1000), raw),
    },
    body: raw,
  });
  return { status: response.status, body: (await response.json()) as Json };
};

describe('four-eyes', () => {
  it('sends a rejection followed by an approval to a third person, who alone can decide', async () => {
    const id = await pendingCase(150_000);
    expect((await decide(id, SAM, 'REJECTED', 'source of funds unclear')).status).toBe(202);
    const second = await decide(id, KIM, 'APPROVED', 'documents received');
    expect(second.status).toBe(202);
    expect(second.body).toMatchObject({
      caseStatus: 'ESCALATED',
      status: 'PENDING_EXTERNAL_APPROVAL',
      firstDecision: { status: 'REJECTED', by: 'sam' },
      secondDecision: { status: 'APPROVED', by: 'kim' },
    });
    expect(await owedToToqio(id)).toEqual([]);
    expect((await validate(stack.apiUrl, { id })).body.status).toBe('PENDING_EXTERNAL_APPROVAL');
    // Neither of the two may settle their own disagreement.
    expect((await decide(id, SAM, 'REJECTED')).status).toBe(403);
    expect((await decide(id, KIM, 'APPROVED')).status).toBe(403);
    expect(
      (await call('/api/cases?status=ESCALATED', ANA)).body.items.map((item: Json) => item.transactionId),
    ).toContain(id);

    const third = await decide(id, LEE, 'APPROVED', 'third review: approved');
    expect(third.status).toBe(200);
    expect(third.body).toMatchObject({ caseStatus: 'APPROVED', decidedBy: 'lee' });
    expect(third.body.history.map((entry: Json) => entry.action)).toEqual([
      'CREATED',
      'FIRST_APPROVAL',
      'ESCALATED',
      'DECIDED',
    ]);
    await eventually(async () => toqioWebhooksFor(id).length === 1, 'the final webhook');
  });

  it('rejects when the second person rejects an approval (a rejection needs no second approval to override it)', async () => {
    const id = await pendingCase(150_000);
    expect((await decide(id, SAM, 'APPROVED')).status).toBe(202);
    const second = await decide(id, KIM, 'REJECTED', 'mule pattern');
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ caseStatus: 'REJECTED', decidedBy: 'kim' });
  });

  it('lets one person racing themselves with parallel approvals record only one decision', async () => {
    const id = await pendingCase(150_000);
    const answers = await Promise.all(Array.from({ length: 8 }, () => decide(id, SAM, 'APPROVED', 'in a hurry')));
    const statuses = answers.map((answer) => answer.status).sort();
    // One first decision; the others lost the version race (409) or met the four-eyes rule (403).
    expect(statuses.filter((status) => status === 202)).toHaveLength(1);
    expect(statuses.every((status) => [202, 403, 409].includes(status))).toBe(true);
    const current = await view(id);
    expect(current).toMatchObject({ caseStatus: 'AWAITING_SECOND_APPROVAL', firstDecision: { by: 'sam' } });
    expect(await owedToToqio(id)).toEqual([]);
  });
});

describe("a monitoring provider's webhook is not a person", () => {
  it('never counts as the second approver of a four-eyes case', async () => {
    const id = await pendingCase(150_000);
    expect((await decide(id, SAM, 'APPROVED')).status).toBe(202);
    const verdict = await providerWebhook({ transactionId: id, status: 'pass' });
    expect(verdict.status).toBe(202);
    expect(verdict.body).toMatchObject({ result: 'recorded' });
    const current = await view(id);
    expect(current).toMatchObject({ caseStatus: 'AWAITING_SECOND_APPROVAL', decidedBy: null });
    expect(current.history.map((entry: Json) => entry.action)).toEqual([
      'CREATED',
      'FIRST_APPROVAL',
      'PROVIDER_VERDICT',
    ]);
    expect(await owedToToqio(id)).toEqual([]);
  });

  it('never approves a four-eyes case alone, but may reject one', async () => {
    const held = await pendingCase(150_000);
    expect((await providerWebhook({ transactionId: held, status: 'pass' })).body).toMatchObject({ result: 'recorded' });
    expect((await view(held)).caseStatus).toBe('PENDING');

    const rejected = await pendingCase(150_000);
    const verdict = await providerWebhook({ transactionId: rejected, status: 'fail', reason: 'sanctions hit' });
    expect(verdict).toMatchObject({ status: 200, body: { status: 'REJECTED' } });
    expect(await view(rejected)).toMatchObject({ caseStatus: 'REJECTED', decidedBy: 'provider:acme' });
  });

  it('still approves below the threshold, before any person decided', async () => {
    const id = await pendingCase(20_000);
    expect((await providerWebhook({ transactionId: id, status: 'pass' })).body).toMatchObject({ status: 'APPROVED' });
  });
});

describe('the SLA sweeper with PENDING_SLA_POLICY=APPROVED', () => {
  /** Makes a case look older than the SLA (the sweeper reads createdAt from the status index). */
  const age = async (id: string, hours: number) =>
    db.send(
      new UpdateCommand({
        TableName: stack.tables.decisions,
        Key: { transactionId: id },
        UpdateExpression: 'SET createdAt = :old',
        ExpressionAttributeValues: { ':old': new Date(Date.now() - hours * 3_600_000).toISOString() },
      }),
    );

  it('escalates four-eyes cases instead of approving them, approves the others, and survives a broken case', async () => {
    const large = await pendingCase(150_000);
    const small = await pendingCase(20_000);
    const broken = await pendingCase(20_000);
    await age(large, 3);
    await age(small, 2);
    await age(broken, 2.5);
    // A record the workflow cannot change (its version is not a number): it must not stop the sweep.
    await db.send(
      new UpdateCommand({
        TableName: stack.tables.decisions,
        Key: { transactionId: broken },
        UpdateExpression: 'SET version = :bad',
        ExpressionAttributeValues: { ':bad': 'not-a-number' },
      }),
    );

    const result = (await stack.runScheduled('expireCases')) as Json;
    expect(result.escalated).toContain(large);
    expect(result.expired).toContain(small);
    expect(result.failed).toContain(broken);
    expect(result.oldestAgeSeconds).toBeGreaterThanOrEqual(3 * 3600 - 60);

    const escalated = await view(large);
    expect(escalated).toMatchObject({ caseStatus: 'PENDING', slaEscalatedAt: expect.any(String), decidedBy: null });
    expect(escalated.history.map((entry: Json) => entry.action)).toEqual(['CREATED', 'ESCALATED']);
    expect(await owedToToqio(large)).toEqual([]);
    expect(await view(small)).toMatchObject({ caseStatus: 'APPROVED', decidedBy: 'system:sla' });

    // Escalated once, not again on every run; two people can still decide it.
    const again = (await stack.runScheduled('expireCases')) as Json;
    expect(again.escalated).not.toContain(large);
    expect((await decide(large, SAM, 'APPROVED')).status).toBe(202);
    expect((await decide(large, KIM, 'APPROVED')).status).toBe(200);
  });
});
