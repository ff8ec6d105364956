import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';

/** One provider event we have taken (an item of the counters table, which expires on `expiresAt`). */
const EventItemSchema = z.looseObject({
  pk: z.string(),
  digest: z.string(),
  state: z.enum(['PROCESSING', 'DONE']),
  leaseUntil: z.number(),
  expiresAt: z.number(),
});

/** What claiming an event id found: ours to process, already done, a different body, or another caller working on it. */
export type EventClaim = 'claimed' | 'duplicate' | 'conflict' | 'in-progress';

/**
 * Remembers provider events by id so that each is processed once. A claim is a lease: if the
 * function fails (`release`) or dies (the lease runs out) before `finish`, the provider's retry of
 * the same body claims it again, so no event is lost and none is applied twice. Powertools
 * idempotency would do the same but deletes records on failure (this function may not delete)
 * and is one more dependency; two conditional writes suffice.
 */
export const providerEventLedger = (
  client: DynamoDBDocumentClient,
  table: string,
  options: { rememberSeconds: number; leaseSeconds: number },
) => ({
  async claim(key: string, digest: string, now = Date.now()): Promise<EventClaim> {
    const nowSeconds = Math.floor(now / 1000);
    try {
      await client.send(
        new PutCommand({
          TableName: table,
          Item: {
            pk: key,
            digest,
            state: 'PROCESSING',
            leaseUntil: nowSeconds + options.leaseSeconds,
            expiresAt: nowSeconds + options.rememberSeconds,
          },
          // A lapsed lease on the same body is a failed attempt: its retry takes over.
          ConditionExpression:
            'attribute_not_exists(pk) OR (#state = :processing AND leaseUntil < :now AND digest = :digest)',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':processing': 'PROCESSING', ':now': nowSeconds, ':digest': digest },
        }),
      );
      return 'claimed';
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    const found = await client.send(new GetCommand({ TableName: table, Key: { pk: key }, ConsistentRead: true }));
    const item = found.Item ? EventItemSchema.parse(found.Item) : undefined;
    if (!item) return 'in-progress'; // expired between the two calls: the provider's next retry claims it
    if (item.digest !== digest) return 'conflict';
    return item.state === 'DONE' ? 'duplicate' : 'in-progress';
  },

  /** The event's effect is stored: from now on its id only ever answers `duplicate`. */
  async finish(key: string): Promise<void> {
    await client.send(
      new UpdateCommand({
        TableName: table,
        Key: { pk: key },
        UpdateExpression: 'SET #state = :done',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':done': 'DONE' },
      }),
    );
  },

  /** Processing failed and stored nothing: the provider's retry may claim the event at once. */
  async release(key: string): Promise<void> {
    await client.send(
      new UpdateCommand({
        TableName: table,
        Key: { pk: key },
        UpdateExpression: 'SET leaseUntil = :zero',
        ConditionExpression: '#state = :processing',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':zero': 0, ':processing': 'PROCESSING' },
      }),
    );
  },
});
export type ProviderEventLedger = ReturnType<typeof providerEventLedger>;
