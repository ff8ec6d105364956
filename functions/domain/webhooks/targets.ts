import { Webhook } from 'standardwebhooks';
import { onepipeSignature, tagRequestRef } from '../onepipe/messages.js';
import type { Delivery, DeliveryTarget } from './delivery.js';

/** Partner settings the registry needs; secrets arrive from configuration, never from a record. */
export interface TargetSettings {
  toqio: { baseUrl: string; apiKeyHeader: string; apiKey: string };
  onepipe?: { listenerUrl?: string | undefined; apiKey?: string | undefined; clientSecret?: string | undefined };
  /** Standard Webhooks signing secret; when set every request carries webhook-signature. */
  signingSecret?: string | undefined;
}

export interface OutboundRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export class TargetNotConfiguredError extends Error {
  override name = 'TargetNotConfiguredError';
}

/** A target may rewrite the body (OnePipe: the request_ref tagged with the outbound secret). */
type TargetBuilder = (
  delivery: Delivery,
  settings: TargetSettings,
) => Omit<OutboundRequest, 'body'> & { body?: string };

/** The one registry of where each partner's webhooks go and how they are authenticated. */
const TARGETS: Record<DeliveryTarget, TargetBuilder> = {
  toqio: (delivery, { toqio }) => ({
    url: `${toqio.baseUrl.replace(/\/+$/, '')}/webhookType/${encodeURIComponent(delivery.type)}`,
    headers: { [toqio.apiKeyHeader]: toqio.apiKey },
  }),
  onepipe: (delivery, { onepipe }) => {
    if (!onepipe?.listenerUrl || !onepipe.apiKey || !onepipe.clientSecret) {
      throw new TargetNotConfiguredError('OnePipe listener URL, API key and client secret must all be configured');
    }
    const payload = JSON.parse(delivery.payload) as { request_ref?: string };
    if (!payload.request_ref) throw new TargetNotConfiguredError('OnePipe payload has no request_ref');
    // Queued by a function that does not hold the outbound secret: tagged here, the same on every attempt.
    const requestRef = tagRequestRef(payload.request_ref, onepipe.clientSecret);
    return {
      url: onepipe.listenerUrl,
      body:
        requestRef === payload.request_ref ? delivery.payload : JSON.stringify({ ...payload, request_ref: requestRef }),
      headers: {
        authorization: `Bearer ${onepipe.apiKey}`,
        signature: onepipeSignature(requestRef, onepipe.clientSecret),
      },
    };
  },
};

/**
 * The HTTP request for one attempt. Every attempt of a delivery carries the same webhook-id
 * (Standard Webhooks naming) so receivers can drop duplicates.
 */
export const buildRequest = (delivery: Delivery, settings: TargetSettings, now: Date): OutboundRequest => {
  const { body = delivery.payload, ...target } = TARGETS[delivery.target](delivery, settings);
  const timestamp = String(Math.floor(now.getTime() / 1000));
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'tm-proxy-webhooks/1',
    'webhook-id': delivery.deliveryId,
    'webhook-timestamp': timestamp,
    ...target.headers,
  };
  if (settings.signingSecret) {
    // The key is the secret's UTF-8 bytes (format 'raw'): ours is not a whsec_ base64 secret, and receivers already verify so.
    const signer = new Webhook(new TextEncoder().encode(settings.signingSecret), { format: 'raw' });
    headers['webhook-signature'] = signer.sign(delivery.deliveryId, now, body);
  }
  return { url: target.url, headers, body };
};
