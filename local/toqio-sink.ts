import type { LocalEndpoint } from './gateway.js';
import { saveTransactionProblems } from './toqio-contract.js';

export interface ReceivedWebhook {
  at: string;
  type: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/**
 * A stand-in for Toqio's webhook service while running locally: accepts
 * `POST /local/toqio/webhookType/<TYPE>` (when the API key matches), prints one line per webhook,
 * and lists what it received at `GET /local/toqio`. Strict like Toqio: a SAVE_TRANSACTION that
 * misses a mandatory field or an enum of the published model is refused with 400 (and not kept).
 */
export const toqioSink = (apiKeyHeader: () => string, apiKey: () => string, quiet = false) => {
  const received: ReceivedWebhook[] = [];
  /** What it refused, with Toqio's reasons (tests assert this stays empty). */
  const refused: (ReceivedWebhook & { problems: string[] })[] = [];
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
    const problems = type === 'SAVE_TRANSACTION' ? saveTransactionProblems(parsed, process.env.ONEPIPE_CURRENCY) : [];
    if (problems.length > 0) {
      refused.push({ at: new Date().toISOString(), type, headers: req.headers, body: parsed, problems });
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ code: 'INVALID_REQUEST', httpStatus: 400, data: problems }));
      return true;
    }
    received.push({ at: new Date().toISOString(), type, headers: req.headers, body: parsed });
    if (!quiet)
      console.log(`[toqio] received ${type} (webhook-id ${req.headers['webhook-id']}): ${JSON.stringify(parsed)}`);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"status":"OK"}');
    return true;
  };
  return { endpoint, received, refused };
};
