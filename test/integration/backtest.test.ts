import { GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { createSqs } from '#adapters/aws-clients.js';
import { backtestRepository } from '#adapters/backtest-repository.js';
import { decisionRepository } from '#adapters/decision-repository.js';
import { BACKTEST_SEGMENTS, firstPages } from '#domain/rules/backtest.js';
import { BacktestConfigSchema, backtestDeps, buildHandler } from '#handlers/backtest.js';
import { QUEUES } from '#lib/queues.js';
import { parseConfigWith } from '#shared/config.js';
import { localSqsClient } from '../../local/sqs.js';
import type { LocalStack } from '../../local/stack.js';
import { lambdaContext, sqsEvent } from '../fixtures/events.js';
import { eventually } from '../fixtures/receiver.js';
import { aTransaction } from '../fixtures/transactions.js';
import { startTestStack, testDocumentClient, validate } from './stack.js';

// biome-ignore lint/suspicious/noExplicitAny: tests read API answers loosely and assert on them.
type Json = Record<string, any>;

const ANA = 'Bearer local-analyst-token-0001'; // analyst
const SAM = 'Bearer local-supervisor-token-0001'; // supervisor

let stack: LocalStack;
const documentClient = testDocumentClient();

const call = async (path: string, token: string, init: { method?: string; body?: unknown } = {}) => {
  const response = await fetch(`${stack.adminUrl}${path}`, {
    method: init.method ?? 'GET',
    headers: { 'content-type': 'application/json', authorization: token },
    ...(init.body === undefined ? {} : { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) }),
  });
  return { status: response.status, body: (await response.json()) as Json };
};
const post = (path: string, token: string, body: unknown = {}) => call(path, token, { method: 'POST', body });

/** Validates a payment of one customer of its own (so velocity is this payment alone) and checks the answer. */
const pay = async (amount: number, expected: string, changes: Json = {}) => {
  const payload = aTransaction({ customer: `bt-${crypto.randomUUID()}`, baseTotal: amount, total: amount, ...changes });
  const answer = await validate(stack.apiUrl, payload);
  expect(answer.body.status).toBe(expected);
  return String(payload.id);
};
const decide = async (id: string, status: 'APPROVED' | 'REJECTED') => {
  const decided = await post(`/api/cases/${id}/decision`, ANA, { status, reason: 'checked by hand' });
  expect(decided.status).toBe(200);
};

const finished = (backtestId: string) =>
  eventually(
    async () => {
      const { body } = await call(`/api/backtests/${backtestId}`, ANA);
      return body.status === 'RUNNING' ? undefined : body;
    },
    `backtest ${backtestId} to finish`,
    60_000,
  );

const REJECT_30K = {
  id: 'reject-30k',
  description: 'Base amount of 30,000 or more',
  condition: 'tx.baseAmount >= 30000.0',
  outcome: 'REJECT',
  score: 90,
};

/** The payments of the window, by name, and the window. */
const ids: Record<string, string> = {};
let window: { from: string; to: string };
let adding: number;
let removing: number;
let shipped: Json;

beforeAll(async () => {
  stack = await startTestStack();
  shipped = (await call('/api/rule-sets/outbound', ANA)).body.active;
  // Before the window: counted in no backtest below.
  ids.before = await pay(31_000, 'PENDING_EXTERNAL_APPROVAL');
  const from = new Date().toISOString();
  ids.p1 = await pay(1_000, 'APPROVED');
  ids.p2 = await pay(2_000, 'APPROVED');
  ids.p3 = await pay(12_000, 'PENDING_EXTERNAL_APPROVAL');
  ids.p4 = await pay(15_000, 'PENDING_EXTERNAL_APPROVAL');
  ids.p5 = await pay(35_000, 'PENDING_EXTERNAL_APPROVAL');
  ids.p6 = await pay(40_000, 'PENDING_EXTERNAL_APPROVAL');
  ids.p7 = await pay(60_000, 'PENDING_EXTERNAL_APPROVAL'); // large-amount and customer-daily-volume
  ids.p8 = await pay(20_000, 'PENDING_EXTERNAL_APPROVAL');
  ids.p10 = await pay(500, 'REJECTED', { destinationAccount: { countryCode: 'KP' } });
  ids.p11 = await pay(45_000, 'REJECTED', { destinationAccount: { countryCode: 'KP' } });
  // A degraded rejection stored by the reconciliation: no facts, so skipped.
  ids.degraded = `bt-degraded-${crypto.randomUUID()}`;
  const decisions = decisionRepository(documentClient, {
    decisions: stack.tables.decisions,
    counters: stack.tables.counters,
    history: stack.tables.history,
    deliveries: stack.tables.deliveries,
  });
  expect(
    await decisions.putRejection(
      {
        transactionId: ids.degraded,
        attemptId: 'a1',
        writeAttempted: false,
        deliveryIds: [],
        answeredAt: new Date().toISOString(),
        customer: 'bt-degraded',
      },
      new Date(),
    ),
  ).toBe(true);
  // An informational case (a provider's late disagreement): not a decision of validate, not counted at all.
  await documentClient.send(
    new PutCommand({
      TableName: stack.tables.decisions,
      Item: {
        transactionId: `provider-late:${ids.p1}`,
        status: 'INFORMATIONAL',
        createdAt: new Date().toISOString(),
        customer: 'x',
      },
    }),
  );
  await decide(ids.p3, 'APPROVED');
  await decide(ids.p4, 'REJECTED');
  await decide(ids.p5, 'APPROVED');
  await decide(ids.p6, 'REJECTED');
  const to = new Date(Date.now() + 1).toISOString();
  window = { from, to };
  // After the window.
  await new Promise((resolve) => setTimeout(resolve, 2)); // the next createdAt is past `to` (millisecond clock)
  ids.after = await pay(31_000, 'PENDING_EXTERNAL_APPROVAL');

  // A version that adds a rule (left a DRAFT) and one that removes large-amount (proposed).
  const rules = shipped.rules.map(({ id, description, condition, outcome, score, enabled }: Json) => ({
    id,
    description,
    condition,
    outcome,
    score,
    enabled,
  }));
  const add = await post('/api/rule-sets/outbound/versions', SAM, {
    description: 'Reject 30,000 and more',
    lists: shipped.lists,
    rules: [...rules, REJECT_30K],
  });
  expect(add.status).toBe(201);
  adding = add.body.version;
  const remove = await post('/api/rule-sets/outbound/versions', SAM, {
    description: 'No hold for large amounts',
    lists: shipped.lists,
    rules: rules.filter((rule: Json) => rule.id !== 'large-amount'),
  });
  expect(remove.status).toBe(201);
  removing = remove.body.version;
  expect((await post(`/api/rule-sets/outbound/versions/${removing}/propose`, SAM)).status).toBe(200);
}, 120_000);
afterAll(async () => {
  await stack.stop();
  documentClient.destroy();
});

const zeroRule = (rule: string) => ({ rule, hits: 0, analystRejected: 0, analystApproved: 0 });

/** What both versions share with version 1 in this window, rule by rule (figures other than zero given). */
const perRuleOf = (version: Json, figures: Record<string, Partial<Json>>) =>
  version.rules.map((rule: Json) => ({ ...zeroRule(rule.id), ...figures[rule.id] }));

describe('backtests of rule set versions on stored decisions', () => {
  let addedRun: Json;

  it('backtests a DRAFT that adds a REJECT rule: recorded and candidate outcomes, flips, analysts, rules', async () => {
    const started = await post(`/api/rule-sets/outbound/versions/${adding}/backtests`, ANA, window);
    expect(started.status).toBe(202);
    expect(started.body).toEqual({ backtestId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    const result = await finished(started.body.backtestId);
    addedRun = result;
    const version = (await call(`/api/rule-sets/outbound/versions/${adding}`, ANA)).body;
    expect(version.state).toBe('DRAFT');
    expect(result).toEqual({
      backtestId: started.body.backtestId,
      ruleSet: 'outbound',
      version: adding,
      from: window.from,
      to: window.to,
      createdBy: 'ana',
      createdAt: expect.any(String),
      finishedAt: expect.any(String),
      status: 'DONE',
      processed: 10,
      total: 11,
      skipped: 1,
      segments: BACKTEST_SEGMENTS,
      segmentsDone: BACKTEST_SEGMENTS,
      // Every item of the table is read (the Scan filters after reading): 13 decisions and the informational case.
      scanned: 14,
      readUnits: expect.any(Number),
      result: {
        recorded: { APPROVED: 2, REJECTED: 2, PENDING_EXTERNAL_APPROVAL: 6 },
        candidate: { APPROVED: 2, REJECTED: 5, PENDING_EXTERNAL_APPROVAL: 3 },
        // p3 approved, held again (decided only); p4 rejected, held (agreed); p5 approved, would reject; p6 rejected, rejected (agreed).
        vsAnalysts: { decided: 4, agreed: 2, letThrough: 0, wouldReject: 1 },
        flips: [
          {
            transactionId: ids.p5,
            createdAt: expect.any(String),
            from: 'PENDING_EXTERNAL_APPROVAL',
            to: 'REJECTED',
            rules: ['reject-30k'],
            analyst: 'APPROVED',
          },
          {
            transactionId: ids.p6,
            createdAt: expect.any(String),
            from: 'PENDING_EXTERNAL_APPROVAL',
            to: 'REJECTED',
            rules: ['reject-30k'],
            analyst: 'REJECTED',
          },
          {
            transactionId: ids.p7,
            createdAt: expect.any(String),
            from: 'PENDING_EXTERNAL_APPROVAL',
            to: 'REJECTED',
            rules: ['reject-30k'],
            analyst: null,
          },
        ],
        flipCount: 3,
        perRule: perRuleOf(version, {
          'fatf-call-for-action-country': { hits: 2 },
          'large-amount': { hits: 7, analystRejected: 2, analystApproved: 2 },
          'customer-daily-volume': { hits: 1 },
          'reject-30k': { hits: 4, analystRejected: 1, analystApproved: 1 },
        }),
      },
    });
  });

  it('backtests a proposal that removes a rule: the holds it made are let through, against the analysts', async () => {
    const started = await post(`/api/rule-sets/outbound/versions/${removing}/backtests`, ANA, window);
    expect(started.status).toBe(202);
    const result = await finished(started.body.backtestId);
    const version = (await call(`/api/rule-sets/outbound/versions/${removing}`, ANA)).body;
    expect(version.state).toBe('PROPOSED');
    const looser = (transactionId: string, analyst: string | null) => ({
      transactionId,
      createdAt: expect.any(String),
      from: 'PENDING_EXTERNAL_APPROVAL',
      to: 'APPROVED',
      rules: ['large-amount'],
      analyst,
    });
    expect(result).toMatchObject({
      status: 'DONE',
      processed: 10,
      total: 11,
      skipped: 1,
      result: {
        recorded: { APPROVED: 2, REJECTED: 2, PENDING_EXTERNAL_APPROVAL: 6 },
        // p7 is still held by customer-daily-volume; p10, p11 still rejected by the FATF rule.
        candidate: { APPROVED: 7, REJECTED: 2, PENDING_EXTERNAL_APPROVAL: 1 },
        vsAnalysts: { decided: 4, agreed: 2, letThrough: 2, wouldReject: 0 },
        flips: [
          looser(ids.p3 ?? '', 'APPROVED'),
          looser(ids.p4 ?? '', 'REJECTED'),
          looser(ids.p5 ?? '', 'APPROVED'),
          looser(ids.p6 ?? '', 'REJECTED'),
          looser(ids.p8 ?? '', null),
        ],
        flipCount: 5,
      },
    });
    expect(result.result.perRule).toEqual(
      perRuleOf(version, { 'fatf-call-for-action-country': { hits: 2 }, 'customer-daily-volume': { hits: 1 } }),
    );
    expect(result.result.perRule.map((figures: Json) => figures.rule)).not.toContain('large-amount');
    // Flips oldest first.
    const times = result.result.flips.map((flip: Json) => flip.createdAt);
    expect([...times].sort()).toEqual(times);
  });

  it('lists the set’s backtests newest first, with their parameters and progress', async () => {
    const { status, body } = await call('/api/rule-sets/outbound/backtests', ANA);
    expect(status).toBe(200);
    expect(body.backtests.map((backtest: Json) => backtest.version)).toEqual([removing, adding]);
    expect(body.backtests[1]).toEqual({
      backtestId: addedRun.backtestId,
      ruleSet: 'outbound',
      version: adding,
      from: window.from,
      to: window.to,
      createdBy: 'ana',
      createdAt: addedRun.createdAt,
      finishedAt: addedRun.finishedAt,
      status: 'DONE',
      processed: 10,
      total: 11,
      skipped: 1,
      segments: BACKTEST_SEGMENTS,
      segmentsDone: BACKTEST_SEGMENTS,
      scanned: 14,
      readUnits: addedRun.readUnits,
    });
  });

  it('counts a redelivered page message once, while the backtest runs and after it is done', async () => {
    // A backtest whose pages this test runs itself, through the worker's handler (as the event source would).
    const config = parseConfigWith(BacktestConfigSchema, process.env);
    const sqs = createSqs({ region: 'us-east-1', sqsEndpoint: stack.sqsEndpoint });
    const sqsClient = localSqsClient(stack.sqsEndpoint);
    const worker = buildHandler(backtestDeps(config, documentClient, sqs));
    const repository = backtestRepository(documentClient, {
      analytics: stack.tables.analytics,
      decisions: stack.tables.decisions,
    });
    const backtestId = crypto.randomUUID();
    await repository.create({
      backtestId,
      ruleSet: 'outbound',
      version: adding,
      ...window,
      createdBy: 'test',
      createdAt: new Date().toISOString(),
      status: 'RUNNING',
      segments: BACKTEST_SEGMENTS,
      rules: addedRun.result.perRule.map((figures: Json) => figures.rule),
    });
    const [first, ...rest] = firstPages(backtestId);
    const run = async (message: object) =>
      expect(await worker(sqsEvent([message]), lambdaContext('backtest'))).toEqual({ batchItemFailures: [] });
    // Each segment of this small table is one page, so no next page is queued: the test drives every page.
    for (const message of rest) await run(message);
    const before = await repository.getSummary(backtestId);
    expect(before).toMatchObject({ status: 'RUNNING', segmentsDone: BACKTEST_SEGMENTS - 1 });
    for (const message of rest) await run(message);
    expect(await repository.getSummary(backtestId)).toEqual(before);
    await run(first ?? {});
    await run(first ?? {});
    const done = (await call(`/api/backtests/${backtestId}`, ANA)).body;
    expect(done).toMatchObject({
      status: 'DONE',
      processed: 10,
      total: 11,
      skipped: 1,
      segmentsDone: BACKTEST_SEGMENTS,
    });
    expect(done.result).toEqual({ ...addedRun.result });
    // Sent by hand to the queue after it is done: the worker drops it, nothing changes.
    await sqsClient.send(
      new SendMessageCommand({
        QueueUrl: stack.queues.backtestPages.url,
        MessageBody: JSON.stringify(first),
      }),
    );
    await eventually(async () => {
      const attributes = await sqsClient.send(
        new GetQueueAttributesCommand({
          QueueUrl: stack.queues.backtestPages.url,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      const { ApproximateNumberOfMessages: waiting, ApproximateNumberOfMessagesNotVisible: taken } =
        attributes.Attributes ?? {};
      return waiting === '0' && taken === '0';
    }, 'the duplicate page message to be consumed');
    expect((await call(`/api/backtests/${backtestId}`, ANA)).body).toEqual(done);
    sqsClient.destroy();
    sqs.destroy();
  });

  it('marks a backtest FAILED when a page fails on the queue’s last receive, and says why', async () => {
    const config = parseConfigWith(BacktestConfigSchema, process.env);
    const sqs = createSqs({ region: 'us-east-1', sqsEndpoint: stack.sqsEndpoint });
    const worker = buildHandler(backtestDeps(config, documentClient, sqs));
    const repository = backtestRepository(documentClient, {
      analytics: stack.tables.analytics,
      decisions: stack.tables.decisions,
    });
    const backtestId = crypto.randomUUID();
    await repository.create({
      backtestId,
      ruleSet: 'outbound',
      version: adding,
      ...window,
      createdBy: 'test',
      createdAt: new Date().toISOString(),
      status: 'RUNNING',
      segments: BACKTEST_SEGMENTS,
      rules: [],
    });
    // A start key DynamoDB refuses: the scan fails on every receive.
    const broken = { ...firstPages(backtestId)[0], page: 1, startKey: { transactionId: '' } };
    const receive = async (count: number) => {
      const event = sqsEvent([broken]);
      for (const record of event.Records) record.attributes.ApproximateReceiveCount = String(count);
      return worker(event, lambdaContext('backtest'));
    };
    await expect(receive(1)).rejects.toThrow();
    expect((await call(`/api/backtests/${backtestId}`, ANA)).body.status).toBe('RUNNING');
    await expect(receive(QUEUES.backtestPages.maxReceiveCount)).rejects.toThrow();
    const failed = (await call(`/api/backtests/${backtestId}`, ANA)).body;
    expect(failed).toMatchObject({
      status: 'FAILED',
      error: expect.stringMatching(/^segment 0 page 1: /),
      finishedAt: expect.any(String),
    });
    sqs.destroy();
  });
});

describe('starting a backtest: what is refused', () => {
  const stored = async () =>
    (
      await documentClient.send(
        new QueryCommand({
          TableName: stack.tables.analytics,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': 'backtest#by-set#outbound' },
        }),
      )
    ).Items?.length ?? 0;

  it('answers 400 with each field’s problem for a bad window, and stores nothing', async () => {
    const count = await stored();
    const path = `/api/rule-sets/outbound/versions/${adding}/backtests`;
    const refused = async (body: unknown) => {
      const answer = await post(path, ANA, body);
      expect(answer.status).toBe(400);
      return answer.body.error;
    };
    expect((await refused({ from: window.from })).fields).toEqual([{ path: 'to', message: expect.any(String) }]);
    expect((await refused({ from: 'yesterday', to: window.to })).fields).toEqual([
      { path: 'from', message: 'must be an ISO 8601 date-time' },
    ]);
    expect((await refused({ from: window.to, to: window.from })).fields).toEqual([
      { path: 'to', message: 'must be after from' },
    ]);
    expect((await refused({ from: window.from, to: window.from })).fields).toEqual([
      { path: 'to', message: 'must be after from' },
    ]);
    expect((await refused({ ...window, segments: 3 })).fields).toEqual([
      { path: '(body)', message: expect.stringContaining('segments') },
    ]);
    expect((await refused('not json')).code).toBe('INVALID_JSON');
    expect((await post(`/api/rule-sets/outbound/versions/zero/backtests`, ANA, window)).status).toBe(400);
    expect(await stored()).toBe(count);
  });

  it('answers 400 for the inbound set, saying why, and 404 for an unknown version, set or backtest', async () => {
    const count = await stored();
    const inbound = await post('/api/rule-sets/inbound/versions/1/backtests', ANA, window);
    expect(inbound.status).toBe(400);
    expect(inbound.body.error.message).toMatch(/Only the outbound set can be backtested/);
    expect((await call('/api/rule-sets/inbound/backtests', ANA)).status).toBe(400);
    expect((await post('/api/rule-sets/outbound/versions/999/backtests', ANA, window)).status).toBe(404);
    expect((await post('/api/rule-sets/elsewhere/versions/1/backtests', ANA, window)).status).toBe(404);
    expect((await call(`/api/backtests/${crypto.randomUUID()}`, ANA)).status).toBe(404);
    expect((await call('/api/backtests/not-an-id', ANA)).status).toBe(404);
    expect(await stored()).toBe(count);
  });

  it('lets no one start one without a token', async () => {
    const response = await fetch(`${stack.adminUrl}/api/rule-sets/outbound/versions/1/backtests`, {
      method: 'POST',
      body: JSON.stringify(window),
    });
    expect(response.status).toBe(401);
  });
});
