import { randomUUID } from 'node:crypto';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { caseRepository } from '../../functions/adapters/case-repository.js';
import { TABLES, type TableKey } from '../../lib/tables.js';
import { createTables } from '../../local/dynamodb.js';
import { backfillCaseIndex } from '../../scripts/migrate-case-index.js';
import { testDocumentClient } from './stack.js';

const db = testDocumentClient();
const prefix = `mig${randomUUID().slice(0, 6)}`;
const tables = Object.fromEntries(Object.keys(TABLES).map((key) => [key, `${prefix}-${key}`])) as Record<
  TableKey,
  string
>;

beforeAll(() => createTables(String(process.env.TEST_DYNAMODB_ENDPOINT), tables));
afterAll(() => db.destroy());

const inCaseQueue = async (status: string) =>
  (
    await db.send(
      new QueryCommand({
        TableName: tables.decisions,
        IndexName: 'byCaseStatus',
        KeyConditionExpression: 'caseStatus = :s',
        ExpressionAttributeValues: { ':s': status },
      }),
    )
  ).Items?.map((item) => item.transactionId) ?? [];

describe('migrating stored cases to the sparse case index', () => {
  it('gives every case stored before the index its key, once, and leaves decisions without a case out', async () => {
    const at = new Date().toISOString();
    // As stored before the index existed: a status, no caseStatus.
    const items = [
      { transactionId: 'old-pending', status: 'PENDING_EXTERNAL_APPROVAL', caseOpenedAt: at, createdAt: at },
      { transactionId: 'old-closed', status: 'REJECTED', caseOpenedAt: at, createdAt: at },
      { transactionId: 'old-automatic', status: 'APPROVED', createdAt: at },
      // Keyed by an earlier run, then closed by the previous release (which does not keep the key).
      {
        transactionId: 'stale-key',
        status: 'APPROVED',
        caseStatus: 'PENDING_EXTERNAL_APPROVAL',
        caseOpenedAt: at,
        createdAt: at,
      },
    ];
    for (const item of items) await db.send(new PutCommand({ TableName: tables.decisions, Item: item }));
    expect(await inCaseQueue('PENDING_EXTERNAL_APPROVAL')).toEqual(['stale-key']);
    // A stale key never surfaces a case under the wrong status: the queries check the status too.
    const cases = caseRepository(db, tables);
    expect(await cases.listOpenBefore(new Date(Date.now() + 60_000).toISOString(), 10)).toEqual([]);

    expect(await backfillCaseIndex(db, tables.decisions)).toBe(3);
    expect(await inCaseQueue('PENDING_EXTERNAL_APPROVAL')).toEqual(['old-pending']);
    expect(await inCaseQueue('REJECTED')).toEqual(['old-closed']);
    expect(await inCaseQueue('APPROVED')).toEqual(['stale-key']);
    // Run again: nothing left to do.
    expect(await backfillCaseIndex(db, tables.decisions)).toBe(0);
  });
});
