import type { Delivery, DeliveryMessage } from './delivery.js';
import { type AttemptOutcome, type AttemptResult, applyAttempt, scheduleMessage } from './retry-policy.js';
import { buildRequest, type OutboundRequest, TargetNotConfiguredError, type TargetSettings } from './targets.js';

/** Storage of delivery records, with a lease so one delivery is never sent by two workers at once. */
export interface DeliveryStore {
  /**
   * Claims a delivery that is due (QUEUED or FAILED, its next attempt not in the future, no live
   * lease) until `leaseUntil`. Returns undefined when it is already final or leased, and when its
   * next attempt is still ahead (a message that came early), when that is.
   */
  acquireLease(
    deliveryId: string,
    leaseToken: string,
    now: Date,
    leaseUntil: Date,
  ): Promise<Delivery | { notDueUntil: string } | undefined>;
  /** Stores the delivery after an attempt, only while the lease is still ours. */
  saveAttempt(delivery: Delivery, leaseToken: string): Promise<void>;
}

export interface DeliveryQueue {
  send(message: DeliveryMessage, delaySeconds: number): Promise<void>;
  sendToDeadLetter(message: DeliveryMessage & { reason: string }): Promise<void>;
}

export interface WebhookSender {
  send(request: OutboundRequest, timeoutMs: number): Promise<AttemptResult>;
}

export interface DeliverDeps {
  store: DeliveryStore;
  queue: DeliveryQueue;
  sender: WebhookSender;
  settings: TargetSettings;
  retryDelays: readonly number[];
  timeoutMs: number;
  now?: () => Date;
  random?: () => number;
  newLeaseToken: () => string;
  /** Told once a delivery got its 2xx (the case history records it). */
  onDelivered?: (delivery: Delivery) => Promise<void>;
}

export type DeliverResult =
  | { kind: 'waiting' }
  | { kind: 'skipped' }
  | ({ kind: 'attempted'; target: Delivery['target'] } & AttemptOutcome);

/**
 * Handles one message of the deliveries queue: claims the delivery, sends it once, records the
 * attempt, then schedules the next attempt or hands the message to the DLQ. A redelivered
 * message for a delivered (or not yet due) record sends nothing.
 */
export const deliverWebhook = async (message: DeliveryMessage, deps: DeliverDeps): Promise<DeliverResult> => {
  const now = deps.now?.() ?? new Date();
  if (message.notBefore && Date.parse(message.notBefore) > now.getTime() + 1000) {
    const wait = (Date.parse(message.notBefore) - now.getTime()) / 1000;
    const next = scheduleMessage(message.deliveryId, wait, now);
    await deps.queue.send(next.message, next.delaySeconds);
    return { kind: 'waiting' };
  }
  const leaseToken = deps.newLeaseToken();
  // The lease outlives the HTTP timeout so a slow partner cannot cause a second, parallel send.
  const leaseUntil = new Date(now.getTime() + deps.timeoutMs + 30_000);
  const delivery = await deps.store.acquireLease(message.deliveryId, leaseToken, now, leaseUntil);
  if (!delivery) return { kind: 'skipped' };
  if ('notDueUntil' in delivery) {
    // Early (the outbox stream publishes a held record at once): the message comes back when it is due.
    const next = scheduleMessage(message.deliveryId, (Date.parse(delivery.notDueUntil) - now.getTime()) / 1000, now);
    await deps.queue.send(next.message, next.delaySeconds);
    return { kind: 'waiting' };
  }

  let result: AttemptResult;
  try {
    result = await deps.sender.send(buildRequest(delivery, deps.settings, now), deps.timeoutMs);
  } catch (error) {
    if (!(error instanceof TargetNotConfiguredError)) throw error;
    // Not retryable until someone configures the target: a 4xx-like refusal, final.
    result = { kind: 'response', status: 400, latencyMs: 0, snippet: error.message };
  }
  const outcome = applyAttempt(delivery, result, {
    now: deps.now?.() ?? new Date(),
    delays: deps.retryDelays,
    random: deps.random ?? Math.random,
  });
  await deps.store.saveAttempt(outcome.delivery, leaseToken);
  if (outcome.retryInSeconds !== undefined) {
    const next = scheduleMessage(delivery.deliveryId, outcome.retryInSeconds, now);
    await deps.queue.send(next.message, next.delaySeconds);
  } else if (outcome.delivery.status === 'DELIVERED') {
    await deps.onDelivered?.(outcome.delivery);
  } else if (outcome.delivery.status === 'DEAD') {
    await deps.queue.sendToDeadLetter({
      deliveryId: delivery.deliveryId,
      reason: outcome.delivery.deadReason ?? 'dead',
    });
  }
  return { kind: 'attempted', target: delivery.target, ...outcome };
};
