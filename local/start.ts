/**
 * `npm start`: the whole system on this machine. `npm start -- --fresh` starts with empty tables;
 * `npm start -- --bundled` runs every function from its bundle in its own process (local/bundled/).
 * Ctrl-C stops the gateway, fauxqs and the DynamoDB Local Java process.
 */
// First: turns off the AWS SDK's Node.js version warning before any SDK client exists.
import './sdk-notices.js';
import { readFileSync } from 'node:fs';
import { ConfigError, parseConfig } from '#shared/config.js';
import { type BundledFunctions, bundledFunctions } from './bundled/host.js';
import { startLocalStack } from './stack.js';

const started = Date.now();
const fresh = process.argv.includes('--fresh');
const bundled = process.argv.includes('--bundled');
let functions: BundledFunctions | undefined;
const port = Number(process.env.PORT ?? 3000);
const adminPort = Number(process.env.ADMIN_PORT ?? 3001);

const stack = await startLocalStack({
  port,
  adminPort,
  printWebhooks: true,
  dynamodbPort: Number(process.env.DYNAMODB_PORT ?? 8000),
  sqsPort: Number(process.env.SQS_PORT ?? 9324),
  dataDir: process.env.LOCAL_DATA_DIR ?? '.local/dynamodb',
  fresh,
  ...(bundled
    ? {
        functions: async (resources) => {
          functions = await bundledFunctions()(resources);
          return functions;
        },
      }
    : {}),
}).catch((error: Error) => {
  console.error(`tm-proxy could not start: ${error.message}`);
  process.exit(1);
});

let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping tm-proxy (gateways, queue workers, fauxqs, DynamoDB Local)…`);
  await stack.stop();
  process.exit(0);
};
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));

try {
  parseConfig(process.env);
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error);
  await stack.stop();
  process.exit(1);
}

const health = await fetch(`${stack.apiUrl}/health`);
if (!health.ok) {
  console.error(`health check failed: ${health.status} ${await health.text()}`);
  await stack.stop();
  process.exit(1);
}
const seconds = ((Date.now() - started) / 1000).toFixed(1);
const apiKey = process.env.TOQIO_API_KEY ?? '';
const header = process.env.TOQIO_API_KEY_HEADER ?? 'x-api-key';
const example = JSON.parse(readFileSync('test/fixtures/seed-example.json', 'utf8')) as Record<string, unknown>;
example.id = `demo-${Date.now()}`;

/** The Lambda runtime of every function (lib/constructs/project-function.ts). */
const LAMBDA_NODE = 'Node.js 22';
const tokens = (process.env.ADMIN_TOKENS ?? '').split(',').filter(Boolean);
const signIn = tokens.map((entry) => {
  const [name, role, ...token] = entry.split(':');
  return `${token.join(':')} (${name}, ${role})`;
});

console.log(`
tm-proxy is running locally (ready in ${seconds} s${fresh ? ', fresh data' : ''})

  Analysts' UI             ${stack.adminUrl}/
    sign in with           ${signIn.join('  or  ')}
  API (Toqio calls this)   ${stack.apiUrl}
    POST ${stack.apiUrl}/transaction/validate
    GET  ${stack.apiUrl}/health
  Admin API (Function URL) ${stack.adminUrl}/api/   (e.g. GET ${stack.adminUrl}/api/deliveries?status=DEAD)
  Toqio webhooks (local)   ${functions?.environments.deliver.TOQIO_WEBHOOK_BASE_URL ?? process.env.TOQIO_WEBHOOK_BASE_URL}   (received ones: GET ${stack.apiUrl}/local/toqio)
  DynamoDB Local           ${stack.dynamodbEndpoint}   data in ${process.env.LOCAL_DATA_DIR ?? '.local/dynamodb'}
  SQS (fauxqs)             ${stack.sqsEndpoint}
  Toqio API key            ${header}: ${apiKey}
  Node.js                  ${process.version} here; the functions run on ${LAMBDA_NODE} in AWS
  Functions                ${functions ? `from their bundles in ${functions.workDir}, each in its own process, with the template's environment (stage local)` : 'from the sources, in this process (--bundled runs the bundles)'}

Try a validate call (the Save Transaction seed example):

curl -s -X POST ${stack.apiUrl}/transaction/validate \\
  -H 'content-type: application/json' -H '${header}: ${apiKey}' \\
  -d '${JSON.stringify(example)}'

Ctrl-C stops everything.`);
