import type { _Record as StreamRecord } from '@aws-sdk/client-dynamodb-streams';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ruleStatsRepository } from '#adapters/rule-stats-repository.js';
import * as ruleStats from '#handlers/rule-stats.js';
import { lambdaStreamRecord, type StreamReader, startStreamReader } from '../../local/stream-poller.js';
import { lambdaContext } from '../fixtures/events.js';
import { aTransaction } from '../fixtures/transactions.js';
import { adminFunction, bodyOf, type HandlerResources, handlerResources, validateFunction } from './resources.js';

const SAM = { authorization: 'Bearer stats-test-supervisor-0001' };
let resources: HandlerResources;
let admin: ReturnType<typeof adminFunction>;
let validate: Awaited<ReturnType<typeof validateFunction>>;
/** Every decisions-stream record, as read by a second reader (what a redelivery would hand the function again). */
const seen: StreamRecord[] = [];
let recorder: StreamReader;

beforeAll(async () => {
  resources = await handlerResources({ ruleStatsStream: true });
  admin = adminFunction(resources, { ADMIN_TOKENS: 'sam:supervisor:stats-test-supervisor-0001' });
  validate = await validateFunction(resources);
  // The first call pays for the connections and DynamoDB Local's first writes to these tables.
  await validate(aTransaction());
  recorder = startStreamReader({
    dynamodbEndpoint: resources.dynamodbEndpoint,
    table: resources.tables.decisions,
    idleMs: 100,
    sink: {
      handle: async (records) => {
        seen.push(...records);
        return records.length;
      },
    },
  });
});
afterAll(async () => {
  await recorder.stop();
  await resources.destroy();
});

/** Every row of the analytics table under a partition key. */
const rows = async (pk: string) =>
  (
    await resources.documentClient.send(
      new QueryCommand({
        TableName: resources.tables.analytics,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': pk },
        ConsistentRead: true,
      }),
    )
  ).Items ?? [];

/** Waits for a condition on what the stream has produced (the stream runs beside the test). */
const eventually = async <T>(read: () => Promise<T>, done: (value: T) => boolean, withinMs = 15_000): Promise<T> => {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};

describe('ruleStats (the decisions table stream -> analytics rows)', () => {
  it('writes a hit row and a case row for a case, updates both when a person closes it, and a redelivered batch changes nothing', async () => {
    const payment = aTransaction({ baseTotal: 20_000 });
    const id = String(payment.id);
    expect(bodyOf(await validate(payment)).status).toBe('PENDING_EXTERNAL_APPROVAL');
    const stored = await resources.item('decisions', { transactionId: id });
    const createdAt = String(stored?.createdAt);

    const opened = await eventually(
      () => rows('hits#outbound#large-amount'),
      (items) => items.some((item) => item.transactionId === id),
    );
    expect(opened.find((item) => item.transactionId === id)).toEqual({
      pk: 'hits#outbound#large-amount',
      sk: `${createdAt}#${id}`,
      kind: 'hit',
      rule: 'large-amount',
      transactionId: id,
      createdAt,
      status: 'PENDING_EXTERNAL_APPROVAL',
      caseOpenedAt: createdAt,
      byPerson: false,
      imageAt: createdAt,
    });
    expect((await rows('cases#outbound')).find((item) => item.transactionId === id)).toMatchObject({
      sk: `${createdAt}#${id}`,
      openedAt: createdAt,
      status: 'PENDING_EXTERNAL_APPROVAL',
    });

    const decided = await admin('POST', `/api/cases/${id}/decision`, SAM, {
      status: 'REJECTED',
      reason: 'mule account',
    });
    expect(decided.statusCode).toBe(200);
    const closed = await resources.item('decisions', { transactionId: id });
    const hit = await eventually(
      async () => (await rows('hits#outbound#large-amount')).find((item) => item.transactionId === id),
      (item) => item?.status === 'REJECTED',
    );
    expect(hit).toMatchObject({
      status: 'REJECTED',
      decidedAt: closed?.decidedAt,
      decidedBy: 'sam',
      byPerson: true,
      caseOpenedAt: createdAt,
    });
    expect((await rows('cases#outbound')).find((item) => item.transactionId === id)).toMatchObject({
      status: 'REJECTED',
      closedAt: closed?.decidedAt,
    });

    // Every record the stream carried for this payment (the insert and the decision), delivered again.
    const before = [...(await rows('hits#outbound#large-amount')), ...(await rows('cases#outbound'))];
    const mine = await eventually(
      async () => seen.filter((record) => record.dynamodb?.Keys?.transactionId?.S === id),
      (records) => records.length >= 2,
    );
    const handler = ruleStats.buildHandler({
      stats: ruleStatsRepository(resources.documentClient, resources.tables.analytics),
    });
    const redelivered = await handler(
      { Records: mine.map((record) => lambdaStreamRecord(record, 'arn:local')) },
      lambdaContext('ruleStats'),
    );
    expect(redelivered).toEqual({ batchItemFailures: [] });
    expect([...(await rows('hits#outbound#large-amount')), ...(await rows('cases#outbound'))]).toEqual(before);
    // The insert's batch alone, again, after the decision's: the older image cannot take the rows back.
    const [insert] = mine;
    expect(insert?.eventName).toBe('INSERT');
    await handler({ Records: [lambdaStreamRecord(insert as StreamRecord, 'arn:local')] }, lambdaContext('ruleStats'));
    expect([...(await rows('hits#outbound#large-amount')), ...(await rows('cases#outbound'))]).toEqual(before);
  });

  it('writes no row for an approval with no hit, and none for OnePipe credits or late provider verdicts', async () => {
    const approved = aTransaction();
    expect(bodyOf(await validate(approved)).status).toBe('APPROVED');
    for (const transactionId of ['onepipe#credit-1', 'provider-late:tx-1']) {
      await resources.put('decisions', {
        transactionId,
        status: 'PENDING_EXTERNAL_APPROVAL',
        createdAt: new Date().toISOString(),
        customer: 'c',
        hits: [{ rule: 'large-amount' }],
        caseOpenedAt: new Date().toISOString(),
      });
    }
    // A marker written after them: once its row is there, the stream has passed them.
    const marker = aTransaction({ baseTotal: 30_000 });
    await validate(marker);
    await eventually(
      () => rows('cases#outbound'),
      (items) => items.some((item) => item.transactionId === marker.id),
    );
    const all = [...(await rows('hits#outbound#large-amount')), ...(await rows('cases#outbound'))];
    expect(all.map((item) => item.transactionId)).not.toEqual(
      expect.arrayContaining([expect.stringMatching(/^(onepipe#|provider-late:)/)]),
    );
    expect(all.some((item) => item.transactionId === approved.id)).toBe(false);
  });
});
