import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Delivery, DeliveryStatus } from '#domain/webhooks/delivery.js';
import type { DeliveryStore } from '#domain/webhooks/send-attempt.js';
import { outboxPuts, type TransactItem } from './outbox.js';

/** A page of a listing; the cursor is opaque to callers (base64url of DynamoDB's LastEvaluatedKey). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export const encodeCursor = (key: Record<string, unknown> | undefined): string | null =>
  key ? Buffer.from(JSON.stringify(key)).toString('base64url') : null;

export const decodeCursor = (cursor: string | undefined): Record<string, unknown> | undefined => {
  if (!cursor) return undefined;
  try {
    const key: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    return typeof key === 'object' && key !== null ? (key as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
};

/** Fields a delivery may lack: an attempt that leaves one out removes it from the record. */
const OPTIONAL_FIELDS = ['nextAttemptAt', 'deliveredAt', 'deadReason', 'cancelledAt', 'cancelReason'] as const;

/** A stored record as the domain's Delivery: no lease, and the subject wherever it is stored (outbox.ts). */
const strip = (item: Record<string, unknown> | undefined): Delivery | undefined => {
  if (!item) return undefined;
  const { leaseToken: _token, leaseUntil: _until, about, ...delivery } = item;
  return (about === undefined ? delivery : { ...delivery, subject: about }) as unknown as Delivery;
};

/** Delivery records in DynamoDB: the outbox item, the lease, attempts and the listings. */
export const deliveryRepository = (client: DynamoDBDocumentClient, table: string) => {
  const store: DeliveryStore = {
    async acquireLease(deliveryId, leaseToken, now, leaseUntil) {
      const at = now.toISOString();
      try {
        const result = await client.send(
          new UpdateCommand({
            TableName: table,
            Key: { deliveryId },
            // The index keys (status, dueAt) stay as they are: no index write per attempt. A worker
            // that dies mid-send leaves a live lease the sweeper waits out (touchIfIdle), then sends.
            UpdateExpression: 'SET leaseToken = :token, leaseUntil = :until',
            ConditionExpression:
              'attribute_exists(deliveryId) AND #s IN (:queued, :failed) ' +
              'AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now) ' +
              'AND (attribute_not_exists(nextAttemptAt) OR nextAttemptAt <= :soon)',
            ExpressionAttributeNames: { '#s': 'status' },
            ExpressionAttributeValues: {
              ':token': leaseToken,
              ':until': leaseUntil.toISOString(),
              ':now': at,
              // A message may arrive a little early (SQS delays are whole seconds, rounded); one
              // earlier than that is sent back until due (a held delivery must not go early).
              ':soon': new Date(now.getTime() + 1000).toISOString(),
              ':queued': 'QUEUED',
              ':failed': 'FAILED',
            },
            ReturnValues: 'ALL_NEW',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return strip(result.Attributes);
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        // A held first attempt (never tried, free, not yet due): say when it will be. A copy of a
        // message for a record already tried is dropped as before: the retry has its own message.
        const old = error.Item ? unmarshall(error.Item) : undefined;
        const held = old?.status === 'QUEUED' && Number(old.attemptCount ?? 0) === 0;
        const free = !old?.leaseUntil || String(old.leaseUntil) < at;
        return held && free && typeof old?.nextAttemptAt === 'string' && old.nextAttemptAt > at
          ? { notDueUntil: old.nextAttemptAt }
          : undefined;
      }
    },

    async saveAttempt(delivery, leaseToken) {
      // The record as the attempt left it, as a whole (the lease and every optional field it no
      // longer has are removed), but its subject stays where it is stored: a record kept out of
      // the subject index (outbox.ts, `about`) is not put into it by its first attempt.
      const { deliveryId, subject: _subject, ...fields } = delivery as Delivery & Record<string, unknown>;
      const names: Record<string, string> = { '#s': 'status' };
      const values: Record<string, unknown> = { ':token': leaseToken, ':queued': 'QUEUED', ':failed': 'FAILED' };
      const sets: string[] = [];
      Object.entries(fields).forEach(([attribute, value], index) => {
        if (value === undefined) return;
        names[`#f${index}`] = attribute;
        values[`:f${index}`] = value;
        sets.push(`#f${index} = :f${index}`);
      });
      const removes = ['leaseToken', 'leaseUntil', ...OPTIONAL_FIELDS.filter((field) => fields[field] === undefined)];
      await client.send(
        new UpdateCommand({
          TableName: table,
          Key: { deliveryId },
          UpdateExpression: `SET ${sets.join(', ')} REMOVE ${removes.join(', ')}`,
          // Still ours, and still sendable: a record cancelled meanwhile (its lease lapsed during a
          // stall) is never brought back to life by a late attempt.
          ConditionExpression: 'leaseToken = :token AND #s IN (:queued, :failed)',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
    },
  };

  const get = async (deliveryId: string): Promise<Delivery | undefined> => {
    const result = await client.send(new GetCommand({ TableName: table, Key: { deliveryId }, ConsistentRead: true }));
    return strip(result.Item);
  };

  /** Every delivery about one subject (a transaction), oldest first. */
  const listBySubject = async (subject: string): Promise<Delivery[]> => {
    const result = await client.send(
      new QueryCommand({
        TableName: table,
        IndexName: 'bySubject',
        KeyConditionExpression: 'subject = :s',
        ExpressionAttributeValues: { ':s': subject },
      }),
    );
    return (result.Items ?? []).map((item) => strip(item) as Delivery);
  };

  /**
   * Every delivery about a subject: those in the subject index and those whose ids the caller
   * knows (records kept out of the index, and ones the eventually consistent index lacks yet).
   */
  const listAbout = async (subject: string, knownIds: readonly string[]): Promise<Delivery[]> => {
    const found = new Map((await listBySubject(subject)).map((delivery) => [delivery.deliveryId, delivery]));
    for (const id of knownIds) {
      if (found.has(id)) continue;
      const delivery = await get(id);
      if (delivery) found.set(id, delivery);
    }
    return [...found.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  };

  return {
    ...store,

    /** The Put that writes a new delivery inside a business transaction (the outbox). */
    outboxItem(delivery: Delivery): TransactItem {
      return outboxPuts(table, [delivery])[0] as TransactItem;
    },

    get,

    /** Deliveries with a status, by due time; `before`/`since` bound dueAt. */
    async listByStatus(
      status: DeliveryStatus,
      options: { limit?: number; cursor?: string; before?: string; since?: string; newestFirst?: boolean } = {},
    ): Promise<Page<Delivery>> {
      const range = options.before
        ? { expression: ' AND dueAt < :bound', value: options.before }
        : options.since
          ? { expression: ' AND dueAt >= :bound', value: options.since }
          : undefined;
      const startKey = decodeCursor(options.cursor);
      const result = await client.send(
        new QueryCommand({
          TableName: table,
          IndexName: 'byStatus',
          KeyConditionExpression: `#s = :s${range?.expression ?? ''}`,
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':s': status, ...(range ? { ':bound': range.value } : {}) },
          ScanIndexForward: !options.newestFirst,
          Limit: options.limit ?? 50,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      return {
        items: (result.Items ?? []).map((item) => strip(item) as Delivery),
        nextCursor: encodeCursor(result.LastEvaluatedKey),
      };
    },

    listBySubject,
    listAbout,

    /** Replaces a record only if it still has the status we read (a manual retry of a DEAD record). */
    async replaceIfStatus(delivery: Delivery, expected: DeliveryStatus, expectedUpdatedAt: string): Promise<boolean> {
      // The record as a whole, as saveAttempt writes it: its subject stays where it is stored (a
      // record kept out of the subject index, outbox.ts `about`, is not put into it by a retry).
      const { deliveryId, subject: _subject, ...fields } = delivery as Delivery & Record<string, unknown>;
      const names: Record<string, string> = { '#s': 'status' };
      const values: Record<string, unknown> = { ':expected': expected, ':updatedAt': expectedUpdatedAt };
      const sets: string[] = [];
      Object.entries(fields).forEach(([attribute, value], index) => {
        if (value === undefined) return;
        names[`#f${index}`] = attribute;
        values[`:f${index}`] = value;
        sets.push(`#f${index} = :f${index}`);
      });
      const removes = ['leaseToken', 'leaseUntil', ...OPTIONAL_FIELDS.filter((field) => fields[field] === undefined)];
      try {
        await client.send(
          new UpdateCommand({
            TableName: table,
            Key: { deliveryId },
            UpdateExpression: `SET ${sets.join(', ')} REMOVE ${removes.join(', ')}`,
            ConditionExpression: '#s = :expected AND updatedAt = :updatedAt',
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },

    /**
     * The sweeper's touch: moves dueAt (and updatedAt) forward, and nothing else, only while the
     * record is as it was read and no worker holds a live lease on it. It never rewrites the item,
     * so a lease or an attempt recorded in between is never erased.
     */
    async touchIfIdle(deliveryId: string, expected: DeliveryStatus, expectedUpdatedAt: string, now: Date) {
      try {
        await client.send(
          new UpdateCommand({
            TableName: table,
            Key: { deliveryId },
            UpdateExpression: 'SET dueAt = :now, updatedAt = :now',
            ConditionExpression:
              '#s = :expected AND updatedAt = :updatedAt AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now)',
            ExpressionAttributeNames: { '#s': 'status' },
            ExpressionAttributeValues: {
              ':expected': expected,
              ':updatedAt': expectedUpdatedAt,
              ':now': now.toISOString(),
            },
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },

    /**
     * Cancels every delivery about a subject that has not been sent and is not being sent:
     * QUEUED or FAILED, with no live lease. Each cancel is conditional on exactly that.
     */
    async cancelUnsent(subject: string, knownIds: readonly string[], now: Date) {
      const at = now.toISOString();
      const result = { cancelled: [] as string[], delivered: [] as string[], inFlight: [] as string[] };
      for (const delivery of await listAbout(subject, knownIds)) {
        if (delivery.status === 'DELIVERED') result.delivered.push(delivery.deliveryId);
        // A DEAD delivery is cancelled too, so no one can send it again with a manual retry.
        if (delivery.status !== 'QUEUED' && delivery.status !== 'FAILED' && delivery.status !== 'DEAD') continue;
        try {
          await client.send(
            new UpdateCommand({
              TableName: table,
              Key: { deliveryId: delivery.deliveryId },
              UpdateExpression:
                'SET #s = :cancelled, cancelledAt = :now, updatedAt = :now, dueAt = :now, cancelReason = :why ' +
                'REMOVE leaseToken, leaseUntil, nextAttemptAt',
              ConditionExpression:
                '#s IN (:queued, :failed, :dead) AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now)',
              ExpressionAttributeNames: { '#s': 'status' },
              ExpressionAttributeValues: {
                ':cancelled': 'CANCELLED',
                ':queued': 'QUEUED',
                ':failed': 'FAILED',
                ':dead': 'DEAD',
                ':now': at,
                ':why': 'SERVICE_DEGRADED: the decision was answered REJECTED before it was stored',
              },
            }),
          );
          result.cancelled.push(delivery.deliveryId);
        } catch (error) {
          if (!(error instanceof ConditionalCheckFailedException)) throw error;
          const now = await get(delivery.deliveryId);
          if (now?.status === 'DELIVERED') result.delivered.push(delivery.deliveryId);
          else if (now?.status === 'QUEUED' || now?.status === 'FAILED') result.inFlight.push(delivery.deliveryId);
        }
      }
      return result;
    },
  };
};
export type DeliveryRepository = ReturnType<typeof deliveryRepository>;
