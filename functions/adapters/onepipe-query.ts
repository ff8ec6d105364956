import { confirmation, creditQuery, type OnepipeNotification, onepipeSignature } from '#domain/onepipe/messages.js';
import type { CreditConfirmer } from '#domain/onepipe/notifications.js';

/**
 * Asks OnePipe whether a credit happened: `POST /v2/transact/query` on its transaction_ref, signed
 * with our outbound credentials (never the ones OnePipe signs with). Any failure is unconfirmed.
 */
export const onepipeCreditConfirmer = (settings: {
  url: string;
  apiKey: string;
  clientSecret: string;
  timeoutMs: number;
}): CreditConfirmer => {
  return async (notification: OnepipeNotification, amountKobo: string) => {
    const body = creditQuery(notification, settings.clientSecret);
    const response = await fetch(settings.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${settings.apiKey}`,
        signature: onepipeSignature(body.request_ref, settings.clientSecret),
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(settings.timeoutMs),
    });
    const text = await response.text();
    if (!response.ok) return { confirmed: false, why: `OnePipe query answered HTTP ${response.status}` };
    try {
      return confirmation(JSON.parse(text), amountKobo);
    } catch {
      return { confirmed: false, why: 'OnePipe query answer is not JSON' };
    }
  };
};
