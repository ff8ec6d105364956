import { randomUUID } from 'node:crypto';
import { z } from 'zod';

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

/** The SQS message: a pointer to the record, and when it may be acted on (long waits re-enqueue). */
export const DeliveryMessageSchema = z.strictObject({
  deliveryId: z.string().min(1),
  notBefore: z.iso.datetime().optional(),
});
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

/** What one HTTP attempt produced, as the sender reports it. */
export type AttemptResult =
  | { kind: 'response'; status: number; retryAfter?: string | null; latencyMs: number; snippet?: string }
  | { kind: 'error'; error: string; latencyMs: number };

/** SQS can delay a message by at most 15 minutes; longer waits are re-enqueued in steps. */
export const MAX_SQS_DELAY_SECONDS = 900;
/** A partner's Retry-After is honoured up to a day. */
const MAX_RETRY_AFTER_SECONDS = 24 * 60 * 60;

/** Retry-After as seconds: delta-seconds or an HTTP date (RFC 9110); undefined when absent or unreadable. */
export const parseRetryAfter = (value: string | null | undefined, now: Date): number | undefined => {
  if (!value) return undefined;
  const trimmed = value.trim();
  const seconds = /^\d+$/.test(trimmed) ? Number(trimmed) : (Date.parse(trimmed) - now.getTime()) / 1000;
  if (!Number.isFinite(seconds)) return undefined;
  return Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, Math.ceil(seconds)));
};

/** Delay before the next attempt of this round, with ±20 % jitter; undefined when the round is spent. */
export const retryDelaySeconds = (attemptInRound: number, delays: readonly number[], random: () => number) => {
  const base = delays[attemptInRound - 1];
  if (base === undefined) return undefined;
  return Math.max(1, Math.round(base * (0.8 + 0.4 * random())));
};

export interface AttemptOutcome {
  delivery: Delivery;
  attempt: Attempt;
  /** Seconds until the next attempt, when there is one. */
  retryInSeconds?: number;
}

/**
 * Applies one attempt's result to a delivery. 2xx delivers; 5xx, 429, timeouts and connection
 * errors retry on the schedule (429 after its Retry-After); any other status is final (DEAD),
 * since a partner that refuses a request will refuse it again.
 */
export const applyAttempt = (
  delivery: Delivery,
  result: AttemptResult,
  options: { now: Date; delays: readonly number[]; random: () => number },
): AttemptOutcome => {
  const number = delivery.attemptCount + 1;
  const at = options.now.toISOString();
  const base = { number, at, latencyMs: Math.round(result.latencyMs) };
  const attemptInRound = number - delivery.roundStart;

  let outcome: Attempt['outcome'];
  let reason: string | undefined;
  let retryIn: number | undefined;
  const detail = result.kind === 'response' ? { httpStatus: result.status } : { error: result.error };

  if (result.kind === 'response' && result.status >= 200 && result.status < 300) {
    outcome = 'delivered';
  } else if (result.kind === 'response' && result.status !== 429 && result.status < 500) {
    outcome = 'dead';
    reason = `partner refused the request with HTTP ${result.status}`;
  } else {
    const scheduled = retryDelaySeconds(attemptInRound, options.delays, options.random);
    const retryAfter = result.kind === 'response' ? parseRetryAfter(result.retryAfter, options.now) : undefined;
    if (scheduled === undefined) {
      outcome = 'dead';
      const last = result.kind === 'response' ? `HTTP ${result.status}` : result.error;
      reason = `no attempts left after ${attemptInRound} in this round (last: ${last})`;
    } else {
      outcome = 'retry';
      retryIn = retryAfter ?? scheduled;
    }
  }

  const attempt: Attempt = {
    ...base,
    outcome,
    ...detail,
    ...(result.kind === 'response' && result.snippet ? { responseSnippet: result.snippet } : {}),
  };
  const next = retryIn === undefined ? undefined : new Date(options.now.getTime() + retryIn * 1000).toISOString();
  const updated: Delivery = {
    ...delivery,
    attempts: [...delivery.attempts, attempt],
    attemptCount: number,
    updatedAt: at,
    status: outcome === 'delivered' ? 'DELIVERED' : outcome === 'dead' ? 'DEAD' : 'FAILED',
    dueAt: next ?? at,
  };
  delete updated.nextAttemptAt;
  if (next) updated.nextAttemptAt = next;
  if (outcome === 'delivered') updated.deliveredAt = at;
  if (reason) updated.deadReason = reason;
  return { delivery: updated, attempt, ...(retryIn === undefined ? {} : { retryInSeconds: retryIn }) };
};

/** A dead delivery sent again by a supervisor: a fresh round of the retry schedule. */
export const restartDelivery = (delivery: Delivery, now: Date): Delivery => {
  const at = now.toISOString();
  const { deadReason: _reason, nextAttemptAt: _next, ...rest } = delivery;
  return { ...rest, status: 'QUEUED', roundStart: delivery.attemptCount, updatedAt: at, dueAt: at };
};

/** The message for the next step, and its SQS delay (capped; the rest waits via notBefore). */
export const scheduleMessage = (deliveryId: string, waitSeconds: number, now: Date) => {
  const delaySeconds = Math.min(MAX_SQS_DELAY_SECONDS, Math.max(0, Math.round(waitSeconds)));
  const message: DeliveryMessage = { deliveryId };
  if (waitSeconds > MAX_SQS_DELAY_SECONDS) {
    message.notBefore = new Date(now.getTime() + waitSeconds * 1000).toISOString();
  }
  return { message, delaySeconds };
};

/** The admin API's delivery listing query and bulk-retry body. */
export const ListDeliveriesQuery = z.object({
  status: z.enum(DELIVERY_STATUSES).default('DEAD'),
  cursor: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});
export const RetryDeadBody = z.strictObject({ since: z.iso.datetime({ offset: true }) });
