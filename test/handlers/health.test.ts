import { createDocumentClient } from '#adapters/aws-clients.js';
import { storageProbe } from '#adapters/storage-probe.js';
import { buildHandler, HealthConfigSchema } from '#handlers/health.js';
import { httpApiEvent, lambdaContext } from '../fixtures/events.js';
import { startTcpSwitch } from '../fixtures/tcp-switch.js';
import { bodyOf, type HandlerResources, handlerResources } from './resources.js';

let resources: HandlerResources;
let storage: Awaited<ReturnType<typeof startTcpSwitch>>;
let handler: ReturnType<typeof buildHandler>;
let documentClient: ReturnType<typeof createDocumentClient>;

beforeAll(async () => {
  resources = await handlerResources();
  // Storage reached through a switch that can swallow every connection: an outage as the Lambda sees it.
  storage = await startTcpSwitch(resources.dynamodbEndpoint);
  const config = resources.configOf(HealthConfigSchema, {
    DYNAMODB_ENDPOINT: storage.url,
    RULE_SET_VERSION: 'handler-test-rules-1',
  });
  documentClient = createDocumentClient({ region: config.AWS_REGION, dynamodbEndpoint: config.DYNAMODB_ENDPOINT });
  handler = buildHandler({
    storage: storageProbe(documentClient, config.DECISIONS_TABLE),
    ruleSetVersion: config.RULE_SET_VERSION,
  });
});
afterEach(() => storage.setMode('forward'));
afterAll(async () => {
  documentClient.destroy();
  await storage.close();
  await resources.destroy();
});

const health = () => handler(httpApiEvent({ method: 'GET', path: '/health' }), lambdaContext('health'));

describe('health', () => {
  it('answers ok with the rule set version when the decisions table answers', async () => {
    const response = await health();
    expect(response.statusCode).toBe(200);
    expect(bodyOf(response)).toEqual({
      status: 'ok',
      ruleSetVersion: 'handler-test-rules-1',
      storage: { status: 'ok', latencyMs: expect.any(Number) },
    });
  });

  it('answers 503 degraded within its one-second storage budget while storage does not answer, ok once it is back', async () => {
    storage.setMode('blackhole');
    const started = Date.now();
    const response = await health();
    expect(Date.now() - started).toBeLessThan(3000);
    expect(response.statusCode).toBe(503);
    expect(bodyOf(response)).toEqual({
      status: 'degraded',
      ruleSetVersion: 'handler-test-rules-1',
      storage: { status: 'unavailable' },
    });
    storage.setMode('forward');
    expect((await health()).statusCode).toBe(200);
  });
});
