import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { type LocalStack, startLocalStack } from '../../local/stack.js';
import { startTcpSwitch } from '../fixtures/tcp-switch.js';
import { aTransaction } from '../fixtures/transactions.js';
import { testDocumentClient, validate } from './stack.js';

const BUDGET_MS = 1000;
const db = testDocumentClient();
let stack: LocalStack;
let storage: Awaited<ReturnType<typeof startTcpSwitch>>;

beforeAll(async () => {
  storage = await startTcpSwitch(String(process.env.TEST_DYNAMODB_ENDPOINT));
  process.env.VALIDATE_BUDGET_MS = String(BUDGET_MS);
  stack = await startLocalStack({
    port: 0,
    adminPort: 0,
    prefix: `degraded${Date.now()}`,
    dynamodbEndpoint: storage.url,
    sqsEndpoint: String(process.env.TEST_SQS_ENDPOINT),
  });
  // Warm the functions (cold start, first connection) so the budget measures a warm call.
  await fetch(`${stack.apiUrl}/health`);
  await validate(stack.apiUrl, aTransaction());
});
afterAll(async () => {
  await stack.stop();
  await storage.close();
  db.destroy();
  delete process.env.VALIDATE_BUDGET_MS;
});

const stored = async (transactionId: unknown) =>
  (await db.send(new GetCommand({ TableName: stack.tables.decisions, Key: { transactionId } }))).Item;

describe('validate when storage does not answer', () => {
  it('answers the fail mode within the budget, stores nothing, and recovers by itself', async () => {
    const before = aTransaction();
    expect((await validate(stack.apiUrl, before)).body.status).toBe('APPROVED');

    storage.setMode('blackhole');
    const payload = aTransaction();
    const started = performance.now();
    const degraded = await validate(stack.apiUrl, payload);
    const elapsed = performance.now() - started;
    expect(degraded.status).toBe(200);
    expect(degraded.body).toEqual({
      status: 'REJECTED',
      transactionId: payload.id,
      reasons: [{ rule: 'SERVICE_DEGRADED', description: expect.any(String) }],
    });
    // Generous bound against a noisy machine; the bench measures real latency.
    expect(elapsed).toBeLessThan(BUDGET_MS + 1000);
    expect(elapsed).toBeGreaterThanOrEqual(BUDGET_MS - 50);

    // A payment the rules would hold for review is never answered PENDING unless stored.
    const large = aTransaction({ baseTotal: 50000 });
    expect((await validate(stack.apiUrl, large)).body.status).toBe('REJECTED');

    storage.setMode('forward');
    expect(await stored(payload.id)).toBeUndefined();
    const recovered = await validate(stack.apiUrl, payload);
    expect(recovered.body).toEqual({ status: 'APPROVED', transactionId: payload.id, reasons: [] });
    expect(await stored(payload.id)).toMatchObject({ status: 'APPROVED' });
  });

  it('reports storage as unavailable on /health while it is down', async () => {
    storage.setMode('blackhole');
    const response = await fetch(`${stack.apiUrl}/health`);
    storage.setMode('forward');
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ status: 'degraded', storage: { status: 'unavailable' } });
  });
});
