import { buildHandler, ExpireCasesConfigSchema } from '#handlers/expire-cases.js';
import { caseWorkflow } from '#shared/case-workflow.js';
import { lambdaContext, scheduledEvent } from '../fixtures/events.js';
import { aTransaction } from '../fixtures/transactions.js';
import { bodyOf, type HandlerResources, handlerResources, validateFunction } from './resources.js';

let resources: HandlerResources;
let expireCases: ReturnType<typeof buildHandler>;
let validate: Awaited<ReturnType<typeof validateFunction>>;

beforeAll(async () => {
  resources = await handlerResources({ outboxStream: true });
  // A limit of 0 s: every pending case is past it at once, so nothing waits for time to pass.
  const config = resources.configOf(ExpireCasesConfigSchema, { PENDING_SLA: '0s', PENDING_SLA_POLICY: 'REJECTED' });
  expireCases = buildHandler({ config, workflow: caseWorkflow(config, resources.documentClient) });
  validate = await validateFunction(resources);
});
afterAll(() => resources.destroy());

/** A pending case, opened as Toqio opens one: through validate. */
const openCase = async (changes: Record<string, unknown>) => {
  const payload = aTransaction(changes);
  expect(bodyOf(await validate(payload)).status).toBe('PENDING_EXTERNAL_APPROVAL');
  return String(payload.id);
};

describe('expireCases', () => {
  it('closes a case past the time limit as REJECTED with SLA_EXPIRED and tells Toqio', async () => {
    const transactionId = await openCase({ baseTotal: 20_000 });

    const result = await expireCases(scheduledEvent(), lambdaContext('expireCases'));
    expect(result).toMatchObject({ expired: [transactionId], escalated: [], failed: [] });

    expect(await resources.item('decisions', { transactionId })).toMatchObject({
      status: 'REJECTED',
      reviewStage: 'FINAL',
      decidedBy: 'system:sla',
      finalReason: 'SLA_EXPIRED',
    });
    const actions = (await resources.history(transactionId)).map((entry) => entry.action);
    expect(actions).toEqual(['CREATED', 'EXPIRED']);

    // Toqio's status update is in the outbox and on the deliveries queue.
    const messages = await resources.receive('deliveries');
    expect(messages).toHaveLength(1);
    const update = await resources.item('deliveries', { deliveryId: String(messages[0]?.deliveryId) });
    expect(update).toMatchObject({ target: 'toqio', subject: transactionId, status: 'QUEUED' });
    expect(JSON.parse(String(update?.payload))).toMatchObject({
      transactionId,
      status: 'REJECTED',
      reason: 'SLA_EXPIRED',
      decidedBy: 'system:sla',
    });

    // An expired case is not expired twice.
    expect(await expireCases(scheduledEvent(), lambdaContext('expireCases'))).toMatchObject({ expired: [] });
  });
});
