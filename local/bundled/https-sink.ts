import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { join } from 'node:path';
import type { LocalEndpoint } from '../gateway.js';
import { closeServer, listenOnLoopback } from '../ports.js';

export interface HttpsSink {
  /** https://127.0.0.1:<port> */
  url: string;
  /** The self-signed certificate the functions trust (NODE_EXTRA_CA_CERTS, as the Lambda runtime sets it). */
  certificateFile: string;
  close(): Promise<void>;
}

/**
 * The local Toqio sink behind HTTPS: the stage configuration accepts only an https Toqio URL, so the
 * bundled deliver function calls the sink exactly as the template tells it to. The certificate is
 * made for 127.0.0.1 with the openssl command line, once per run, in `dir`.
 */
export const startHttpsSink = async (dir: string, endpoint: LocalEndpoint): Promise<HttpsSink> => {
  const keyFile = join(dir, 'sink-key.pem');
  const certificateFile = join(dir, 'sink-cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      keyFile,
      '-out',
      certificateFile,
    ],
    { stdio: 'pipe' },
  );
  const server = createServer({ key: readFileSync(keyFile), cert: readFileSync(certificateFile) }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void Promise.resolve(endpoint(req, res, Buffer.concat(chunks))).then((handled) => {
        if (handled) return;
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end('{"message":"Not Found"}');
      });
    });
  });
  const port = await listenOnLoopback(server);
  return {
    url: `https://127.0.0.1:${port}`,
    certificateFile,
    close: () => closeServer(server),
  };
};
