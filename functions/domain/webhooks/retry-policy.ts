/**
 * The retry policy of outbound webhooks: what one attempt's result means (delivered, retry when,
 * or dead), the Retry-After a partner asks for, and how a long wait is spread over SQS delays.
 */
import type { Attempt, Delivery, DeliveryMessage } from './delivery.js';

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
  // Delta-seconds, or the IMF-fixdate RFC 9110 makes senders use ("Sun, 06 Nov 1994 08:49:37 GMT"):
  // Date.parse alone reads junk such as "-5" or "1.5" as dates in 2001.
  const httpDate = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(trimmed);
  const seconds = /^\d+$/.test(trimmed)
    ? Number(trimmed)
    : httpDate
      ? (Date.parse(trimmed) - now.getTime()) / 1000
      : Number.NaN;
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

/** The message for the next step, and its SQS delay (capped; the rest waits via notBefore). */
export const scheduleMessage = (deliveryId: string, waitSeconds: number, now: Date) => {
  const delaySeconds = Math.min(MAX_SQS_DELAY_SECONDS, Math.max(0, Math.round(waitSeconds)));
  const message: DeliveryMessage = { deliveryId };
  if (waitSeconds > MAX_SQS_DELAY_SECONDS) {
    message.notBefore = new Date(now.getTime() + waitSeconds * 1000).toISOString();
  }
  return { message, delaySeconds };
};
