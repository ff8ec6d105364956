import { createHash, randomUUID } from 'node:crypto';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { deliveryRepository } from '../../functions/adapters/delivery-repository.js';
import { newDelivery } from '../../functions/domain/webhooks/delivery.js';
import { FUNCTIONS, type FunctionName } from '../../lib/routes.js';
import { functionProcess } from '../../local/bundled/function-process.js';
import { type BundledFunctions, startBundledStack } from '../../local/bundled/host.js';
import { evaluate, unusedGrants } from '../../local/bundled/iam-policy.js';
import { httpApiEvent } from '../../local/events.js';
import type { LocalStack } from '../../local/stack.js';
import { aCredit, MAPPING } from '../fixtures/onepipe-credits.js';
import { eventually } from '../fixtures/receiver.js';
import { aTransaction } from '../fixtures/transactions.js';
import { TOQIO_KEY, testDocumentClient, validate } from '../integration/stack.js';

/**
 * The artifacts, not the sources: every function bundled as the stack bundles it and run in its own
 * Node.js process with exactly its template's environment (npm start -- --bundled), driven through
 * the main flows; then every AWS call they made is checked against their IAM policies.
 */

// biome-ignore lint/suspicious/noExplicitAny: tests read API answers loosely and assert on them.
type Json = Record<string, any>;

const ANA = 'Bearer local-analyst-token-0001';
const SAM = 'Bearer local-supervisor-token-0001';
/** The SLA the stage gives the case functions: short, so the sweep can close a case in this run. */
const PENDING_SLA_SECONDS = 15;

let stack: LocalStack & { functions: BundledFunctions };
/** Every line each function wrote (its logs), shown when an assertion needs them. */
const logs: Record<string, string[]> = {};
const db = testDocumentClient();

beforeAll(async () => {
  const dynamodbEndpoint = process.env.TEST_DYNAMODB_ENDPOINT;
  const sqsEndpoint = process.env.TEST_SQS_ENDPOINT;
  if (!dynamodbEndpoint || !sqsEndpoint) throw new Error('run through jest: the global setup starts the services');
  stack = await startBundledStack({
    port: 0,
    adminPort: 0,
    prefix: `b${randomUUID().slice(0, 8)}`,
    dynamodbEndpoint,
    sqsEndpoint,
    stageSettings: { pendingSla: `${PENDING_SLA_SECONDS}s` },
    onOutput: (name, line) => {
      logs[name] ??= [];
      logs[name].push(line);
    },
  });
}, 180_000);
afterAll(async () => {
  await stack?.stop();
  db.destroy();
});

const errorLogs = (name: string) => (logs[name] ?? []).filter((line) => /"level":"(ERROR|CRITICAL)"|Error/.test(line));

const admin = async (path: string, token: string, init: { method?: string; body?: unknown } = {}) => {
  const response = await fetch(`${stack.adminUrl}${path}`, {
    method: init.method ?? 'GET',
    headers: { 'content-type': 'application/json', authorization: token },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  return { status: response.status, body: (await response.json()) as Json };
};

const caseView = async (id: string) => (await admin(`/api/cases/${encodeURIComponent(id)}`, ANA)).body;

const webhookFor = (type: string, match: (body: Json) => boolean) =>
  eventually(
    async () => stack.toqioWebhooks.find((webhook) => webhook.type === type && match(webhook.body as Json)),
    `a ${type} webhook at the Toqio sink`,
    30_000,
  );

/** A pending case for the SLA sweep, opened first so its time runs out while the other flows run. */
let expiring: string;
let expiringOpenedAt: number;

describe('the bundled functions, each in its own process with its template environment', () => {
  it('runs each function from its own asset directory with only the template and runtime variables', () => {
    const { environments } = stack.functions;
    for (const name of Object.keys(FUNCTIONS) as FunctionName[]) {
      const env = environments[name];
      expect(env.LAMBDA_TASK_ROOT).toBe(`${stack.functions.workDir}/${name}`);
      // Nothing of this (test) process's environment: not its local settings, not its endpoints.
      for (const leaked of ['DYNAMODB_ENDPOINT', 'SQS_ENDPOINT', 'TOQIO_API_KEY', 'ADMIN_TOKENS', 'UI_DIR', 'HOME']) {
        expect(env[leaked]).toBeUndefined();
      }
      expect(env.AWS_ENDPOINT_URL_DYNAMODB).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    }
    // References resolved to the local resources: validate's tables, queues on its SQS endpoint, its secrets by ARN.
    expect(environments.validate).toMatchObject({
      DECISIONS_TABLE: stack.tables.decisions,
      PROVIDER_CHECKS_QUEUE_URL: `${environments.validate.AWS_ENDPOINT_URL_SQS}/000000000000/${stack.queues.providerChecks.url.split('/').pop()}`,
      TOQIO_SECRET_ARN: expect.stringMatching(/^arn:aws:secretsmanager:us-east-1:000000000000:secret:ToqioSecret-/),
    });
    expect(environments.validate.TOQIO_API_KEY).toBeUndefined();
    expect(environments.deliver.TOQIO_WEBHOOK_BASE_URL).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/local\/toqio$/);
  });

  it('opens a pending case for the SLA sweep (validate: PENDING_EXTERNAL_APPROVAL)', async () => {
    const payload = aTransaction({ baseTotal: 20_000, total: 20_000 });
    expiringOpenedAt = Date.now();
    const answer = await validate(stack.apiUrl, payload);
    expect(answer).toMatchObject({ status: 200, body: { status: 'PENDING_EXTERNAL_APPROVAL' } });
    expiring = String(payload.id);
    // The secrets were fetched at cold start from the Secrets Manager stand-in, as in AWS.
    expect(stack.functions.calls).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ function: 'validate', action: 'secretsmanager:GetSecretValue' }),
      ]),
    );
  });

  it('approves a payment no rule holds and stores the decision (validate: APPROVED)', async () => {
    const payload = aTransaction();
    const answer = await validate(stack.apiUrl, payload);
    expect(answer).toMatchObject({ status: 200, body: { status: 'APPROVED', transactionId: payload.id } });
    // A retry is answered from storage: the decision was stored.
    expect((await validate(stack.apiUrl, payload)).body.status).toBe('APPROVED');
    expect((await validate(stack.apiUrl, payload, { 'x-api-key': 'not-the-key-0000000' })).status).toBe(401);
  });

  it("closes a pending case with an analyst's decision (admin) and delivers the webhook to Toqio (deliver, from the queue)", async () => {
    const payload = aTransaction({ baseTotal: 20_000, total: 20_000 });
    expect((await validate(stack.apiUrl, payload)).body.status).toBe('PENDING_EXTERNAL_APPROVAL');
    const id = String(payload.id);
    expect(await caseView(id)).toMatchObject({ caseStatus: 'PENDING' });
    const decided = await admin(`/api/cases/${id}/decision`, ANA, {
      method: 'POST',
      body: { status: 'REJECTED', reason: 'beneficiary not verified' },
    });
    expect(decided.status).toBe(200);
    expect(await caseView(id)).toMatchObject({ caseStatus: 'REJECTED', decidedBy: 'ana' });
    const webhook = await webhookFor('TRANSACTION_MONITORING_STATUS_UPDATED', (body) => body.transactionId === id);
    expect(webhook.body).toMatchObject({ transactionId: id, status: 'REJECTED', decidedBy: 'ana' });
    // Sent by the deliver function with the key from its secret, signed with the generated signing secret.
    expect(webhook.headers['x-api-key']).toBe(TOQIO_KEY);
    expect(webhook.headers['webhook-signature']).toMatch(/^v1,/);
    const deliveries = await eventually(async () => {
      const view = await caseView(id);
      return view.deliveries?.some((delivery: Json) => delivery.status === 'DELIVERED') ? view.deliveries : undefined;
    }, 'the delivery to be recorded as DELIVERED');
    expect(deliveries).toEqual(expect.arrayContaining([expect.objectContaining({ status: 'DELIVERED' })]));
    expect((await validate(stack.apiUrl, payload)).body.status).toBe('REJECTED');
  });

  it('registers a OnePipe credit to a mapped account as SAVE_TRANSACTION to Toqio (onepipeNotifications, admin, deliver)', async () => {
    const account = String(9_000_000_000 + Math.floor(Math.random() * 999_999_999));
    const mapped = await admin(`/api/account-mappings/${account}`, SAM, { method: 'PUT', body: MAPPING });
    expect(mapped.status).toBe(200);
    const credit = aCredit(account);
    const transactionRef = String(credit.details.transaction_ref);
    const requestRef = String(credit.request_ref);
    // Signed with what the onepipeInbound secret holds (served to the function by the stand-in).
    const secret = String(process.env.ONEPIPE_CLIENT_SECRET);
    const response = await fetch(`${stack.apiUrl}/onepipe/notifications`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        signature: createHash('md5').update(`${requestRef};${secret}`).digest('hex'),
        authorization: `Bearer ${process.env.ONEPIPE_API_KEY}`,
      },
      body: JSON.stringify(credit),
    });
    expect({ status: response.status, body: await response.json() }).toEqual({
      status: 200,
      body: { status: 'Successful', message: 'Transaction processed successfully' },
    });
    const saved = await webhookFor('SAVE_TRANSACTION', (body) => body.transactionNumber === transactionRef);
    expect(saved.body).toMatchObject({
      type: 'INBOUND',
      payType: 'INBOUND_BANK_TRANSFER',
      status: 'ACCEPTED',
      currency: 'NGN',
      total: 12500.5,
    });
  });

  it('re-enqueues a delivery whose message was lost (sweeper) and delivers it (deliver)', async () => {
    // An outbox row written long ago whose stream record never reached the queue (the pipe was down
    // past the stream's retention): only the sweeper can find it.
    const transactionId = `tx-swept-${randomUUID()}`;
    const delivery = newDelivery({
      target: 'toqio',
      type: 'TRANSACTION_MONITORING_STATUS_UPDATED',
      subject: transactionId,
      payload: { transactionId, status: 'APPROVED', reason: 'swept', decidedAt: new Date().toISOString() },
      now: new Date(Date.now() - 5 * 60_000),
    });
    const repository = deliveryRepository(db, stack.tables.deliveries);
    await stack.outboxStream?.pause();
    await db.send(new TransactWriteCommand({ TransactItems: [repository.outboxItem(delivery)] }));
    await stack.outboxStream?.resume({ dropPending: true });
    const swept = (await stack.runScheduled('sweeper')) as Json;
    expect(swept.requeued).toBeGreaterThanOrEqual(1);
    await webhookFor('TRANSACTION_MONITORING_STATUS_UPDATED', (body) => body.transactionId === transactionId);
    const stored = await eventually(async () => {
      const current = await repository.get(delivery.deliveryId);
      return current?.status === 'DELIVERED' ? current : undefined;
    }, 'the swept delivery to be DELIVERED');
    expect(stored.attempts).toHaveLength(1);
  });

  it('backtests the active version on what this run stored (admin, backtest from its queue)', async () => {
    const window = { from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date().toISOString() };
    const started = await admin('/api/rule-sets/outbound/versions/1/backtests', ANA, { method: 'POST', body: window });
    expect(started.status).toBe(202);
    const done = await eventually(async () => {
      const view = (await admin(`/api/backtests/${started.body.backtestId}`, ANA)).body;
      return view.status === 'RUNNING' ? undefined : view;
    }, 'the backtest to finish');
    // The version that decided them, on the same facts: the same answers.
    expect(done).toMatchObject({ status: 'DONE', skipped: 0, result: { flipCount: 0, flips: [] } });
    expect(done.processed).toBeGreaterThanOrEqual(3);
    const listed = (await admin('/api/rule-sets/outbound/backtests', ANA)).body.backtests;
    expect(listed.map((backtest: Json) => backtest.backtestId)).toContain(started.body.backtestId);
  });

  it('closes the case past its SLA as SLA_EXPIRED (expireCases) and tells Toqio', async () => {
    await eventually(
      async () => Date.now() > expiringOpenedAt + (PENDING_SLA_SECONDS + 1) * 1000,
      'the SLA to pass',
      (PENDING_SLA_SECONDS + 5) * 1000,
    );
    // The minute's schedule may be running already (a run that started before the limit passed
    // closes nothing): run again until the case is closed; what matters is what is stored and sent.
    const closed = await eventually(async () => {
      await stack.runScheduled('expireCases');
      const view = await caseView(expiring);
      return view.caseStatus === 'PENDING' ? undefined : view;
    }, 'the SLA sweep to close the case');
    expect(closed).toMatchObject({ caseStatus: 'REJECTED', decidedBy: 'system:sla', finalReason: 'SLA_EXPIRED' });
    const webhook = await webhookFor(
      'TRANSACTION_MONITORING_STATUS_UPDATED',
      (body) => body.transactionId === expiring,
    );
    expect(webhook.body).toMatchObject({ status: 'REJECTED', reason: 'SLA_EXPIRED' });
  });

  it('starts every other function from its bundle with what its template gives it (health, providers, reconcile)', async () => {
    const health = await fetch(`${stack.apiUrl}/health`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as Json).ruleSetVersion).toEqual(expect.any(String));
    // Unsigned provider webhooks are refused by the function itself (not a 500 of a broken start).
    const provider = await fetch(`${stack.apiUrl}/providers/flagright/webhook`, { method: 'POST', body: '{}' });
    expect(provider.status).toBeLessThan(500);
    // The queue consumers build their handler on an (empty) batch, as on their first message.
    expect(await stack.functions.invoke('reconcileDegraded', { Records: [] })).toEqual({ batchItemFailures: [] });
    expect(await stack.functions.invoke('providerRecheck', { Records: [] })).toEqual({ batchItemFailures: [] });
    for (const name of Object.keys(FUNCTIONS) as FunctionName[]) {
      const process_ = stack.functions.processes[name];
      expect({ name, initErrors: process_.initErrors, started: process_.coldStarts > 0 }).toEqual({
        name,
        initErrors: [],
        started: true,
      });
      expect({ name, errors: errorLogs(name).filter((line) => /ConfigError|ImportModuleError/.test(line)) }).toEqual({
        name,
        errors: [],
      });
    }
  });

  it('fails a function whose template lacks a variable it needs, naming it (as the first call in AWS would)', async () => {
    const { DECISIONS_TABLE: _missing, ...env } = stack.functions.environments.health;
    const broken = functionProcess({ name: 'health', dir: env.LAMBDA_TASK_ROOT ?? '', env, timeoutSeconds: 10 });
    try {
      await expect(broken.invoke(httpApiEvent({ method: 'GET', path: '/health' }))).rejects.toThrow(/DECISIONS_TABLE/);
    } finally {
      await broken.stop();
    }
  });
});

describe("every AWS call checked against the calling function's IAM policy in the template", () => {
  it('finds no call the policy would deny, and lists the grants no flow used', () => {
    const { calls, policies } = stack.functions;
    const denied = calls
      .map((call) => ({ call, decision: evaluate(policies[call.function as FunctionName], call) }))
      .filter(({ decision }) => decision.effect !== 'allowed')
      .map(({ call, decision }) => `${call.function}: ${call.action} on ${call.resource} (${decision.effect})`);
    expect([...new Set(denied)]).toEqual([]);
    // Each function made calls of its own: the check is not run on nothing.
    for (const name of [
      'validate',
      'admin',
      'deliver',
      'sweeper',
      'expireCases',
      'onepipeNotifications',
      'health',
      'backtest',
      'ruleStats',
    ]) {
      expect({ name, calls: calls.filter((call) => call.function === name).length > 0 }).toEqual({
        name,
        calls: true,
      });
    }
    const short = (arn: string) => arn.replace(/^arn:aws:[a-z-]+:[a-z0-9-]*:\d*:/, '');
    const report = (Object.keys(FUNCTIONS) as FunctionName[]).map((name) => {
      const byAction = new Map<string, string[]>();
      for (const grant of unusedGrants(
        policies[name],
        calls.filter((call) => call.function === name),
      )) {
        byAction.set(grant.action, [...(byAction.get(grant.action) ?? []), short(grant.resource)]);
      }
      return `  ${name}:\n${[...byAction].map(([action, resources]) => `    ${action}: ${resources.join(', ')}`).join('\n')}`;
    });
    console.log(
      `Granted, and used by no flow of this run (README, Security: which are kept and why):\n${report.join('\n')}`,
    );
  });
});
