import { randomUUID } from 'node:crypto';
import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { deliveryRepository } from '#adapters/delivery-repository.js';
import { outboxPuts } from '#adapters/outbox.js';
import { retryDeadDelivery } from '#domain/webhooks/manual-retry.js';
import { adminFunction, bodyOf, type HandlerResources, handlerResources } from './resources.js';

/** Audit findings (branch `audit`) that need DynamoDB Local: each test shows one defect. */

const ANA = { authorization: 'Bearer audit-test-analyst-000001' };
let resources: HandlerResources;
let admin: ReturnType<typeof adminFunction>;

beforeAll(async () => {
  resources = await handlerResources();
  admin = adminFunction(resources, {
    ADMIN_TOKENS: 'ana:analyst:audit-test-analyst-000001,sam:supervisor:audit-test-supervisor-0001',
  });
});
afterAll(() => resources.destroy());

describe('audit: GET /api/rules/performance with a window of centuries', () => {
  it('answers 400 rather than building a day per rule for every day since year 1000', async () => {
    // Today it answers 200 after seconds, with hundreds of megabytes of `daily` entries (from year 0
    // and 20 rules: 740,000 days, 1.8 GB of heap, a 490 MB body): any analyst can exhaust the function.
    const started = Date.now();
    const result = await admin('GET', '/api/rules/performance?from=1000-01-01T00:00:00Z', ANA);
    const took = Date.now() - started;
    expect({ status: result.statusCode, took: took < 2000 }).toEqual({ status: 400, took: true });
    expect(bodyOf(result).error.fields.map((field: { path: string }) => field.path)).toContain('from');
  });
});

describe('audit: a manual retry of a DEAD debit report validate wrote', () => {
  it('keeps it out of the subject index, as it was stored', async () => {
    const deliveries = deliveryRepository(resources.documentClient, resources.tables.deliveries);
    const at = new Date(Date.now() - 3_600_000).toISOString();
    const subject = `audit-${randomUUID()}`;
    const deliveryId = randomUUID();
    // A debit report as validate's saveDecision writes it (bySubject: false), gone DEAD since.
    await resources.documentClient.send(
      new TransactWriteCommand({
        TransactItems: outboxPuts(
          resources.tables.deliveries,
          [
            {
              deliveryId,
              target: 'onepipe' as never,
              type: 'DEBIT_REPORT',
              subject,
              payload: '{}',
              status: 'DEAD',
              attempts: [],
              attemptCount: 8,
              roundStart: 0,
              createdAt: at,
              updatedAt: at,
              dueAt: at,
              deadReason: 'gave up',
            },
          ],
          { bySubject: false },
        ),
      }),
    );
    const before = await resources.documentClient.send(
      new GetCommand({ TableName: resources.tables.deliveries, Key: { deliveryId } }),
    );
    expect({ subject: before.Item?.subject, about: before.Item?.about }).toEqual({
      subject: undefined,
      about: subject,
    });

    await retryDeadDelivery(deliveryId, { records: deliveries });

    const after = await resources.documentClient.send(
      new GetCommand({ TableName: resources.tables.deliveries, Key: { deliveryId }, ConsistentRead: true }),
    );
    expect(after.Item?.status).toBe('QUEUED');
    // Today the Put writes the domain record back with `subject`: into the index, `about` gone.
    expect({ subject: after.Item?.subject, about: after.Item?.about }).toEqual({ subject: undefined, about: subject });
    // And it is still listed about its subject (by the ids the decision keeps).
    expect((await deliveries.listAbout(subject, [deliveryId])).map((d) => d.deliveryId)).toEqual([deliveryId]);
  });
});
