import { createHash, createHmac } from 'node:crypto';
import * as z from 'zod';
import { lookupOwn, type ProviderStatus } from './verdicts.js';

/*
 * Flagright's own webhooks, from what Flagright publishes (docs.flagright.com/docs/flagright-api/…;
 * the pages' markdown sources sit in Flagright's backend, `tarpon/lib/openapi/public/docs/`, read in
 * the public copy github.com/ArjitJindal/temp-project):
 * - Signature ("Check the webhook signatures", 5f9800707ca91, webhooks-signatures.md): the
 *   `X-Flagright-Signature` header holds one or more comma-separated signatures, each the hex
 *   HMAC-SHA256 of the request body with an active endpoint secret as the key (one per active
 *   secret while a secret is rolled). Nothing but the body is signed: no separate timestamp.
 * - The backend's sender (tarpon webhook delivery, `buildWebhookRequest`) posts exactly
 *   `JSON.stringify({ id, type, data, createdTimestamp, triggeredBy })` and signs that string;
 *   white-labelled tenants get the signature in `x-webhook-signature` instead.
 * - Envelope ("Webhook events", 295118b92ce19, and the SDK's `WebhookEvent`,
 *   github.com/flagright/flagright-node 1.8.61, src/api/types/WebhookEvent.ts): `id`, `type`,
 *   `data`, `createdTimestamp` (ms since the epoch), `triggeredBy` (MANUAL | SYSTEM), `account`?.
 * - TRANSACTION_STATUS_UPDATED ("a transaction status is updated manually on Flagright console")
 *   carries `TransactionStatusDetails` (src/api/types/TransactionStatusDetails.ts):
 *   `{ transactionId, reasons: string[], status: RuleAction, comment?, type? }`. The other types
 *   carry no verdict on a payment (CASE_CLOSED's `CaseStatusDetails` has a case status and
 *   `transactionIds`).
 * - Retries ("Webhooks overview", 0b0bb2cf007e5, webhooks-overview.md): any 3xx, 4xx or 5xx is
 *   retried for up to 3 days (the backend's MAX_RETRY_HOURS is 4 * 24 in production, and a tenant
 *   may change it), then the event is marked failed and, by default, the endpoint disabled. Every
 *   retry sends the same body: the same `id`, `createdTimestamp` and signature.
 */

/** Where Flagright puts its signature; the second is what its backend uses for white-labelled tenants. */
export const FLAGRIGHT_SIGNATURE_HEADERS = ['x-flagright-signature', 'x-webhook-signature'] as const;

/** The only event type that carries a verdict on one payment. */
export const FLAGRIGHT_STATUS_EVENT = 'TRANSACTION_STATUS_UPDATED';

/**
 * Our choices where Flagright leaves them to the receiver, in one place. An event is accepted until
 * `maxAgeSeconds` after its `createdTimestamp` (beyond Flagright's 3-4 days of retries, since every
 * retry carries the original timestamp), and its id is remembered for at least as long, so within
 * the window a replay is caught by its id and after it by its age.
 */
export const FLAGRIGHT_EVENT_POLICY = {
  maxAgeSeconds: 5 * 24 * 3600,
  /** Clock skew allowed for a timestamp in the future. */
  maxFutureSeconds: 300,
  rememberSeconds: 5 * 24 * 3600 + 300 + 3600,
  /** At most this many signatures in one header (Flagright sends one per active secret). */
  maxSignatures: 10,
} as const;

// Schemas here are z.lazy: built on their first parse, so a function that never parses them
// does not build them at cold start (npm run bench:cold).
/** The event envelope; `data` is read by type. */
export const FlagrightWebhookEventSchema = z.lazy(() =>
  z.looseObject({
    id: z.string({ error: 'is required' }).min(1).max(200),
    type: z.string({ error: 'is required' }).min(1).max(100),
    createdTimestamp: z.number({ error: 'is required' }).int().nonnegative(),
    triggeredBy: z.string().max(50).optional(),
    data: z.unknown(),
  }),
);
export type FlagrightWebhookEvent = z.infer<typeof FlagrightWebhookEventSchema>;

/**
 * `TransactionStatusDetails`. Flagright marks `reasons` required; we only need the id and the status,
 * so a missing `reasons` is read as none rather than refused.
 */
export const FlagrightTransactionStatusSchema = z.lazy(() =>
  z.looseObject({
    transactionId: z.string({ error: 'is required' }).min(1).max(200),
    status: z.string({ error: 'is required' }).min(1).max(50),
    reasons: z.array(z.string().max(500)).max(50).optional(),
    comment: z.string().max(2000).optional(),
  }),
);

/** Signs a body as Flagright does (for the local fake and the tests). */
export const signFlagrightWebhook = (secret: string, body: string): string =>
  createHmac('sha256', secret).update(body).digest('hex');

export type FlagrightSignatureCheck = { ok: true } | { ok: false; why: string };

/**
 * Checks Flagright's signature header against the raw body. `equal` is a constant-time comparison;
 * every signature in the header is compared, whether or not an earlier one matched.
 */
export const checkFlagrightSignature = (
  headers: Record<string, string | undefined>,
  body: string,
  options: { secret: string; equal: (a: string, b: string) => boolean },
): FlagrightSignatureCheck => {
  const header = FLAGRIGHT_SIGNATURE_HEADERS.map((name) => headers[name]).find(Boolean);
  const given = (header ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  if (given.length === 0 || given.length > FLAGRIGHT_EVENT_POLICY.maxSignatures)
    return { ok: false, why: 'missing or malformed signature' };
  const expected = signFlagrightWebhook(options.secret, body);
  const matches = given.map((signature) => options.equal(signature, expected));
  return matches.includes(true) ? { ok: true } : { ok: false, why: 'signature does not match' };
};

/** Refuses an event outside the accepted window (its timestamp is covered by the signature). */
export const checkFlagrightEventAge = (createdTimestamp: number, nowMs: number): string | undefined => {
  const ageSeconds = (nowMs - createdTimestamp) / 1000;
  if (ageSeconds > FLAGRIGHT_EVENT_POLICY.maxAgeSeconds) return 'event is older than the accepted window';
  if (-ageSeconds > FLAGRIGHT_EVENT_POLICY.maxFutureSeconds) return 'event timestamp is in the future';
  return undefined;
};

/** What an event means for us: a verdict on one payment, or nothing to apply. */
export type FlagrightEventReading =
  | { kind: 'verdict'; transactionId: string; status: ProviderStatus; reason: string }
  | { kind: 'unknown status'; transactionId: string; word: string }
  | { kind: 'ignored'; why: string };

/**
 * Reads a (signed, parsed) event. A TRANSACTION_STATUS_UPDATED becomes a verdict in our words, or
 * `unknown status` when its word is not in `vocabulary` (own properties only: `__proto__` maps to
 * nothing); every other type is ignored. Throws the zod error when `data` is not
 * Flagright's TransactionStatusDetails.
 */
export const readFlagrightEvent = (
  event: FlagrightWebhookEvent,
  vocabulary: Readonly<Record<string, ProviderStatus>>,
): FlagrightEventReading => {
  if (event.type !== FLAGRIGHT_STATUS_EVENT) {
    return { kind: 'ignored', why: `event type ${event.type} carries no verdict on a payment` };
  }
  const data = FlagrightTransactionStatusSchema.parse(event.data);
  const status = lookupOwn(vocabulary, data.status);
  if (!status) return { kind: 'unknown status', transactionId: data.transactionId, word: data.status };
  const reasons = data.reasons?.length ? `: ${data.reasons.join('; ')}` : '';
  const comment = data.comment ? ` (${data.comment})` : '';
  return {
    kind: 'verdict',
    transactionId: data.transactionId,
    status,
    reason: `Flagright set ${data.status}${reasons}${comment} [event ${event.id}]`.slice(0, 2000),
  };
};

/** The replay key of an event and the digest of its body (a retry has the same body; a forgery would not). */
export const flagrightEventKey = (event: Pick<FlagrightWebhookEvent, 'id'>, body: string) => ({
  key: `flagright-event#${event.id}`,
  digest: createHash('sha256').update(body).digest('hex'),
});
