import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { NotFoundError } from './errors.js';
import type { HttpResult } from './http.js';

const TYPES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
};

/** The UI runs only its own script and style and talks only to its own origin. */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=63072000; includeSubDomains',
  'x-frame-options': 'DENY',
};

/**
 * Serves the built web UI (index.html, app.js, app.css), read once at cold start. The UI routes
 * with the URL hash, so `/` is the only page.
 */
export const staticFiles = (dir: string) => {
  const root = isAbsolute(dir) ? dir : resolve(process.cwd(), dir);
  const files = new Map<string, string>();
  for (const name of Object.keys(TYPES)) {
    const path = join(root, name);
    if (existsSync(path)) files.set(name, readFileSync(path, 'utf8'));
  }
  return async (method: string, path: string): Promise<HttpResult> => {
    if (method !== 'GET' && method !== 'HEAD') throw new NotFoundError(`No route ${method} ${path}`);
    const name = path === '/' || path === '/index.html' ? 'index.html' : path.replace(/^\//, '');
    const body = files.get(name);
    if (body === undefined) {
      if (files.size === 0) throw new NotFoundError(`The web UI is not built (looked in ${root})`);
      throw new NotFoundError(`No file ${path}`);
    }
    return {
      statusCode: 200,
      headers: {
        'content-type': TYPES[name] ?? 'application/octet-stream',
        'cache-control': name === 'index.html' ? 'no-cache' : 'public, max-age=300',
        ...SECURITY_HEADERS,
      },
      body,
    };
  };
};
