import type { WebhookSender } from '#domain/webhooks/send-attempt.js';

const SNIPPET_LENGTH = 500;

/**
 * Sends one webhook over HTTP(S) with a hard timeout. Redirects are not followed (a partner
 * endpoint that redirects is misconfigured, and following could leak the API key elsewhere).
 */
export const webhookSender = (): WebhookSender => ({
  async send(request, timeoutMs) {
    const started = performance.now();
    try {
      const response = await fetch(request.url, {
        method: 'POST',
        headers: request.headers,
        body: request.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await response.text().catch(() => '');
      return {
        kind: 'response',
        status: response.status,
        retryAfter: response.headers.get('retry-after'),
        latencyMs: performance.now() - started,
        snippet: text.slice(0, SNIPPET_LENGTH),
      };
    } catch (error) {
      const err = error as Error & { cause?: { code?: string } };
      const reason =
        err.name === 'TimeoutError' || err.name === 'AbortError'
          ? `timeout after ${timeoutMs} ms`
          : `connection error: ${err.cause?.code ?? err.message}`;
      return { kind: 'error', error: reason, latencyMs: performance.now() - started };
    }
  },
});
