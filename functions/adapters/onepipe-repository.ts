import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  type MappingHistoryEntry,
  type MappingProposal,
  MappingProposalSchema,
  type MappingRecord,
  MappingRecordSchema,
  proposalKey,
} from '#domain/onepipe/account-mappings.js';
import type { NotificationRecord, NotificationStore } from '#domain/onepipe/notifications.js';
import { indexedAsCase } from './decision-items.js';
import { cancellationCodes, outboxPuts, type TransactItem } from './outbox.js';

export interface OnepipeTables {
  notifications: string;
  mappings: string;
  deliveries: string;
  decisions: string;
  history: string;
}

/** The claim that a OnePipe transaction_ref has been accounted for (registered or parked for a mapping). */
const transactionClaimKey = (transactionRef: string) => `txref#${transactionRef}`;

/**
 * OnePipe notifications (stored as received), the claims of their transactions, and account
 * mappings with their pending changes and history, in DynamoDB. Every create is conditional.
 */
export const onepipeRepository = (client: DynamoDBDocumentClient, tables: OnepipeTables) => {
  const historyPut = (entry: MappingHistoryEntry): TransactItem => ({
    // History is append-only: an entry is never overwritten.
    Put: { TableName: tables.history, Item: entry, ConditionExpression: 'attribute_not_exists(entryId)' },
  });

  const store: NotificationStore = {
    async burn(record) {
      try {
        await client.send(
          new PutCommand({
            TableName: tables.notifications,
            Item: record,
            ConditionExpression: 'attribute_not_exists(requestRef)',
          }),
        );
        return { outcome: 'new' };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        const seen = await client.send(
          new GetCommand({
            TableName: tables.notifications,
            Key: { requestRef: record.requestRef },
            ConsistentRead: true,
          }),
        );
        return { outcome: 'seen', record: seen.Item as NotificationRecord };
      }
    },

    async finish({ record, deliveries, informationalCase, claimTransactionRef }) {
      const items: TransactItem[] = [
        {
          Put: {
            TableName: tables.notifications,
            Item: record,
            ConditionExpression: '#s = :received',
            ExpressionAttributeNames: { '#s': 'state' },
            ExpressionAttributeValues: { ':received': 'RECEIVED' },
          },
        },
      ];
      if (claimTransactionRef) {
        items.push({
          Put: {
            TableName: tables.notifications,
            Item: {
              requestRef: transactionClaimKey(claimTransactionRef),
              claimedBy: record.requestRef,
              claimedAt: record.receivedAt,
            },
            ConditionExpression: 'attribute_not_exists(requestRef)',
          },
        });
      }
      items.push(...outboxPuts(tables.deliveries, deliveries));
      if (informationalCase) {
        // Its key (onepipe#<ref>) is a space no Toqio id can take; and it never overwrites anything.
        items.push({
          Put: {
            TableName: tables.decisions,
            Item: indexedAsCase(informationalCase as unknown as Record<string, unknown>),
            ConditionExpression: 'attribute_not_exists(transactionId)',
          },
        });
      }
      try {
        await client.send(new TransactWriteCommand({ TransactItems: items }));
        return 'stored';
      } catch (error) {
        const codes = cancellationCodes(error);
        if (!codes) throw error;
        if (codes[0] === 'ConditionalCheckFailed') return 'already-finished';
        if (claimTransactionRef && codes[1] === 'ConditionalCheckFailed') return 'transaction-taken';
        throw error;
      }
    },

    async getMapping(accountNumber) {
      const result = await client.send(
        new GetCommand({ TableName: tables.mappings, Key: { accountNumber }, ConsistentRead: true }),
      );
      return result.Item;
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
              ...outboxPuts(tables.deliveries, [delivery]),
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

  const transact = async (items: TransactItem[]): Promise<boolean> => {
    try {
      await client.send(new TransactWriteCommand({ TransactItems: items }));
      return true;
    } catch (error) {
      if (error instanceof TransactionCanceledException) return false;
      throw error;
    }
  };

  return {
    ...store,
    /** A new account's first mapping and its history entry; false when the account is already mapped. */
    createMapping: (record: MappingRecord, entry: MappingHistoryEntry) =>
      transact([
        {
          Put: {
            TableName: tables.mappings,
            Item: record,
            ConditionExpression: 'attribute_not_exists(accountNumber)',
          },
        },
        historyPut(entry),
      ]),
    /** Records a proposed change (replacing an earlier pending one) with its history entry. */
    proposeChange: (proposal: MappingProposal, entry: MappingHistoryEntry) =>
      transact([{ Put: { TableName: tables.mappings, Item: proposal } }, historyPut(entry)]),
    /**
     * Applies an approved change: the mapping changes only if it is still the version the
     * proposal was made against, and the proposal is the one the approver saw; one transaction.
     */
    applyChange: (proposal: MappingProposal, next: MappingRecord | undefined, entry: MappingHistoryEntry) =>
      transact([
        next
          ? {
              Put: {
                TableName: tables.mappings,
                Item: next,
                ConditionExpression: 'version = :base',
                ExpressionAttributeValues: { ':base': proposal.baseVersion },
              },
            }
          : {
              Delete: {
                TableName: tables.mappings,
                Key: { accountNumber: proposal.target },
                ConditionExpression: 'version = :base',
                ExpressionAttributeValues: { ':base': proposal.baseVersion },
              },
            },
        {
          Delete: {
            TableName: tables.mappings,
            Key: { accountNumber: proposal.accountNumber },
            ConditionExpression: 'proposedAt = :at AND proposedBy = :by',
            ExpressionAttributeValues: { ':at': proposal.proposedAt, ':by': proposal.proposedBy },
          },
        },
        historyPut(entry),
      ]),
    async getMappingRecord(accountNumber: string): Promise<MappingRecord | undefined> {
      const item = await store.getMapping(accountNumber);
      return item ? MappingRecordSchema.parse(item) : undefined;
    },
    async getProposal(accountNumber: string): Promise<MappingProposal | undefined> {
      const item = await store.getMapping(proposalKey(accountNumber));
      return item ? MappingProposalSchema.parse(item) : undefined;
    },
    async mappingHistory(accountNumber: string): Promise<MappingHistoryEntry[]> {
      const result = await client.send(
        new QueryCommand({
          TableName: tables.history,
          KeyConditionExpression: 'transactionId = :id',
          ExpressionAttributeValues: { ':id': `mapping#${accountNumber}` },
        }),
      );
      return (result.Items ?? []) as MappingHistoryEntry[];
    },
    /** Mappings are few (one per virtual account of the fintech's customers); a scan of one page. */
    async listMappings(): Promise<{ mappings: MappingRecord[]; proposals: MappingProposal[] }> {
      const result = await client.send(new ScanCommand({ TableName: tables.mappings, Limit: 1000 }));
      const items = result.Items ?? [];
      return {
        mappings: items
          .filter((item) => !String(item.accountNumber).includes('#'))
          .map((item) => MappingRecordSchema.parse(item)),
        proposals: items
          .filter((item) => String(item.accountNumber).startsWith('proposal#'))
          .map((item) => MappingProposalSchema.parse(item)),
      };
    },
    /** Everything waiting for a person (unmatched, parked, refused, unconfirmed), oldest first. */
    async listAllUnmatched(): Promise<NotificationRecord[]> {
      const result = await client.send(
        new ScanCommand({ TableName: tables.notifications, IndexName: 'byUnmatchedAccount', Limit: 1000 }),
      );
      return ((result.Items ?? []) as NotificationRecord[]).sort((a, b) => a.receivedAt.localeCompare(b.receivedAt));
    },
  };
};
export type OnepipeRepository = ReturnType<typeof onepipeRepository>;
