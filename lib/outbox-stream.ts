/**
 * How the outbox reaches the deliveries queue: no function sends to SQS while a caller waits.
 * A delivery record is committed in the same DynamoDB transaction as the change that owes it; the
 * deliveries table's stream carries the new record to the deliveries queue, through EventBridge
 * Pipes in AWS (lib/constructs/outbox-pipe.ts) and through local/stream-poller.ts locally, both
 * from the filter and the message shape below, so the two cannot drift apart.
 *
 * A record is published when it becomes sendable: created QUEUED (every use case), or made QUEUED
 * again from DEAD (a supervisor's retry). The deliver function's own writes (lease, attempts,
 * FAILED with a delayed retry it enqueues itself) and the sweeper's touches match neither pattern.
 */

/** The stream's view: the filter needs the old image to tell a retry (DEAD -> QUEUED) from a lease. */
export const OUTBOX_STREAM_VIEW = 'NEW_AND_OLD_IMAGES' as const;

/** EventBridge event patterns on the stream record (any one matches); only literal-value lists are used. */
export const OUTBOX_STREAM_FILTERS = [
  { eventName: ['INSERT'], dynamodb: { NewImage: { status: { S: ['QUEUED'] } } } },
  {
    eventName: ['MODIFY'],
    dynamodb: { NewImage: { status: { S: ['QUEUED'] } }, OldImage: { status: { S: ['DEAD'] } } },
  },
] as const;

/**
 * The deliveries queue's message (functions/domain/webhooks/delivery.ts DeliveryMessageSchema), as
 * an EventBridge Pipes input template: a pointer to the record.
 */
export const OUTBOX_MESSAGE_TEMPLATE = '{"deliveryId":"<$.dynamodb.Keys.deliveryId.S>"}';

/** The message the template makes of a stream record (what the pipe sends), for the local emulation. */
export const outboxMessage = (record: { dynamodb?: { Keys?: Record<string, { S?: string }> } }): string => {
  const deliveryId = record.dynamodb?.Keys?.deliveryId?.S;
  if (!deliveryId) throw new Error('stream record without a deliveryId key');
  return JSON.stringify({ deliveryId });
};

type Pattern = { readonly [key: string]: Pattern | readonly string[] };

/**
 * EventBridge's matching for the patterns used here: every key of the pattern must be present in
 * the event, and a list matches when the event's value is one of its literals. Any other operator
 * (prefix, numeric, anything-but...) is refused rather than matched wrongly.
 */
export const matchesPattern = (pattern: Pattern, event: unknown): boolean =>
  Object.entries(pattern).every(([key, expected]) => {
    const value = typeof event === 'object' && event !== null ? (event as Record<string, unknown>)[key] : undefined;
    if (Array.isArray(expected)) {
      if (!expected.every((literal) => typeof literal === 'string')) {
        throw new Error(`outbox filter ${key}: only lists of literal strings are emulated locally`);
      }
      return typeof value === 'string' && expected.includes(value);
    }
    return matchesPattern(expected as Pattern, value);
  });

/** Whether the pipe publishes a stream record. */
export const isPublished = (record: unknown): boolean =>
  OUTBOX_STREAM_FILTERS.some((pattern) => matchesPattern(pattern as unknown as Pattern, record));
