import { randomUUID } from 'node:crypto';
import { ruleSetRepository } from '#adapters/rule-set-repository.js';
import { activeRulesFrom } from '#shared/rule-source.js';
import { readRuleSetFile } from '#shared/rules-loader.js';
import { aTransaction } from '../fixtures/transactions.js';
import { adminFunction, bodyOf, type HandlerResources, handlerResources, validateFunction } from './resources.js';

const ANA = { authorization: 'Bearer shadow-test-analyst-00001' };
const SAM = { authorization: 'Bearer shadow-test-supervisor-0001' };
let resources: HandlerResources;
let admin: ReturnType<typeof adminFunction>;
let validate: Awaited<ReturnType<typeof validateFunction>>;

beforeAll(async () => {
  resources = await handlerResources({ ruleStatsStream: true });
  admin = adminFunction(resources, {
    ADMIN_TOKENS: 'ana:analyst:shadow-test-analyst-00001,sam:supervisor:shadow-test-supervisor-0001',
  });
  // validate as deployed: its rules (and the shadow) from storage, looked up every second.
  validate = await validateFunction(
    resources,
    activeRulesFrom(ruleSetRepository(resources.documentClient, resources.tables.ruleSets), 'outbound', {
      file: 'rules/default.yaml',
      refreshSeconds: 1,
    }),
  );
  // Seeds version 1 and pays for the first connections.
  expect((await admin('GET', '/api/rule-sets/outbound', ANA)).statusCode).toBe(200);
  await validate(aTransaction({ customer: `warm-${randomUUID()}` }));
});
afterAll(() => resources.destroy());

const eventually = async <T>(read: () => Promise<T>, done: (value: T) => boolean, withinMs = 20_000): Promise<T> => {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

/** A payment of its own customer (no velocity rule can fire) for a base amount. */
const payment = (baseTotal: number) => aTransaction({ baseTotal, customer: `shadow-${randomUUID()}` });

/**
 * The shadowed version: the shipped rules without `large-amount`, and a REJECT rule for exactly
 * 3,000. So 100 agrees (APPROVED both), 20,000 disagrees (live PENDING, shadow APPROVED) and
 * 3,000 disagrees (live APPROVED, shadow REJECTED).
 */
const draft = async (description: string) => {
  const file = (await readRuleSetFile('rules/default.yaml')) as {
    lists: Record<string, string[]>;
    rules: { id: string }[];
  };
  const created = await admin('POST', '/api/rule-sets/outbound/versions', SAM, {
    description,
    lists: file.lists,
    rules: [
      ...file.rules.filter((rule) => rule.id !== 'large-amount'),
      {
        id: 'exactly-three-thousand',
        description: 'Base amount of exactly 3,000',
        condition: 'tx.baseAmount == 3000.0',
        outcome: 'REJECT',
      },
    ],
  });
  expect(created.statusCode).toBe(201);
  return Number(bodyOf(created).version);
};

describe('shadow runs', () => {
  it('evaluates a shadowed version on live payments, stores its outcome only, and reports exactly where it disagrees', async () => {
    const version = await draft('Drop large-amount, reject exactly 3,000');
    const started = await admin('POST', `/api/rule-sets/outbound/versions/${version}/shadow`, SAM);
    expect(started.statusCode).toBe(200);
    expect(bodyOf(started)).toMatchObject({
      ruleSet: 'outbound',
      version,
      running: true,
      shadow: { version, startedBy: 'sam', startedAt: expect.any(String) },
    });
    // The set's overview names it (the Insights page reads which version runs in shadow there).
    expect(bodyOf(await admin('GET', '/api/rule-sets/outbound', ANA)).shadowVersion).toBe(version);

    // validate learns the shadow with its next lookup of the pointer (RULES_REFRESH_SECONDS: 1 here).
    await eventually(
      async () => {
        const probe = payment(100);
        await validate(probe);
        return resources.item('decisions', { transactionId: String(probe.id) });
      },
      (item) => item?.shadow !== undefined,
    );
    const since = new Date().toISOString();

    const batch = [
      ...Array.from({ length: 4 }, () => payment(100)),
      ...Array.from({ length: 3 }, () => payment(20_000)),
      ...Array.from({ length: 2 }, () => payment(3_000)),
    ];
    // One after another: this loaded machine would otherwise answer some degraded (over the budget).
    const answers: string[] = [];
    for (const body of batch) answers.push(bodyOf(await validate(body)).status);
    // Toqio is told the live rules' answer, never the shadow's.
    expect(answers).toEqual([
      ...Array(4).fill('APPROVED'),
      ...Array(3).fill('PENDING_EXTERNAL_APPROVAL'),
      ...Array(2).fill('APPROVED'),
    ]);
    const rejectedByShadow = await resources.item('decisions', { transactionId: String(batch[7]?.id) });
    expect(rejectedByShadow).toMatchObject({
      status: 'APPROVED',
      shadow: { version, outcome: 'REJECTED', hits: ['exactly-three-thousand'] },
    });
    // A shadow's REJECT or REVIEW never opens a case.
    expect(rejectedByShadow?.caseOpenedAt).toBeUndefined();

    const report = await eventually(
      async () =>
        bodyOf(
          await admin(
            'GET',
            `/api/rule-sets/outbound/versions/${version}/shadow-report?since=${encodeURIComponent(since)}`,
            ANA,
          ),
        ),
      (body) => body.agreed + body.disagreed >= batch.length,
    );
    const created = async (index: number) =>
      String((await resources.item('decisions', { transactionId: String(batch[index]?.id) }))?.createdAt);
    const expected = await Promise.all(
      [4, 5, 6, 7, 8].map(async (index) => ({
        transactionId: String(batch[index]?.id),
        createdAt: await created(index),
        ...(index < 7
          ? { live: 'PENDING_EXTERNAL_APPROVAL', shadow: 'APPROVED', liveHits: ['large-amount'], shadowHits: [] }
          : { live: 'APPROVED', shadow: 'REJECTED', liveHits: [], shadowHits: ['exactly-three-thousand'] }),
      })),
    );
    expect(report).toEqual({
      ruleSet: 'outbound',
      version,
      since,
      running: true,
      agreed: 4,
      disagreed: 5,
      disagreements: expected.sort((a, b) =>
        `${a.createdAt}#${a.transactionId}`.localeCompare(`${b.createdAt}#${b.transactionId}`),
      ),
    });

    // By default the report starts when the shadow run did (the probes count too).
    const whole = bodyOf(await admin('GET', `/api/rule-sets/outbound/versions/${version}/shadow-report`, ANA));
    expect(whole.since).toBe(bodyOf(started).shadow.startedAt);
    expect(whole.agreed).toBeGreaterThan(4);
    expect(whole.disagreed).toBe(5);

    // Stopping it: the pointer forgets it, history says who, and decisions stop carrying it.
    const stopped = await admin('DELETE', `/api/rule-sets/outbound/versions/${version}/shadow`, SAM);
    expect(bodyOf(stopped)).toEqual({ ruleSet: 'outbound', version, running: false });
    expect((await admin('DELETE', `/api/rule-sets/outbound/versions/${version}/shadow`, SAM)).statusCode).toBe(409);
    expect(bodyOf(await admin('GET', '/api/rule-sets/outbound', ANA)).shadowVersion).toBeNull();
    const history = bodyOf(await admin('GET', '/api/rule-sets/outbound/history', ANA)).items as Record<
      string,
      unknown
    >[];
    expect(history.filter((item) => item.version === version).map((item) => [item.action, item.actor])).toEqual([
      ['CREATED', 'sam'],
      ['SHADOW_STARTED', 'sam'],
      ['SHADOW_STOPPED', 'sam'],
    ]);
    await eventually(
      async () => {
        const probe = payment(100);
        await validate(probe);
        return resources.item('decisions', { transactionId: String(probe.id) });
      },
      (item) => item !== undefined && item.shadow === undefined,
    );
    const after = bodyOf(await admin('GET', `/api/rule-sets/outbound/versions/${version}/shadow-report`, ANA));
    expect(after.running).toBe(false);
  });

  it('replaces the shadow when another version is shadowed, and refuses the active version, the inbound set and analysts', async () => {
    const first = await draft('First candidate');
    const second = await draft('Second candidate');
    expect((await admin('POST', `/api/rule-sets/outbound/versions/${first}/shadow`, ANA)).statusCode).toBe(403);
    expect((await admin('POST', `/api/rule-sets/outbound/versions/${first}/shadow`, SAM)).statusCode).toBe(200);
    expect((await admin('POST', `/api/rule-sets/outbound/versions/${second}/shadow`, SAM)).statusCode).toBe(200);
    const pointer = await resources.item('ruleSets', { ruleSet: 'outbound', sk: 'SET' });
    expect(pointer?.shadow).toMatchObject({ version: second });
    const firstReport = bodyOf(await admin('GET', `/api/rule-sets/outbound/versions/${first}/shadow-report`, ANA));
    expect(firstReport.running).toBe(false);

    const active = await admin('POST', '/api/rule-sets/outbound/versions/1/shadow', SAM);
    expect(active.statusCode).toBe(409);
    expect(bodyOf(active).error.message).toMatch(/ACTIVE/);
    const inbound = await admin('POST', '/api/rule-sets/inbound/versions/1/shadow', SAM);
    expect(inbound.statusCode).toBe(400);
    expect(bodyOf(inbound).error.message).toMatch(/outbound rule set only/);
    const badSince = await admin(
      'GET',
      `/api/rule-sets/outbound/versions/${second}/shadow-report?since=yesterday`,
      ANA,
    );
    expect(badSince.statusCode).toBe(400);
    expect(bodyOf(badSince).error.fields).toEqual([{ path: 'since', message: 'must be an ISO date-time' }]);
    // Nothing changed by the refusals: the second is still the shadow.
    expect((await resources.item('ruleSets', { ruleSet: 'outbound', sk: 'SET' }))?.shadow).toMatchObject({
      version: second,
    });
  });
});
