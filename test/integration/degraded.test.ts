import { GetCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { caseRepository } from '../../functions/adapters/case-repository.js';
import { deliveryRepository } from '../../functions/adapters/delivery-repository.js';
import {
  type DegradedReconciliationStore,
  reconcileDegradedAnswer,
} from '../../functions/domain/decisions/degraded-reconciliation.js';
import { type LocalStack, startLocalStack } from '../../local/stack.js';
import { startLateAnswersProxy } from '../fixtures/late-answers-proxy.js';
import { eventually, startReceiver } from '../fixtures/receiver.js';
import { startTcpSwitch } from '../fixtures/tcp-switch.js';
import { aTransaction } from '../fixtures/transactions.js';
import { testDocumentClient, validate } from './stack.js';

const BUDGET_MS = 1000;
/** What validate keeps of its budget for queueing the reconciliation (see the validate handler). */
const RESERVE_MS = 200;
const db = testDocumentClient();
let stack: LocalStack;
let storage: Awaited<ReturnType<typeof startTcpSwitch>>;
let lateAnswers: Awaited<ReturnType<typeof startLateAnswersProxy>>;
let onepipe: Awaited<ReturnType<typeof startReceiver>>;
const SETTINGS = {
  VALIDATE_BUDGET_MS: String(BUDGET_MS),
  SWEEPER_STALE_AFTER_SECONDS: '1',
  ONEPIPE_OUTBOUND_CLIENT_SECRET: 'degraded-test-outbound-secret',
  ONEPIPE_OUTBOUND_API_KEY: 'degraded-test-outbound-key',
} as const;

beforeAll(async () => {
  storage = await startTcpSwitch(String(process.env.TEST_DYNAMODB_ENDPOINT));
  lateAnswers = await startLateAnswersProxy(storage.url);
  onepipe = await startReceiver();
  Object.assign(process.env, SETTINGS);
  // Every approved payment owes OnePipe a debit report: the outbox row a late write would leave.
  process.env.ONEPIPE_LISTENER_URL = `${onepipe.url}/onepipe`;
  stack = await startLocalStack({
    port: 0,
    adminPort: 0,
    prefix: `degraded${Date.now()}`,
    dynamodbEndpoint: lateAnswers.url,
    sqsEndpoint: String(process.env.TEST_SQS_ENDPOINT),
  });
  // Warm the functions (cold start, first connection) so the budget measures a warm call.
  await fetch(`${stack.apiUrl}/health`);
  await validate(stack.apiUrl, aNairaPayment());
  await eventually(async () => onepipe.requests.length === 1, 'the warm-up debit report');
});
afterAll(async () => {
  await stack.stop();
  await lateAnswers.close();
  await storage.close();
  await onepipe.close();
  db.destroy();
  for (const name of [...Object.keys(SETTINGS), 'ONEPIPE_LISTENER_URL']) delete process.env[name];
});

const stored = async (transactionId: unknown) =>
  (await db.send(new GetCommand({ TableName: stack.tables.decisions, Key: { transactionId }, ConsistentRead: true })))
    .Item;

/** Every outbox row about a transaction, indexed by subject or kept by its decision (`about`). */
const deliveriesOf = async (subject: unknown) =>
  ((await db.send(new ScanCommand({ TableName: stack.tables.deliveries, ConsistentRead: true }))).Items ?? []).filter(
    (item) => (item.subject ?? item.about) === subject,
  );

const historyOf = async (transactionId: unknown) =>
  (
    await db.send(
      new QueryCommand({
        TableName: stack.tables.history,
        KeyConditionExpression: 'transactionId = :t',
        ExpressionAttributeValues: { ':t': transactionId },
        ConsistentRead: true,
      }),
    )
  ).Items ?? [];

/** OnePipe is told of approved payments in its own currency (NGN) only. */
const aNairaPayment = (changes: Record<string, unknown> = {}) => aTransaction({ currency: 'NGN', ...changes });

/** History actions, leaving out the DELIVERED entries webhooks add whenever they arrive. */
const actionsOf = (entries: Record<string, unknown>[]) =>
  entries.map((entry) => String(entry.action)).filter((action) => action !== 'DELIVERED');

/** The status updates the local Toqio sink received about a transaction. */
const toqioUpdatesFor = (transactionId: unknown) =>
  stack.toqioWebhooks
    .map((webhook) => webhook.body as Record<string, unknown>)
    .filter((body) => body.transactionId === transactionId);

const DEGRADED = { status: 'REJECTED', reasons: [{ rule: 'SERVICE_DEGRADED', description: expect.any(String) }] };

describe('validate when storage does not answer', () => {
  it('answers the fail mode within the budget, and a retry answers the same once storage is back', async () => {
    const before = aTransaction();
    expect((await validate(stack.apiUrl, before)).body.status).toBe('APPROVED');

    storage.setMode('blackhole');
    const payload = aTransaction();
    const started = performance.now();
    const degraded = await validate(stack.apiUrl, payload);
    const elapsed = performance.now() - started;
    expect(degraded.status).toBe(200);
    expect(degraded.body).toEqual({ ...DEGRADED, transactionId: payload.id });
    // Generous bound against a noisy machine; the bench measures real latency.
    expect(elapsed).toBeLessThan(BUDGET_MS + 1000);
    expect(elapsed).toBeGreaterThanOrEqual(BUDGET_MS - RESERVE_MS - 50);

    // A payment the rules would hold for review is never answered PENDING unless stored.
    const large = aTransaction({ baseTotal: 50000 });
    expect((await validate(stack.apiUrl, large)).body.status).toBe('REJECTED');

    storage.setMode('forward');
    // The reconciliation stores what Toqio was told, so the retry cannot be decided differently.
    await eventually(async () => (await stored(payload.id))?.status === 'REJECTED', 'the stored rejection');
    // Stored with the payment's customer and amount, known although storage failed before any read.
    expect(await stored(payload.id)).toMatchObject({
      status: 'REJECTED',
      reasons: [{ rule: 'SERVICE_DEGRADED' }],
      customer: payload.customer,
      baseAmount: payload.baseTotal,
    });
    expect((await validate(stack.apiUrl, payload)).body).toEqual({ ...DEGRADED, transactionId: payload.id });
    // New payments are decided as usual again.
    expect((await validate(stack.apiUrl, aTransaction())).body.status).toBe('APPROVED');
  });

  it('reports storage as unavailable on /health while it is down', async () => {
    storage.setMode('blackhole');
    const response = await fetch(`${stack.apiUrl}/health`);
    storage.setMode('forward');
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ status: 'degraded', storage: { status: 'unavailable' } });
  });
});

describe('a decision that storage commits after the degraded answer', () => {
  /** Storage reads answer at once; the write commits but its answer arrives after the budget. */
  const decideWhileAnswersAreLate = async (payload: Record<string, unknown>) => {
    lateAnswers.holdAnswers({ operation: 'TransactWriteItems', delayMs: BUDGET_MS + 500 });
    const answer = await validate(stack.apiUrl, payload);
    lateAnswers.holdAnswers(undefined);
    expect(answer.body).toEqual({ ...DEGRADED, transactionId: payload.id });
    return answer;
  };

  it('ends as the rejection Toqio was told: outbox cancelled, no webhook sent, a retry answers REJECTED', async () => {
    const sentBefore = onepipe.requests.length;
    const payload = aNairaPayment();
    await decideWhileAnswersAreLate(payload);

    const record = await eventually(async () => {
      const item = await stored(payload.id);
      return item?.degradedReconciledAt ? item : undefined;
    }, 'the reconciled decision');
    // The late write did land (it was an approval with a OnePipe debit report in its outbox) ...
    expect(record).toMatchObject({ initialStatus: 'APPROVED', status: 'REJECTED', reviewStage: 'FINAL' });
    expect(record.reasons).toEqual([{ rule: 'SERVICE_DEGRADED', description: expect.any(String) }]);
    const outbox = await deliveriesOf(payload.id);
    // ... and its outbox row can no longer be sent; Toqio is told the rejection it was first told.
    expect(outbox.filter((delivery) => delivery.target === 'onepipe')).toEqual([
      expect.objectContaining({ status: 'CANCELLED' }),
    ]);
    await eventually(
      async () => toqioUpdatesFor(payload.id).some((body) => body.status === 'REJECTED'),
      "Toqio's status update",
    );
    expect(toqioUpdatesFor(payload.id)).toEqual([
      expect.objectContaining({ status: 'REJECTED', reason: 'SERVICE_DEGRADED', decidedBy: 'system:degraded' }),
    ]);

    // The sweeper (which would find a stale QUEUED row) and a stray queue message send nothing.
    await stack.runScheduled('sweeper');
    expect((await validate(stack.apiUrl, payload)).body).toEqual({ ...DEGRADED, transactionId: payload.id });
    const probe = aNairaPayment();
    expect((await validate(stack.apiUrl, probe)).body.status).toBe('APPROVED');
    // The probe's report arriving proves the delivery worker ran after the reconciliation.
    await eventually(
      async () => onepipe.requests.some((request) => JSON.stringify(request.body).includes(String(probe.id))),
      "the probe's debit report",
    );
    const sentForPayload = onepipe.requests
      .slice(sentBefore)
      .filter((request) => JSON.stringify(request.body).includes(String(payload.id)));
    expect(sentForPayload).toEqual([]);
    expect(actionsOf(await historyOf(payload.id))).toEqual(['RECONCILED']);
  });

  it('closes the case a late pending decision opened, so no analyst can approve it later', async () => {
    const payload = aTransaction({ baseTotal: 20000 });
    await decideWhileAnswersAreLate(payload);
    const record = await eventually(async () => {
      const item = await stored(payload.id);
      return item?.degradedReconciledAt ? item : undefined;
    }, 'the reconciled case');
    expect(record).toMatchObject({
      initialStatus: 'PENDING_EXTERNAL_APPROVAL',
      status: 'REJECTED',
      reviewStage: 'FINAL',
    });
    expect(actionsOf(await historyOf(payload.id)).sort()).toEqual(['CREATED', 'RECONCILED']);

    const decision = await fetch(`${stack.adminUrl}/api/cases/${String(payload.id)}/decision`, {
      method: 'POST',
      headers: { authorization: 'Bearer local-supervisor-token-0001', 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'APPROVED', reason: 'looks fine' }),
    });
    expect(decision.status).toBe(409);
    // A retry may have been answered PENDING from the late write: Toqio's last word is the rejection.
    await eventually(async () => toqioUpdatesFor(payload.id).length > 0, "Toqio's status update");
    expect(toqioUpdatesFor(payload.id)).toEqual([expect.objectContaining({ status: 'REJECTED' })]);
    expect((await validate(stack.apiUrl, payload)).body).toEqual({ ...DEGRADED, transactionId: payload.id });
  });

  it('reads again at once when a person changed the case between its read and its write', async () => {
    const payload = aTransaction({ baseTotal: 20000 });
    expect((await validate(stack.apiUrl, payload)).body.status).toBe('PENDING_EXTERNAL_APPROVAL');
    const written = await stored(payload.id);
    const cases = caseRepository(db, stack.tables);
    const deliveries = deliveryRepository(db, stack.tables.deliveries);
    let reads = 0;
    const store: DegradedReconciliationStore = {
      getDecision: async (id) => {
        const record = await cases.get(id);
        // An analyst claims the case right after the reconciliation read it.
        if (++reads === 1) {
          const claim = await fetch(`${stack.adminUrl}/api/cases/${String(payload.id)}/claim`, {
            method: 'POST',
            headers: { authorization: 'Bearer local-analyst-token-0001' },
          });
          expect(claim.status).toBe(200);
        }
        return record;
      },
      putRejection: () => Promise.resolve(false),
      leaveLine: () => Promise.resolve(),
      applyChange: (record, change, owed) => cases.applyChange(record, change, owed),
      cancelUnsent: (subject, known, now) => deliveries.cancelUnsent(subject, known, now),
    };
    const result = await reconcileDegradedAnswer(
      {
        transactionId: String(payload.id),
        attemptId: String(written?.attemptId),
        writeAttempted: true,
        deliveryIds: [],
        answeredAt: new Date().toISOString(),
      },
      store,
    );
    expect(result.kind).toBe('reconciled');
    expect(reads).toBe(2);
    expect(await stored(payload.id)).toMatchObject({ status: 'REJECTED', reviewStage: 'FINAL' });
  });
});
