import { randomUUID } from 'node:crypto';
import * as z from 'zod';

/**
 * A delivery is one outbound webhook we owe a partner. The record is the source of truth (the
 * SQS message only points at it): QUEUED until the first attempt, FAILED while retries remain,
 * DELIVERED after a 2xx, DEAD when retries are spent or the partner refused it (4xx), CANCELLED
 * when the change that caused it was undone before it was sent (a degraded answer's late write).
 */
export const DELIVERY_STATUSES = ['QUEUED', 'FAILED', 'DELIVERED', 'DEAD', 'CANCELLED'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** Partners we send to. The registry in delivery-targets.ts turns a target into a URL and headers. */
export const DELIVERY_TARGETS = ['toqio', 'onepipe'] as const;
export type DeliveryTarget = (typeof DELIVERY_TARGETS)[number];

export interface Attempt {
  number: number;
  at: string;
  outcome: 'delivered' | 'retry' | 'dead';
  httpStatus?: number;
  latencyMs: number;
  error?: string;
  /** The first characters of the partner's answer, for troubleshooting. */
  responseSnippet?: string;
}

export interface Delivery {
  deliveryId: string;
  target: DeliveryTarget;
  /** The partner's event type, e.g. TRANSACTION_MONITORING_STATUS_UPDATED. */
  type: string;
  /** What the delivery is about (a transaction id), to list a case's deliveries. */
  subject: string;
  /** The exact JSON body, fixed at creation so every attempt sends the same bytes. */
  payload: string;
  status: DeliveryStatus;
  attempts: Attempt[];
  attemptCount: number;
  /** Attempts before this number belong to earlier retry rounds (a manual retry starts a new round). */
  roundStart: number;
  createdAt: string;
  updatedAt: string;
  /** When the record next needs attention: the sweeper and the status index sort on it. */
  dueAt: string;
  nextAttemptAt?: string;
  deliveredAt?: string;
  deadReason?: string;
  cancelledAt?: string;
  cancelReason?: string;
}

// Schemas here are z.lazy: built on their first parse, so a function that never parses them
// does not build them at cold start (npm run bench:cold).
/** The SQS message: a pointer to the record, and when it may be acted on (long waits re-enqueue). */
export const DeliveryMessageSchema = z.lazy(() =>
  z.strictObject({
    deliveryId: z.string().min(1),
    notBefore: z.iso.datetime().optional(),
  }),
);
export type DeliveryMessage = z.infer<typeof DeliveryMessageSchema>;

export const newDelivery = (input: {
  target: DeliveryTarget;
  type: string;
  subject: string;
  payload: unknown;
  now: Date;
}): Delivery => {
  const at = input.now.toISOString();
  return {
    deliveryId: `dlv_${randomUUID()}`,
    target: input.target,
    type: input.type,
    subject: input.subject,
    payload: JSON.stringify(input.payload),
    status: 'QUEUED',
    attempts: [],
    attemptCount: 0,
    roundStart: 0,
    createdAt: at,
    updatedAt: at,
    dueAt: at,
  };
};

/**
 * A delivery that may not be sent before `until` (its first attempt waits): the outbox stream
 * publishes it at once, and the deliver function sends the message back until then.
 */
export const heldUntil = (delivery: Delivery, until: Date): Delivery => ({
  ...delivery,
  nextAttemptAt: until.toISOString(),
  dueAt: until.toISOString(),
});

/** A dead delivery sent again by a supervisor: a fresh round of the retry schedule. */
export const restartDelivery = (delivery: Delivery, now: Date): Delivery => {
  const at = now.toISOString();
  const { deadReason: _reason, nextAttemptAt: _next, ...rest } = delivery;
  return { ...rest, status: 'QUEUED', roundStart: delivery.attemptCount, updatedAt: at, dueAt: at };
};
