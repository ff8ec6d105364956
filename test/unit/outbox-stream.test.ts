import { isPublished, matchesPattern, outboxMessage } from '../../lib/outbox-stream.js';

/** A stream record as DynamoDB Streams (and DynamoDB Local) delivers it, for a delivery item. */
const record = (eventName: 'INSERT' | 'MODIFY' | 'REMOVE', newStatus?: string, oldStatus?: string) => ({
  eventName,
  dynamodb: {
    Keys: { deliveryId: { S: 'dlv_1' } },
    ...(newStatus ? { NewImage: { deliveryId: { S: 'dlv_1' }, status: { S: newStatus } } } : {}),
    ...(oldStatus ? { OldImage: { deliveryId: { S: 'dlv_1' }, status: { S: oldStatus } } } : {}),
  },
});

describe('the outbox stream filter (the pipe in AWS, the stream poller locally)', () => {
  it('publishes a delivery when it is created QUEUED and when a supervisor makes a DEAD one QUEUED again', () => {
    expect(isPublished(record('INSERT', 'QUEUED'))).toBe(true);
    expect(isPublished(record('MODIFY', 'QUEUED', 'DEAD'))).toBe(true);
  });

  it("publishes none of the deliver function's own writes, the sweeper's touches or a removal", () => {
    // A lease (QUEUED -> QUEUED), an attempt (-> FAILED, DELIVERED, DEAD), a cancellation, a TTL removal.
    expect(isPublished(record('MODIFY', 'QUEUED', 'QUEUED'))).toBe(false);
    expect(isPublished(record('MODIFY', 'QUEUED', 'FAILED'))).toBe(false);
    for (const status of ['FAILED', 'DELIVERED', 'DEAD', 'CANCELLED']) {
      expect(isPublished(record('MODIFY', status, 'QUEUED'))).toBe(false);
    }
    expect(isPublished(record('INSERT', 'CANCELLED'))).toBe(false);
    expect(isPublished(record('REMOVE', undefined, 'DELIVERED'))).toBe(false);
  });

  it('sends the queue the message the pipe template makes: a pointer to the record', () => {
    expect(JSON.parse(outboxMessage(record('INSERT', 'QUEUED')))).toEqual({ deliveryId: 'dlv_1' });
    expect(() => outboxMessage({ dynamodb: {} })).toThrow(/deliveryId/);
  });

  it('refuses an EventBridge operator it does not emulate instead of matching it wrongly', () => {
    expect(() => matchesPattern({ status: [{ prefix: 'Q' }] as never }, { status: 'QUEUED' })).toThrow(/literal/);
  });
});
