import type { LocalEndpoint } from './gateway.js';

export interface ReceivedWebhook {
  at: string;
  type: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/**
 * A stand-in for Toqio's webhook service while running locally: accepts
 * `POST /local/toqio/webhookType/<TYPE>` (when the API key matches), prints one line per webhook,
 * and lists what it received at `GET /local/toqio`.
 */
export const toqioSink = (apiKeyHeader: () => string, apiKey: () => string, quiet = false) => {
  const received: ReceivedWebhook[] = [];
  const endpoint: LocalEndpoint = (req, res, body) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!url.pathname.startsWith('/local/toqio')) return false;
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(received));
      return true;
    }
    const type = /\/webhookType\/([^/]+)$/.exec(url.pathname)?.[1];
    if (req.method !== 'POST' || !type) return false;
    if (req.headers[apiKeyHeader()] !== apiKey()) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end('{"message":"invalid API key"}');
      return true;
    }
    let parsed: unknown = body.toString('utf8');
    try {
      parsed = JSON.parse(String(parsed));
    } catch {
      // keep the raw text
    }
    received.push({ at: new Date().toISOString(), type, headers: req.headers, body: parsed });
    if (!quiet)
      console.log(`[toqio] received ${type} (webhook-id ${req.headers['webhook-id']}): ${JSON.stringify(parsed)}`);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"status":"OK"}');
    return true;
  };
  return { endpoint, received };
};
