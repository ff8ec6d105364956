import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { TABLES, type TableKey } from '../../lib/tables.js';
import { createTables, type DynamoDbLocal, localDynamoClient, startDynamoDbLocal } from '../../local/dynamodb.js';
import { freePort } from '../../local/ports.js';

/**
 * `npm start` keeps its data in .local/dynamodb between runs: a decisions table an earlier release
 * created has no stream and lacks indexes added since, and must be brought up to the spec. On a
 * DynamoDB Local of its own, as `npm start` has: the suite's shared one holds hundreds of tables,
 * and there a new index stays CREATING for minutes.
 */
let dynamo: DynamoDbLocal;
let client: DynamoDBClient;
beforeAll(async () => {
  dynamo = await startDynamoDbLocal({ port: await freePort() });
  client = localDynamoClient(dynamo.endpoint);
}, 120_000);
afterAll(async () => {
  client?.destroy();
  await dynamo?.stop();
});

/** Table names of one stack, under a prefix of its own. */
const namesOf = () => {
  const prefix = `old${randomUUID().slice(0, 6)}`;
  return Object.fromEntries(Object.keys(TABLES).map((key) => [key, `${prefix}-${key}`])) as Record<TableKey, string>;
};

/** The decisions table as an earlier release made it: no stream, only an index since replaced. */
const oldDecisionsTable = (TableName: string, customerType: 'S' | 'N') =>
  client.send(
    new CreateTableCommand({
      TableName,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'transactionId', KeyType: 'HASH' }],
      AttributeDefinitions: [
        { AttributeName: 'transactionId', AttributeType: 'S' },
        { AttributeName: 'customer', AttributeType: customerType },
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

describe('local tables from an earlier release', () => {
  it('get the stream and the indexes their spec added since, keeping what they had', async () => {
    const names = namesOf();
    await oldDecisionsTable(names.decisions, 'S');
    await createTables(dynamo.endpoint, names);
    const table = (await client.send(new DescribeTableCommand({ TableName: names.decisions }))).Table;
    expect(table?.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' });
    expect(table?.GlobalSecondaryIndexes?.map((index) => index.IndexName).sort()).toEqual(
      ['byCaseStatus', 'byCustomer', 'customerHistory', 'providerAgreement'].sort(),
    );
    // Run again: nothing left to add, nothing fails.
    await createTables(dynamo.endpoint, names);
  }, 180_000);

  it('stop at once, saying why, on a change DynamoDB refuses rather than retrying it for minutes', async () => {
    const names = namesOf();
    // The customer keyed as a number: no index keyed on it as a string can be added to this table.
    await oldDecisionsTable(names.decisions, 'N');
    await expect(createTables(dynamo.endpoint, names)).rejects.toThrow(/customerHistory.*--fresh/s);
  }, 60_000);
});
