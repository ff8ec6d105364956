import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { AccountMapping } from '#domain/onepipe.js';
import type { NotificationRecord, NotificationStore } from '#domain/onepipe-notifications.js';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

export interface OnepipeTables {
  notifications: string;
  mappings: string;
  deliveries: string;
  decisions: string;
}

/** OnePipe notifications (stored as received) and account mappings, in DynamoDB. */
export const onepipeRepository = (client: DynamoDBDocumentClient, tables: OnepipeTables) => {
  const deliveryPut = (item: object): TransactItem => ({
    Put: { TableName: tables.deliveries, Item: item, ConditionExpression: 'attribute_not_exists(deliveryId)' },
  });

  const store: NotificationStore = {
    async record({ notification, deliveries, informationalCase }) {
      const items: TransactItem[] = [
        {
          Put: {
            TableName: tables.notifications,
            Item: notification,
            ConditionExpression: 'attribute_not_exists(requestRef)',
          },
        },
        ...deliveries.map(deliveryPut),
      ];
      if (informationalCase) {
        // Keyed by the credit's transaction_ref: a re-sent credit rewrites the same case.
        items.push({ Put: { TableName: tables.decisions, Item: informationalCase } });
      }
      try {
        await client.send(new TransactWriteCommand({ TransactItems: items }));
        return 'stored';
      } catch (error) {
        const codes =
          error instanceof TransactionCanceledException ? (error.CancellationReasons ?? []).map((r) => r.Code) : [];
        // The same request_ref again: nothing new happens.
        if (codes[0] === 'ConditionalCheckFailed') return 'duplicate';
        throw error;
      }
    },

    async getMapping(accountNumber) {
      const result = await client.send(
        new GetCommand({ TableName: tables.mappings, Key: { accountNumber }, ConsistentRead: true }),
      );
      return result.Item as AccountMapping | undefined;
    },

    async listUnmatched(accountNumber) {
      const result = await client.send(
        new QueryCommand({
          TableName: tables.notifications,
          IndexName: 'byUnmatchedAccount',
          KeyConditionExpression: 'unmatchedAccount = :a',
          ExpressionAttributeValues: { ':a': accountNumber },
        }),
      );
      return (result.Items ?? []) as NotificationRecord[];
    },

    async registerUnmatched(notification, delivery) {
      try {
        await client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Update: {
                  TableName: tables.notifications,
                  Key: { requestRef: notification.requestRef },
                  UpdateExpression:
                    'SET #s = :registered, deliveryId = :d, registeredAt = :at REMOVE unmatchedAccount, why',
                  ConditionExpression: '#s = :unmatched',
                  ExpressionAttributeNames: { '#s': 'state' },
                  ExpressionAttributeValues: {
                    ':registered': 'REGISTERED',
                    ':unmatched': 'UNMATCHED',
                    ':d': delivery.deliveryId,
                    ':at': delivery.createdAt,
                  },
                },
              },
              deliveryPut(delivery),
            ],
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof TransactionCanceledException) return false;
        throw error;
      }
    },
  };

  return {
    ...store,
    async putMapping(mapping: AccountMapping & { updatedAt: string; updatedBy: string }) {
      await client.send(new PutCommand({ TableName: tables.mappings, Item: mapping }));
    },
    async deleteMapping(accountNumber: string): Promise<boolean> {
      const result = await client.send(
        new DeleteCommand({ TableName: tables.mappings, Key: { accountNumber }, ReturnValues: 'ALL_OLD' }),
      );
      return result.Attributes !== undefined;
    },
    /** Mappings are few (one per virtual account of the fintech's customers); a scan of one page. */
    async listMappings(): Promise<AccountMapping[]> {
      const result = await client.send(new ScanCommand({ TableName: tables.mappings, Limit: 1000 }));
      return (result.Items ?? []) as AccountMapping[];
    },
    /** Every parked credit, oldest first (the UI's "unmatched" list). */
    async listAllUnmatched(): Promise<NotificationRecord[]> {
      const result = await client.send(
        new ScanCommand({ TableName: tables.notifications, IndexName: 'byUnmatchedAccount', Limit: 1000 }),
      );
      return ((result.Items ?? []) as NotificationRecord[]).sort((a, b) => a.receivedAt.localeCompare(b.receivedAt));
    },
  };
};
export type OnepipeRepository = ReturnType<typeof onepipeRepository>;
