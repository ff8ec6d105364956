import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { lookupOwn, type ProviderStatus } from './providers.js';

/** A provider's late verdict on a pending payment. `status` is in the provider's own words or ours. */
export const ProviderWebhookSchema = z.looseObject({
  transactionId: z.string({ error: 'is required' }).min(1),
  status: z.string({ error: 'is required' }).min(1),
  reason: z.string().max(2000).optional(),
  reference: z.string().max(200).optional(),
});
export type ProviderWebhook = z.infer<typeof ProviderWebhookSchema>;

/** Signature header: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` (Stripe's scheme). */
export const SIGNATURE_HEADER = 'x-tm-proxy-signature';

export const signProviderWebhook = (secret: string, timestamp: number, body: string): string =>
  `t=${timestamp},v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;

export type SignatureCheck = { ok: true; signature: string } | { ok: false; why: string };

/**
 * Checks a webhook's signature and age. `equal` is a constant-time comparison. A valid signature
 * older (or newer) than the tolerance is refused, which bounds how long a replay could work;
 * the caller also remembers each signature to refuse an exact replay inside the window.
 */
export const checkSignature = (
  header: string | undefined,
  body: string,
  options: { secret: string; toleranceSeconds: number; nowSeconds: number; equal: (a: string, b: string) => boolean },
): SignatureCheck => {
  const parts = Object.fromEntries(
    (header ?? '').split(',').map((part) => part.trim().split('=', 2) as [string, string]),
  );
  const timestamp = Number(parts.t);
  if (!parts.t || !parts.v1 || !Number.isInteger(timestamp))
    return { ok: false, why: 'missing or malformed signature' };
  if (Math.abs(options.nowSeconds - timestamp) > options.toleranceSeconds)
    return { ok: false, why: 'signature timestamp outside the allowed window' };
  const expected = signProviderWebhook(options.secret, timestamp, body).split('v1=')[1] ?? '';
  return options.equal(parts.v1, expected)
    ? { ok: true, signature: parts.v1 }
    : { ok: false, why: 'signature does not match' };
};

/** The provider's word for a verdict, in ours (an unknown word is refused, never guessed). */
export const mapWebhookStatus = (
  said: string,
  vocabulary: Record<string, ProviderStatus>,
): ProviderStatus | undefined =>
  lookupOwn(vocabulary, said) ??
  (['APPROVED', 'REJECTED', 'PENDING'].includes(said) ? (said as ProviderStatus) : undefined);
