import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { TABLES, type TableKey } from '../../lib/tables.js';
import { createTables, localDynamoClient, startDynamoDbLocal } from '../../local/dynamodb.js';
import { freePort } from '../../local/ports.js';

/**
 * `npm start` keeps its data in .local/dynamodb between runs: a decisions table an earlier release
 * created has no stream and lacks indexes added since, and must be brought up to the spec. On a
 * DynamoDB Local of its own, as `npm start` has: the suite's shared one holds hundreds of tables,
 * and there a new index stays CREATING for minutes.
 */
describe('local tables from an earlier release', () => {
  it('get the stream and the indexes their spec added since, keeping what they had', async () => {
    const dynamo = await startDynamoDbLocal({ port: await freePort() });
    const endpoint = dynamo.endpoint;
    const client = localDynamoClient(endpoint);
    const prefix = `old${randomUUID().slice(0, 6)}`;
    const names = Object.fromEntries(Object.keys(TABLES).map((key) => [key, `${prefix}-${key}`])) as Record<
      TableKey,
      string
    >;
    try {
      // The decisions table as an earlier release made it: no stream, only an index since replaced.
      await client.send(
        new CreateTableCommand({
          TableName: names.decisions,
          BillingMode: 'PAY_PER_REQUEST',
          KeySchema: [{ AttributeName: 'transactionId', KeyType: 'HASH' }],
          AttributeDefinitions: [
            { AttributeName: 'transactionId', AttributeType: 'S' },
            { AttributeName: 'customer', AttributeType: 'S' },
            { AttributeName: 'createdAt', AttributeType: 'S' },
          ],
          GlobalSecondaryIndexes: [
            {
              IndexName: 'byCustomer',
              KeySchema: [
                { AttributeName: 'customer', KeyType: 'HASH' },
                { AttributeName: 'createdAt', KeyType: 'RANGE' },
              ],
              Projection: { ProjectionType: 'ALL' },
            },
          ],
        }),
      );
      await createTables(endpoint, names);
      const table = (await client.send(new DescribeTableCommand({ TableName: names.decisions }))).Table;
      expect(table?.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' });
      expect(table?.GlobalSecondaryIndexes?.map((index) => index.IndexName).sort()).toEqual(
        ['byCaseStatus', 'byCustomer', 'customerHistory', 'providerAgreement'].sort(),
      );
      // Run again: nothing left to add, nothing fails.
      await createTables(endpoint, names);
    } finally {
      client.destroy();
      await dynamo.stop();
    }
  }, 180_000);
});
