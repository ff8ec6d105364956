import { createHmac } from 'node:crypto';
import { buildProviderRequest, type HttpProviderConfig, readProviderVerdict } from '#domain/providers/http-mapping.js';
import { type ProviderPort, ProviderUnreadableError } from '#domain/providers/verdicts.js';

/** Posts JSON to a provider and reads its JSON answer; non-2xx and non-JSON answers are failures. */
export const postJson = async (url: string, body: string, headers: Record<string, string>, signal: AbortSignal) => {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
    signal,
    redirect: 'manual',
  });
  const text = await response.text();
  if (response.status < 200 || response.status >= 300) throw new Error(`HTTP ${response.status}`);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ProviderUnreadableError(`answer is not JSON: ${text.slice(0, 80)}`);
  }
};

/** The generic provider: request and response mapped declaratively, API key or HMAC-signed body. */
export const httpProvider = (config: HttpProviderConfig): ProviderPort => ({
  name: config.name,
  async screen({ transaction, payload }, signal) {
    const body = JSON.stringify(buildProviderRequest(config.request, { tx: transaction, payload }));
    const headers =
      config.auth.type === 'apiKey'
        ? { [config.auth.header]: config.auth.key }
        : { [config.auth.header]: createHmac('sha256', config.auth.secret).update(body).digest('hex') };
    const answer = await postJson(config.url, body, headers, signal);
    return readProviderVerdict(answer, config.response, config.name);
  },
});
