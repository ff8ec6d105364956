import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';

/**
 * Whether the decisions table answers: one consistent GetItem, its result ignored. Health's own
 * adapter, apart from the decision repository, so its bundle carries no domain code (schemas, decimal).
 */
export const storageProbe = (client: DynamoDBDocumentClient, decisionsTable: string) => ({
  async ping(signal: AbortSignal): Promise<void> {
    await client.send(
      new GetCommand({
        TableName: decisionsTable,
        Key: { transactionId: '__health__' },
        ConsistentRead: true,
        ProjectionExpression: 'transactionId',
      }),
      { abortSignal: signal },
    );
  },
});
