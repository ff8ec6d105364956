import { createHmac } from 'node:crypto';
import { FLAGRIGHT_STATUS } from '../../functions/adapters/providers/flagright.js';
import {
  checkFlagrightEventAge,
  checkFlagrightSignature,
  FLAGRIGHT_EVENT_POLICY,
  readFlagrightEvent,
} from '../../functions/domain/providers/flagright-webhook.js';
import { secretsEqual } from '../../functions/shared/http.js';

const secret = 'flagright-endpoint-secret-0001';
const body = '{"id":"e-1","type":"TRANSACTION_STATUS_UPDATED","data":{},"createdTimestamp":1}';
// As Flagright's published sample computes it: hex HMAC-SHA256 of the body under the endpoint secret.
const sign = (key: string, text = body) => createHmac('sha256', key).update(text).digest('hex');
const check = (headers: Record<string, string>, text = body) =>
  checkFlagrightSignature(headers, text, { secret, equal: secretsEqual });

describe("Flagright's webhook signature", () => {
  it('accepts its header with one signature, or several (one per active secret), spaces allowed', () => {
    expect(check({ 'x-flagright-signature': sign(secret) })).toEqual({ ok: true });
    expect(check({ 'x-flagright-signature': `${sign('an-older-secret-0001')}, ${sign(secret)}` })).toEqual({
      ok: true,
    });
    expect(check({ 'x-webhook-signature': sign(secret) })).toEqual({ ok: true });
  });

  it('refuses a missing header, another secret, another body, an upper-case or base64 digest, and a flood', () => {
    expect(check({})).toMatchObject({ ok: false });
    expect(check({ 'x-flagright-signature': sign('another-secret-00001') })).toMatchObject({ ok: false });
    expect(check({ 'x-flagright-signature': sign(secret) }, `${body} `)).toMatchObject({ ok: false });
    expect(check({ 'x-flagright-signature': sign(secret).toUpperCase() })).toMatchObject({ ok: false });
    const base64 = createHmac('sha256', secret).update(body).digest('base64');
    expect(check({ 'x-flagright-signature': base64 })).toMatchObject({ ok: false });
    const flood = [...Array(FLAGRIGHT_EVENT_POLICY.maxSignatures).fill('00'), sign(secret)].join(',');
    expect(check({ 'x-flagright-signature': flood })).toMatchObject({ ok: false });
  });
});

describe("a Flagright event's age", () => {
  const now = Date.UTC(2026, 0, 10);
  it('accepts Flagright retries of an event for days, and refuses it beyond the window or from the future', () => {
    expect(checkFlagrightEventAge(now - 4 * 24 * 3600 * 1000, now)).toBeUndefined();
    expect(checkFlagrightEventAge(now + 60_000, now)).toBeUndefined();
    expect(checkFlagrightEventAge(now - (FLAGRIGHT_EVENT_POLICY.maxAgeSeconds + 1) * 1000, now)).toMatch(/older/);
    expect(checkFlagrightEventAge(now + 10 * 60_000, now)).toMatch(/future/);
  });

  it('remembers event ids at least as long as it accepts their age', () => {
    expect(FLAGRIGHT_EVENT_POLICY.rememberSeconds).toBeGreaterThanOrEqual(
      FLAGRIGHT_EVENT_POLICY.maxAgeSeconds + FLAGRIGHT_EVENT_POLICY.maxFutureSeconds,
    );
  });
});

describe('reading a Flagright event', () => {
  const event = (type: string, data: unknown) => ({ id: 'e-1', type, createdTimestamp: 1, data });

  it('reads TRANSACTION_STATUS_UPDATED into a verdict in our words, with its reasons and comment', () => {
    const data = { transactionId: 'T-1', reasons: ['Fraud', 'Other'], status: 'BLOCK', comment: 'mule' };
    expect(readFlagrightEvent(event('TRANSACTION_STATUS_UPDATED', data), FLAGRIGHT_STATUS)).toEqual({
      kind: 'verdict',
      transactionId: 'T-1',
      status: 'REJECTED',
      reason: 'Flagright set BLOCK: Fraud; Other (mule) [event e-1]',
    });
  });

  it.each(['__proto__', 'constructor', 'toString', 'APPROVED', 'allow'])('maps the word %s to nothing', (word) => {
    const data = { transactionId: 'T-1', reasons: [], status: word };
    expect(readFlagrightEvent(event('TRANSACTION_STATUS_UPDATED', data), FLAGRIGHT_STATUS)).toEqual({
      kind: 'unknown status',
      transactionId: 'T-1',
      word,
    });
  });

  it('ignores every other type, known or not, and refuses a status event without a transaction id', () => {
    expect(readFlagrightEvent(event('CASE_CLOSED', { transactionIds: ['T-1'] }), FLAGRIGHT_STATUS)).toMatchObject({
      kind: 'ignored',
    });
    expect(readFlagrightEvent(event('SOMETHING_NEW', null), FLAGRIGHT_STATUS)).toMatchObject({ kind: 'ignored' });
    expect(() =>
      readFlagrightEvent(event('TRANSACTION_STATUS_UPDATED', { status: 'BLOCK' }), FLAGRIGHT_STATUS),
    ).toThrow(/transactionId/);
  });
});
