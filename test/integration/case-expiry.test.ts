import type { LocalStack } from '../../local/stack.js';
import { eventually } from '../fixtures/receiver.js';
import { aTransaction } from '../fixtures/transactions.js';
import { startTestStack, validate } from './stack.js';

const ANA = 'Bearer local-analyst-token-0001';
let stack: LocalStack;

beforeAll(async () => {
  process.env.PENDING_SLA = '6s';
  process.env.PENDING_SLA_WARNING = '4s';
  stack = await startTestStack();
});
afterAll(async () => {
  await stack.stop();
  delete process.env.PENDING_SLA;
  delete process.env.PENDING_SLA_WARNING;
});

// biome-ignore lint/suspicious/noExplicitAny: tests read API answers loosely and assert on them.
type Json = Record<string, any>;

const view = async (id: string): Promise<Json> =>
  (await fetch(`${stack.adminUrl}/api/cases/${id}`, { headers: { authorization: ANA } })).json() as Promise<Json>;

describe('pending time limit', () => {
  it('shows a case near the limit as at risk, then rejects it as SLA_EXPIRED like a human decision', async () => {
    const payload = aTransaction({ baseTotal: 20_000 });
    await validate(stack.apiUrl, payload);
    const id = String(payload.id);
    expect((await view(id)).sla).toMatchObject({ expired: false });

    const atRisk = await eventually(async () => {
      const current = await view(id);
      return current.sla?.atRisk ? current : undefined;
    }, 'the case to be at risk');
    expect(atRisk.sla.remainingMs).toBeLessThanOrEqual(4000);

    // Before the limit nothing expires.
    expect(await stack.runScheduled('expireCases')).toMatchObject({
      expired: [],
      oldestAgeSeconds: expect.any(Number),
    });
    await eventually(async () => (await view(id)).sla?.expired, 'the limit to pass');
    expect(await stack.runScheduled('expireCases')).toMatchObject({ expired: [id] });

    const expired = await view(id);
    expect(expired).toMatchObject({ caseStatus: 'REJECTED', decidedBy: 'system:sla', finalReason: 'SLA_EXPIRED' });
    // The webhook may already be delivered (a DELIVERED entry follows), but nothing else happened.
    const actions = expired.history.map((entry: { action: string }) => entry.action);
    expect(actions.slice(0, 2)).toEqual(['CREATED', 'EXPIRED']);
    expect(actions.slice(2).every((action: string) => action === 'DELIVERED')).toBe(true);
    const webhook = await eventually(
      async () =>
        stack.toqioWebhooks.find((received) => (received.body as { transactionId?: string }).transactionId === id),
      'the Toqio webhook',
    );
    expect(webhook.body).toMatchObject({ status: 'REJECTED', reason: 'SLA_EXPIRED', decidedBy: 'system:sla' });
    expect((await validate(stack.apiUrl, payload)).body.status).toBe('REJECTED');
    // Expired cases are not expired twice.
    expect(await stack.runScheduled('expireCases')).toMatchObject({ expired: [] });
  });
});
