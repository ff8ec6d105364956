import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Delivery } from '#domain/webhooks/delivery.js';

/** One item of a DynamoDB transaction (TransactWriteItems). */
export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/**
 * The outbox, written by every use case that owes a partner a webhook: each delivery is a record
 * put in the same DynamoDB transaction as the change that caused it (the SQS message only points
 * at it), never over an existing record.
 *
 * `bySubject: false` leaves the record out of the subject index (its subject is stored as `about`,
 * which the repository reads back as `subject`): for a record whose id the subject's own item keeps
 * (a validate decision keeps `deliveryIds`), the index write is 2 write units spent on nothing.
 */
export const outboxPuts = (
  table: string,
  deliveries: readonly Delivery[],
  options: { bySubject?: boolean } = {},
): TransactItem[] =>
  deliveries.map((delivery) => {
    const { subject, ...rest } = delivery;
    const item = options.bySubject === false ? { ...rest, about: subject } : delivery;
    return { Put: { TableName: table, Item: item, ConditionExpression: 'attribute_not_exists(deliveryId)' } };
  });

/**
 * Why DynamoDB cancelled a transaction, one code per item in order (`ConditionalCheckFailed`,
 * `TransactionConflict`, `None`, ...); undefined for any other error.
 */
export const cancellationCodes = (error: unknown): string[] | undefined =>
  error instanceof TransactionCanceledException
    ? (error.CancellationReasons ?? []).map((reason) => reason.Code ?? 'None')
    : undefined;
