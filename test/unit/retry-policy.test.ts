import { type Delivery, newDelivery, restartDelivery } from '../../functions/domain/webhooks/delivery.js';
import {
  type AttemptResult,
  applyAttempt,
  MAX_SQS_DELAY_SECONDS,
  parseRetryAfter,
  retryDelaySeconds,
  scheduleMessage,
} from '../../functions/domain/webhooks/retry-policy.js';

const NOW = new Date('2026-11-20T10:00:00.000Z');
/** The default DELIVERY_RETRY_DELAYS: 8 waits, so 9 attempts in a round. */
const DELAYS = [30, 120, 600, 1800, 3600, 7200, 21600, 43200] as const;
const MIDDLE = () => 0.5; // no jitter: 0.8 + 0.4 * 0.5 = 1
const policy = { now: NOW, delays: DELAYS, random: MIDDLE };

const aDelivery = (): Delivery =>
  newDelivery({
    target: 'toqio',
    type: 'TRANSACTION_MONITORING_STATUS_UPDATED',
    subject: 'tx-1',
    payload: { transactionId: 'tx-1', status: 'APPROVED' },
    now: new Date('2026-11-20T09:00:00.000Z'),
  });
const status = (code: number, extra: Partial<Extract<AttemptResult, { kind: 'response' }>> = {}): AttemptResult => ({
  kind: 'response',
  status: code,
  latencyMs: 41.6,
  ...extra,
});
const timeout: AttemptResult = { kind: 'error', error: 'timed out after 10000 ms', latencyMs: 10_000 };

/** A delivery after `count` failed attempts in its round (each applied through the policy itself). */
const failedTimes = (count: number, delivery = aDelivery()) => {
  let current = delivery;
  for (let i = 0; i < count; i++) current = applyAttempt(current, status(503), policy).delivery;
  return current;
};

describe('applyAttempt', () => {
  it.each([200, 202, 204, 299])('delivers on %i and records the attempt', (code) => {
    const { delivery, attempt, retryInSeconds } = applyAttempt(aDelivery(), status(code, { snippet: 'ok' }), policy);
    expect(retryInSeconds).toBeUndefined();
    expect(attempt).toEqual({
      number: 1,
      at: NOW.toISOString(),
      latencyMs: 42,
      outcome: 'delivered',
      httpStatus: code,
      responseSnippet: 'ok',
    });
    expect(delivery).toMatchObject({
      status: 'DELIVERED',
      attemptCount: 1,
      attempts: [attempt],
      deliveredAt: NOW.toISOString(),
      updatedAt: NOW.toISOString(),
      dueAt: NOW.toISOString(),
    });
    expect(delivery).not.toHaveProperty('nextAttemptAt');
    expect(delivery).not.toHaveProperty('deadReason');
  });

  it.each([400, 401, 403, 404, 409, 422])('gives up at once on %i: a refusal is refused again', (code) => {
    const { delivery, attempt, retryInSeconds } = applyAttempt(aDelivery(), status(code), policy);
    expect(retryInSeconds).toBeUndefined();
    expect(attempt.outcome).toBe('dead');
    expect(delivery).toMatchObject({ status: 'DEAD', deadReason: `partner refused the request with HTTP ${code}` });
    expect(delivery).not.toHaveProperty('nextAttemptAt');
  });

  it.each([500, 502, 503, 504])('retries %i after the first scheduled wait', (code) => {
    const { delivery, attempt, retryInSeconds } = applyAttempt(aDelivery(), status(code), policy);
    expect(retryInSeconds).toBe(30);
    expect(attempt).toMatchObject({ outcome: 'retry', httpStatus: code });
    expect(delivery).toMatchObject({
      status: 'FAILED',
      nextAttemptAt: '2026-11-20T10:00:30.000Z',
      dueAt: '2026-11-20T10:00:30.000Z',
    });
  });

  it('retries a timeout or connection error, recording the error instead of a status', () => {
    const { delivery, attempt, retryInSeconds } = applyAttempt(aDelivery(), timeout, policy);
    expect(retryInSeconds).toBe(30);
    expect(attempt).toEqual({
      number: 1,
      at: NOW.toISOString(),
      latencyMs: 10_000,
      outcome: 'retry',
      error: 'timed out after 10000 ms',
    });
    expect(delivery.status).toBe('FAILED');
  });

  it('follows the schedule attempt by attempt', () => {
    const waits = DELAYS.map((_, index) => applyAttempt(failedTimes(index), status(500), policy).retryInSeconds);
    expect(waits).toEqual([...DELAYS]);
  });

  it('waits for a 429’s Retry-After in seconds instead of the schedule', () => {
    const { retryInSeconds, delivery } = applyAttempt(aDelivery(), status(429, { retryAfter: '120' }), policy);
    expect(retryInSeconds).toBe(120);
    expect(delivery).toMatchObject({ status: 'FAILED', nextAttemptAt: '2026-11-20T10:02:00.000Z' });
  });

  it('waits for a 429’s Retry-After given as an HTTP date', () => {
    const { retryInSeconds } = applyAttempt(
      aDelivery(),
      status(429, { retryAfter: 'Fri, 20 Nov 2026 10:05:00 GMT' }),
      policy,
    );
    expect(retryInSeconds).toBe(300);
  });

  it('retries a 429 without (or with an unreadable) Retry-After on the schedule', () => {
    expect(applyAttempt(aDelivery(), status(429), policy).retryInSeconds).toBe(30);
    expect(applyAttempt(aDelivery(), status(429, { retryAfter: 'soon' }), policy).retryInSeconds).toBe(30);
  });

  it('honours Retry-After on a 503 too', () => {
    expect(applyAttempt(aDelivery(), status(503, { retryAfter: '7' }), policy).retryInSeconds).toBe(7);
  });

  it('is DEAD after the last attempt of the round, naming what the last attempt got', () => {
    const spent = failedTimes(DELAYS.length);
    expect(spent).toMatchObject({ status: 'FAILED', attemptCount: 8 });
    const { delivery, retryInSeconds } = applyAttempt(spent, status(502), policy);
    expect(retryInSeconds).toBeUndefined();
    expect(delivery).toMatchObject({
      status: 'DEAD',
      attemptCount: 9,
      deadReason: 'no attempts left after 9 in this round (last: HTTP 502)',
    });
    expect(delivery).not.toHaveProperty('nextAttemptAt');
    expect(delivery.attempts.map((attempt) => attempt.number)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('spends a round on 429s and timeouts as on 5xx (a Retry-After does not buy more attempts)', () => {
    const spent = failedTimes(DELAYS.length);
    expect(applyAttempt(spent, status(429, { retryAfter: '5' }), policy).delivery.status).toBe('DEAD');
    expect(applyAttempt(spent, timeout, policy).delivery.deadReason).toBe(
      'no attempts left after 9 in this round (last: timed out after 10000 ms)',
    );
  });

  it('gives a manual retry a fresh round, counting attempts on from where they were', () => {
    const dead = applyAttempt(failedTimes(DELAYS.length), status(500), policy).delivery;
    const restarted = restartDelivery(dead, NOW);
    const { delivery, attempt, retryInSeconds } = applyAttempt(restarted, status(500), policy);
    expect(attempt.number).toBe(10);
    expect(retryInSeconds).toBe(30);
    expect(delivery.status).toBe('FAILED');
    expect(delivery).not.toHaveProperty('deadReason');
  });

  it('leaves the delivery it was given as it was', () => {
    const before = aDelivery();
    const copy = structuredClone(before);
    applyAttempt(before, status(500), policy);
    expect(before).toEqual(copy);
  });
});

describe('retryDelaySeconds', () => {
  it('stays within ±20 % of the scheduled wait, at both ends of the random range', () => {
    expect(retryDelaySeconds(1, DELAYS, () => 0)).toBe(24);
    expect(retryDelaySeconds(1, DELAYS, () => 0.999999)).toBe(36);
    expect(retryDelaySeconds(8, DELAYS, () => 0)).toBe(34_560);
    expect(retryDelaySeconds(8, DELAYS, () => 0.999999)).toBe(51_840);
    for (let attempt = 1; attempt <= DELAYS.length; attempt++) {
      const base = DELAYS[attempt - 1] ?? 0;
      for (const random of [0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.999999]) {
        const delay = retryDelaySeconds(attempt, DELAYS, () => random) ?? Number.NaN;
        expect(delay).toBeGreaterThanOrEqual(Math.floor(base * 0.8));
        expect(delay).toBeLessThanOrEqual(Math.ceil(base * 1.2));
      }
    }
  });

  it('moves with the random number it is given (jitter spreads a herd)', () => {
    expect(retryDelaySeconds(4, DELAYS, () => 0.25)).toBe(1620);
    expect(retryDelaySeconds(4, DELAYS, () => 0.75)).toBe(1980);
  });

  it('never waits less than a second', () => {
    expect(retryDelaySeconds(1, [1], () => 0)).toBe(1);
    expect(retryDelaySeconds(1, [0], () => 0.5)).toBe(1);
  });

  it('has no wait once the round is spent', () => {
    expect(retryDelaySeconds(DELAYS.length + 1, DELAYS, MIDDLE)).toBeUndefined();
    expect(retryDelaySeconds(1, [], MIDDLE)).toBeUndefined();
  });
});

describe('parseRetryAfter', () => {
  it('ignores what is neither delta-seconds nor an HTTP date, however Date.parse would read it', () => {
    for (const junk of ['-5', '1.5', '0x10', 'soon', 'Tuesday']) expect(parseRetryAfter(junk, NOW)).toBeUndefined();
  });
  it('reads delta-seconds, trimmed', () => {
    expect(parseRetryAfter('120', NOW)).toBe(120);
    expect(parseRetryAfter(' 5 ', NOW)).toBe(5);
  });

  it('reads an HTTP date as the seconds until it, rounded up', () => {
    expect(parseRetryAfter('Fri, 20 Nov 2026 10:01:00 GMT', NOW)).toBe(60);
    expect(parseRetryAfter('Fri, 20 Nov 2026 10:00:00 GMT', new Date(NOW.getTime() - 1500))).toBe(2);
  });

  it('waits at least a second, also for a date in the past or 0', () => {
    expect(parseRetryAfter('0', NOW)).toBe(1);
    expect(parseRetryAfter('Thu, 19 Nov 2026 10:00:00 GMT', NOW)).toBe(1);
  });

  it('honours at most a day', () => {
    expect(parseRetryAfter('999999', NOW)).toBe(86_400);
    expect(parseRetryAfter('Sat, 20 Nov 2027 10:00:00 GMT', NOW)).toBe(86_400);
  });

  it.each([undefined, null, '', '   ', 'soon', '10s', '1e3'])('is undefined for %p', (value) => {
    expect(parseRetryAfter(value, NOW)).toBeUndefined();
  });
});

describe('scheduleMessage', () => {
  it('delays a short wait in SQS itself, with no notBefore', () => {
    expect(scheduleMessage('dlv_1', 30, NOW)).toEqual({ message: { deliveryId: 'dlv_1' }, delaySeconds: 30 });
    expect(scheduleMessage('dlv_1', MAX_SQS_DELAY_SECONDS, NOW)).toEqual({
      message: { deliveryId: 'dlv_1' },
      delaySeconds: 900,
    });
  });

  it('caps a wait over SQS’s 15 minutes at 900 s and carries the real time in notBefore', () => {
    expect(MAX_SQS_DELAY_SECONDS).toBe(15 * 60);
    expect(scheduleMessage('dlv_1', 901, NOW)).toEqual({
      message: { deliveryId: 'dlv_1', notBefore: '2026-11-20T10:15:01.000Z' },
      delaySeconds: 900,
    });
    expect(scheduleMessage('dlv_1', 43_200, NOW)).toEqual({
      message: { deliveryId: 'dlv_1', notBefore: '2026-11-20T22:00:00.000Z' },
      delaySeconds: 900,
    });
  });

  it('sends at once for no wait, and rounds fractions of a second', () => {
    expect(scheduleMessage('dlv_1', 0, NOW).delaySeconds).toBe(0);
    expect(scheduleMessage('dlv_1', -3, NOW).delaySeconds).toBe(0);
    expect(scheduleMessage('dlv_1', 29.6, NOW).delaySeconds).toBe(30);
  });
});
