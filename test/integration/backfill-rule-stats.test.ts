import { randomUUID } from 'node:crypto';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { backfillRuleStats } from '../../functions/adapters/rule-stats-repository.js';
import { TABLES, type TableKey } from '../../lib/tables.js';
import { createTables } from '../../local/dynamodb.js';
import { testDocumentClient } from './stack.js';

const db = testDocumentClient();
const prefix = `bfs${randomUUID().slice(0, 6)}`;
const tables = Object.fromEntries(Object.keys(TABLES).map((key) => [key, `${prefix}-${key}`])) as Record<
  TableKey,
  string
>;

beforeAll(() => createTables(String(process.env.TEST_DYNAMODB_ENDPOINT), tables));
afterAll(() => db.destroy());

const rows = async (pk: string) =>
  (
    await db.send(
      new QueryCommand({
        TableName: tables.analytics,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': pk },
      }),
    )
  ).Items ?? [];

describe('backfilling rule statistics (npm run backfill:rule-stats)', () => {
  it('maps every stored decision as the stream would, skips other items, and changes nothing when run again', async () => {
    const day = '2026-10-01T09:00:00.000Z';
    const closed = '2026-10-01T10:30:00.000Z';
    const items = [
      {
        transactionId: 'old-case',
        status: 'APPROVED',
        createdAt: day,
        updatedAt: closed,
        caseOpenedAt: day,
        decidedAt: closed,
        decidedBy: 'ana',
        hits: [{ rule: 'large-amount', description: 'x', outcome: 'REVIEW' }],
        ruleErrors: [],
        // Not read by the mapping (the scan does not even fetch it).
        raw: new Uint8Array([1, 2, 3]),
      },
      { transactionId: 'old-approval', status: 'APPROVED', createdAt: day, hits: [], ruleErrors: [] },
      {
        transactionId: 'onepipe#credit',
        status: 'PENDING_EXTERNAL_APPROVAL',
        createdAt: day,
        caseOpenedAt: day,
        hits: [{ rule: 'large-credit' }],
      },
    ];
    for (const item of items) await db.send(new PutCommand({ TableName: tables.decisions, Item: item }));

    expect(await backfillRuleStats(db, tables)).toEqual({ scanned: 3, rows: 2 });
    expect(await rows('hits#outbound#large-amount')).toEqual([
      {
        pk: 'hits#outbound#large-amount',
        sk: `${day}#old-case`,
        kind: 'hit',
        rule: 'large-amount',
        transactionId: 'old-case',
        createdAt: day,
        status: 'APPROVED',
        caseOpenedAt: day,
        decidedAt: closed,
        decidedBy: 'ana',
        byPerson: true,
        imageAt: closed,
      },
    ]);
    expect(await rows('cases#outbound')).toEqual([
      expect.objectContaining({ transactionId: 'old-case', openedAt: day, closedAt: closed, status: 'APPROVED' }),
    ]);
    expect(await rows('hits#outbound#large-credit')).toEqual([]);

    const before = [...(await rows('hits#outbound#large-amount')), ...(await rows('cases#outbound'))];
    expect(await backfillRuleStats(db, tables)).toEqual({ scanned: 3, rows: 2 });
    expect([...(await rows('hits#outbound#large-amount')), ...(await rows('cases#outbound'))]).toEqual(before);
  });
});
