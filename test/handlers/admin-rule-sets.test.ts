import { unpackDecision } from '#adapters/decision-items.js';
import { ruleSetRepository } from '#adapters/rule-set-repository.js';
import { activeRulesFrom } from '#shared/rule-source.js';
import { readRuleSetFile } from '#shared/rules-loader.js';
import { aTransaction } from '../fixtures/transactions.js';
import { adminFunction, bodyOf, type HandlerResources, handlerResources, validateFunction } from './resources.js';

const ANA = { authorization: 'Bearer rules-test-analyst-00001' };
const SAM = { authorization: 'Bearer rules-test-supervisor-0001' };
const KIM = { authorization: 'Bearer rules-test-supervisor-0002' };
let resources: HandlerResources;
let admin: ReturnType<typeof adminFunction>;
let validate: Awaited<ReturnType<typeof validateFunction>>;

beforeAll(async () => {
  resources = await handlerResources();
  admin = adminFunction(resources, {
    ADMIN_TOKENS:
      'ana:analyst:rules-test-analyst-00001,sam:supervisor:rules-test-supervisor-0001,kim:supervisor:rules-test-supervisor-0002',
  });
  // validate as deployed: built once, its rules the ACTIVE version from storage, looked up every second.
  validate = await validateFunction(
    resources,
    activeRulesFrom(ruleSetRepository(resources.documentClient, resources.tables.ruleSets), 'outbound', {
      file: 'rules/default.yaml',
      refreshSeconds: 1,
    }),
  );
});
afterAll(() => resources.destroy());

/** The shipped outbound rules as an API body, with changes. */
const shippedBody = async (description: string, extraRules: Record<string, unknown>[] = []) => {
  const file = (await readRuleSetFile('rules/default.yaml')) as { lists: Record<string, string[]>; rules: unknown[] };
  return { description, lists: file.lists, rules: [...file.rules, ...extraRules] };
};

const EXACT_777 = {
  id: 'exact-777-77',
  description: 'Base amount of exactly 777.77',
  condition: 'tx.baseAmount == 777.77',
  outcome: 'REVIEW',
  score: 10,
};

/** Waits for a condition (validate picks a new version up within RULES_REFRESH_SECONDS), up to a limit. */
const eventually = async <T>(attempt: () => Promise<T>, done: (value: T) => boolean, withinMs: number): Promise<T> => {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const value = await attempt();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
};

describe('rule sets in the admin API', () => {
  it('takes a supervisor’s new rule live after a second supervisor approves it, with validate never rebuilt', async () => {
    const before = await admin('GET', '/api/rule-sets/outbound', ANA);
    expect(before.statusCode).toBe(200);
    expect(bodyOf(before)).toMatchObject({
      active: {
        version: 1,
        state: 'ACTIVE',
        rules: expect.arrayContaining([expect.objectContaining({ id: 'large-amount' })]),
      },
      versions: [expect.objectContaining({ version: 1, state: 'ACTIVE' })],
      facts: expect.arrayContaining(['tx.baseAmount', 'velocity.customer.h24.sum']),
    });
    const early = aTransaction({ baseTotal: 777.77 });
    expect(bodyOf(await validate(early)).status).toBe('APPROVED');
    expect(await resources.item('decisions', { transactionId: String(early.id) })).toMatchObject({
      ruleSetVersion: 'outbound@1',
    });

    expect(
      (await admin('POST', '/api/rule-sets/outbound/versions', ANA, await shippedBody('x', [EXACT_777]))).statusCode,
    ).toBe(403);
    const created = await admin(
      'POST',
      '/api/rule-sets/outbound/versions',
      SAM,
      await shippedBody('Hold 777.77', [EXACT_777]),
    );
    expect(created.statusCode).toBe(201);
    expect(bodyOf(created)).toEqual({ version: 2, state: 'DRAFT' });

    const draft = bodyOf(await admin('GET', '/api/rule-sets/outbound/versions/2', ANA));
    expect(draft).toMatchObject({
      version: 2,
      state: 'DRAFT',
      author: 'sam',
      activeVersion: 1,
      diff: { rules: { added: [expect.objectContaining({ id: 'exact-777-77' })], removed: [], changed: [] } },
    });

    expect(bodyOf(await admin('POST', '/api/rule-sets/outbound/versions/2/propose', SAM))).toMatchObject({
      state: 'PROPOSED',
    });
    const own = await admin('POST', '/api/rule-sets/outbound/versions/2/approve', SAM);
    expect(own.statusCode).toBe(403);
    expect(bodyOf(own).error.code).toBe('FORBIDDEN');
    const approved = await admin('POST', '/api/rule-sets/outbound/versions/2/approve', KIM);
    expect(approved.statusCode).toBe(200);
    expect(bodyOf(approved)).toMatchObject({ state: 'ACTIVE', approver: 'kim', approvedAt: expect.any(String) });

    // Within 60 s (here RULES_REFRESH_SECONDS is 1) the same validate holds 777.77, naming the rule and the version.
    const answer = await eventually(
      async () => {
        const payload = aTransaction({ baseTotal: 777.77 });
        return { payload, body: bodyOf(await validate(payload)) };
      },
      ({ body }) => body.status === 'PENDING_EXTERNAL_APPROVAL',
      60_000,
    );
    expect(answer.body).toMatchObject({
      status: 'PENDING_EXTERNAL_APPROVAL',
      reasons: [expect.objectContaining({ rule: 'exact-777-77' })],
    });
    const transactionId = String(answer.payload.id);
    expect(await resources.item('decisions', { transactionId })).toMatchObject({ ruleSetVersion: 'outbound@2' });
    expect(bodyOf(await admin('GET', `/api/cases/${transactionId}`, ANA))).toMatchObject({
      ruleSetVersion: 'outbound@2',
    });

    const overview = bodyOf(await admin('GET', '/api/rule-sets/outbound', ANA));
    expect(overview.active.version).toBe(2);
    expect(overview.versions.map((v: { version: number; state: string }) => [v.version, v.state])).toEqual([
      [2, 'ACTIVE'],
      [1, 'RETIRED'],
    ]);
    // A retired version can still be read, whole.
    expect(bodyOf(await admin('GET', '/api/rule-sets/outbound/versions/1', ANA))).toMatchObject({
      state: 'RETIRED',
      diff: { rules: { removed: [expect.objectContaining({ id: 'exact-777-77' })] } },
    });
    const history = bodyOf(await admin('GET', '/api/rule-sets/outbound/history', ANA)).items;
    expect(history.map((entry: { action: string; actor: string }) => [entry.action, entry.actor])).toEqual([
      ['SEEDED', expect.any(String)],
      ['CREATED', 'sam'],
      ['PROPOSED', 'sam'],
      ['APPROVED', 'kim'],
    ]);
  });

  it('refuses a draft with every problem named by rule: CEL error with its position, unknown fact and list, duplicate id, wrong outcome', async () => {
    const body = {
      description: 'A broken draft',
      lists: { blockedIbans: [] },
      rules: [
        { id: 'bad-cel', description: 'd', condition: 'tx.baseAmount >', outcome: 'REVIEW' },
        { id: 'bad-fact', description: 'd', condition: 'tx.destination.ibann != null', outcome: 'REVIEW' },
        { id: 'bad-list', description: 'd', condition: 'tx.destination.iban in lists.blockedIbanz', outcome: 'REJECT' },
        { id: 'bad-list', description: 'd', condition: 'true', outcome: 'REVIEW' },
        { id: 'bad-outcome', description: 'd', condition: 'true', outcome: 'BLOCK' },
      ],
    };
    const response = await admin('POST', '/api/rule-sets/outbound/versions', SAM, body);
    expect(response.statusCode).toBe(400);
    const { error } = bodyOf(response);
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.fields).toEqual([
      { path: 'rules.bad-cel.condition', message: expect.stringMatching(/position 15/) },
      { path: 'rules.bad-fact.condition', message: expect.stringMatching(/unknown fact tx\.destination\.ibann/) },
      { path: 'rules.bad-list.condition', message: expect.stringMatching(/unknown list lists\.blockedIbanz/) },
      { path: 'rules.bad-list.id', message: expect.stringMatching(/duplicate/) },
      { path: 'rules.bad-outcome.outcome', message: expect.any(String) },
    ]);
    expect((await admin('GET', '/api/rule-sets/inbound', ANA)).statusCode).toBe(200);
    expect((await admin('GET', '/api/rule-sets/nosuch', ANA)).statusCode).toBe(404);
  });

  it('rejects a proposal with a reason, and it can never become active', async () => {
    const created = bodyOf(
      await admin('POST', '/api/rule-sets/inbound/versions', SAM, {
        description: 'Lower the large-credit threshold',
        lists: { blockedNames: ['JOHN DOE'], blockedAccounts: [] },
        rules: [
          {
            id: 'large-credit',
            description: 'Credit of 1,000,000 or more',
            condition: 'tx.baseAmount >= 1000000.0',
            outcome: 'REVIEW',
          },
        ],
      }),
    );
    const path = `/api/rule-sets/inbound/versions/${created.version}`;
    await admin('POST', `${path}/propose`, SAM);
    expect((await admin('POST', `${path}/reject`, KIM, {})).statusCode).toBe(400);
    const rejected = await admin('POST', `${path}/reject`, KIM, { reason: 'Too many false positives' });
    expect(bodyOf(rejected)).toMatchObject({
      state: 'REJECTED',
      rejectedBy: 'kim',
      rejectReason: 'Too many false positives',
    });
    expect((await admin('POST', `${path}/approve`, KIM)).statusCode).toBe(409);
    expect(bodyOf(await admin('GET', '/api/rule-sets/inbound', ANA)).active.version).toBe(1);
  });

  it('tests rules against a payment or a stored decision without storing anything', async () => {
    const tried = await admin('POST', '/api/rule-sets/outbound/test', ANA, {
      rules: [EXACT_777],
      transaction: aTransaction({ baseTotal: 777.77 }),
    });
    expect(tried.statusCode).toBe(200);
    expect(bodyOf(tried)).toMatchObject({
      outcome: 'PENDING_EXTERNAL_APPROVAL',
      hits: [expect.objectContaining({ rule: 'exact-777-77' })],
      facts: { tx: { baseAmount: 777.77 } },
    });
    const payload = aTransaction({ baseTotal: 20_000 });
    await validate(payload);
    const againstVersion1 = bodyOf(
      await admin('POST', '/api/rule-sets/outbound/test', ANA, { version: 1, transactionId: String(payload.id) }),
    );
    expect(againstVersion1).toMatchObject({
      outcome: 'PENDING_EXTERNAL_APPROVAL',
      ruleSetVersion: 'outbound@1',
      hits: [expect.objectContaining({ rule: 'large-amount' })],
      errors: [],
      // The facts as they were when it was decided, velocity included.
      facts: {
        tx: { baseAmount: 20_000 },
        velocity: (
          unpackDecision(await resources.item('decisions', { transactionId: String(payload.id) })) as {
            facts: { velocity: unknown };
          }
        ).facts.velocity,
      },
    });
    const broken = await admin('POST', '/api/rule-sets/outbound/test', ANA, {
      rules: [{ ...EXACT_777, condition: 'tx.baseAmount ==' }],
      transactionId: String(payload.id),
    });
    expect(broken.statusCode).toBe(400);
    expect(bodyOf(broken).error.fields[0].path).toBe('rules.exact-777-77.condition');
  });

  it('checks rules as the editor types, without storing: each problem with its rule, field and position', async () => {
    const versionsBefore = bodyOf(await admin('GET', '/api/rule-sets/outbound', ANA)).versions.length;
    const checked = await admin('POST', '/api/rule-sets/outbound/check', ANA, {
      // Only the lists' names matter to the check: the editor sends them without their entries.
      lists: { blockedIbans: [] },
      rules: [
        EXACT_777,
        { ...EXACT_777, id: 'broken', condition: 'tx.baseAmount ==' },
        { ...EXACT_777, id: 'typo', condition: 'tx.baseAmount > 1 && tx.destination.ibann in lists.blockedIbans' },
      ],
    });
    expect(checked.statusCode).toBe(200);
    expect(bodyOf(checked)).toEqual({
      valid: false,
      problems: [
        { path: 'rules.broken.condition', rule: 1, field: 'condition', at: 16, message: expect.stringMatching(/EOF/) },
        {
          path: 'rules.typo.condition',
          rule: 2,
          field: 'condition',
          at: 21,
          end: 41,
          message: 'unknown fact tx.destination.ibann (at position 21)',
        },
      ],
    });
    const fine = await admin('POST', '/api/rule-sets/outbound/check', SAM, { rules: [EXACT_777] });
    expect(bodyOf(fine)).toEqual({ valid: true, problems: [] });
    expect(bodyOf(await admin('GET', '/api/rule-sets/outbound', ANA))).toMatchObject({
      versions: { length: versionsBefore },
      outcomes: ['REJECT', 'REVIEW'],
    });
    expect((await admin('POST', '/api/rule-sets/nosuch/check', ANA, { rules: [EXACT_777] })).statusCode).toBe(404);
  });
});

describe('rule management loaded on the first rule request', () => {
  it('answers the first rule requests after a cold start, fired together, alike, with version 1 seeded once', async () => {
    // A new admin function on new tables: rule management is not loaded yet and no version exists.
    const fresh = await handlerResources();
    try {
      const cold = adminFunction(fresh, {
        ADMIN_TOKENS: 'ana:analyst:rules-test-analyst-00001,sam:supervisor:rules-test-supervisor-0001',
      });
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, index) =>
          index % 2 ? cold('GET', '/api/rule-sets/outbound', ANA) : cold('GET', '/api/rule-sets/inbound', ANA),
        ),
      );
      expect(answers.map((answer) => answer.statusCode)).toEqual(Array(20).fill(200));
      const outbound = answers.filter((_, index) => index % 2).map(bodyOf);
      // Every answer shows the one seeded version 1, ACTIVE.
      for (const overview of outbound) {
        expect(overview.versions).toEqual([expect.objectContaining({ version: 1, state: 'ACTIVE' })]);
      }
      // An error from a lazily loaded operation keeps its status: an unknown set is 404, a bad version 400.
      expect((await cold('GET', '/api/rule-sets/sideways', ANA)).statusCode).toBe(404);
      expect((await cold('GET', '/api/rule-sets/outbound/versions/0', ANA)).statusCode).toBe(400);
      // So does the account mappings' group: no such account is 404.
      expect((await cold('GET', '/api/account-mappings/0000000000', SAM)).statusCode).toBe(404);
    } finally {
      await fresh.destroy();
    }
  });
});
