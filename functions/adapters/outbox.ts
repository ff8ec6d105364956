import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Delivery } from '#domain/webhooks/delivery.js';

/** One item of a DynamoDB transaction (TransactWriteItems). */
export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/**
 * The outbox, written by every use case that owes a partner a webhook: each delivery is a record
 * put in the same DynamoDB transaction as the change that caused it (the SQS message only points
 * at it), never over an existing record.
 */
export const outboxPuts = (table: string, deliveries: readonly Delivery[]): TransactItem[] =>
  deliveries.map((delivery) => ({
    Put: { TableName: table, Item: delivery, ConditionExpression: 'attribute_not_exists(deliveryId)' },
  }));

/**
 * Why DynamoDB cancelled a transaction, one code per item in order (`ConditionalCheckFailed`,
 * `TransactionConflict`, `None`, ...); undefined for any other error.
 */
export const cancellationCodes = (error: unknown): string[] | undefined =>
  error instanceof TransactionCanceledException
    ? (error.CancellationReasons ?? []).map((reason) => reason.Code ?? 'None')
    : undefined;
