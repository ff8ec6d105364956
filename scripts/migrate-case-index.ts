/**
 * `npm run migrate:case-index -- --table <decisions table> [--region r] [--endpoint url]`: gives
 * every stored case the key of the case index (`caseStatus`, see functions/adapters/decision-items.ts)
 * so that cases stored before the sparse index existed appear in the case queue again, and repairs
 * a key that no longer matches its case's status (a case the previous release changed after an
 * earlier run). Run it after the deploy that adds `byCaseStatus` and again after the deploy of this
 * release (README Deploying). Idempotent; each write holds only while the case's status is still
 * the one read (a case decided meanwhile is read again), so it can run while analysts work.
 */
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';

/** Sets `caseStatus` to the status on every item with `caseOpenedAt` where it differs; answers how many. */
export const backfillCaseIndex = async (client: DynamoDBDocumentClient, table: string) => {
  let updated = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({
        TableName: table,
        FilterExpression: 'attribute_exists(caseOpenedAt) AND (attribute_not_exists(caseStatus) OR caseStatus <> #s)',
        ProjectionExpression: 'transactionId, #s',
        ExpressionAttributeNames: { '#s': 'status' },
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }),
    );
    for (const item of page.Items ?? []) {
      let status = item.status;
      for (let attempt = 0; attempt < 5; attempt++) {
        try {
          await client.send(
            new UpdateCommand({
              TableName: table,
              Key: { transactionId: item.transactionId },
              UpdateExpression: 'SET caseStatus = :s',
              ConditionExpression: '#s = :s',
              ExpressionAttributeNames: { '#s': 'status' },
              ExpressionAttributeValues: { ':s': status },
            }),
          );
          updated++;
          break;
        } catch (error) {
          if (!(error instanceof ConditionalCheckFailedException)) throw error;
          const current = (
            await client.send(new GetCommand({ TableName: table, Key: { transactionId: item.transactionId } }))
          ).Item;
          // Its status moved meanwhile: read again (the new release keeps the key in step itself).
          if (!current || current.caseStatus === current.status) break;
          status = current.status;
        }
      }
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return updated;
};

const argument = (name: string) => {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? process.argv[index + 1] : undefined;
};

if (process.argv[1]?.endsWith('migrate-case-index.ts')) {
  const table = argument('table');
  if (!table) {
    console.error('usage: npm run migrate:case-index -- --table <decisions table> [--region r] [--endpoint url]');
    process.exit(2);
  }
  const endpoint = argument('endpoint');
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      ...(argument('region') ? { region: argument('region') } : {}),
      ...(endpoint ? { endpoint } : {}),
    }),
  );
  console.log(`gave ${await backfillCaseIndex(client, table)} cases their case index key in ${table}`);
  client.destroy();
}
