import { randomBytes } from 'node:crypto';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ruleSetRepository } from '#adapters/rule-set-repository.js';
import { activeRules } from '#domain/rules/active-rules.js';
import { compileVersion, RuleSetConflictError, RuleSetForbiddenError } from '#domain/rules/rule-set-versions.js';
import { ensureSeeded, ruleSetWorkflow } from '#domain/rules/rule-set-workflow.js';
import { readRuleSetFile } from '#shared/rules-loader.js';
import { type HandlerResources, handlerResources } from '../handlers/resources.js';

const shipped = (set: 'outbound' | 'inbound') =>
  readRuleSetFile(set === 'outbound' ? 'rules/default.yaml' : 'rules/inbound.yaml');
/** Tables of its own for each test: every test starts from a rule sets table nobody seeded. */
const freshWorkflow = async () => {
  const own: HandlerResources = await handlerResources();
  const store = ruleSetRepository(own.documentClient, own.tables.ruleSets);
  return { own, store, workflow: ruleSetWorkflow({ store, shipped }) };
};

const draftBody = (extraRule?: Record<string, unknown>, lists: Record<string, string[]> = {}) => ({
  description: 'Hold 777.77 for review',
  lists: { callForActionCountries: ['KP'], highRiskCountries: [], blockedIbans: [], blockedNames: [], ...lists },
  rules: [
    {
      id: 'fatf-call-for-action-country',
      description: 'FATF',
      condition: 'tx.countries.exists(c, c in lists.callForActionCountries)',
      outcome: 'REJECT',
    },
    ...(extraRule ? [extraRule] : []),
  ],
});

describe('rule set storage on DynamoDB Local', () => {
  it('seeds version 1 from the shipped file exactly once when many starts seed at the same time', async () => {
    const { own, store } = await freshWorkflow();
    await Promise.all(Array.from({ length: 6 }, () => ensureSeeded('outbound', { store, shipped })));
    const versions = await store.versions('outbound');
    expect(versions.map((v) => [v.version, v.state])).toEqual([[1, 'ACTIVE']]);
    expect((await store.history('outbound')).map((entry) => entry.action)).toEqual(['SEEDED']);
    const v1 = await store.version('outbound', 1);
    expect(v1?.rules.map((rule) => rule.id)).toContain('large-amount');
    expect(v1?.lists.highRiskCountries).toContain('VN');
    expect(await store.pointer('outbound')).toEqual({ latestVersion: 1, activeVersion: 1 });
    await own.destroy();
  });

  it('stores lists of 50,000 entries in compressed parts below the item limit and reads them back whole', async () => {
    const { own, store, workflow } = await freshWorkflow();
    // Random names compress badly: the list needs several parts, as a real block list of names would.
    const names = Array.from({ length: 50_000 }, () => `NAME ${randomBytes(12).toString('hex').toUpperCase()}`);
    const ibans = Array.from({ length: 50_000 }, (_, i) => `GB${String(i).padStart(20, '0')}`);
    const version = await workflow.createDraft(
      'outbound',
      draftBody(
        {
          id: 'blocked-beneficiary',
          description: 'blocked',
          condition: 'tx.destination.nameKey in lists.blockedNames || tx.destination.iban in lists.blockedIbans',
          outcome: 'REJECT',
        },
        { blockedNames: names, blockedIbans: ibans },
      ),
      'sam',
    );
    const parts = await own.documentClient.send(
      new QueryCommand({
        TableName: own.tables.ruleSets,
        KeyConditionExpression: 'ruleSet = :s AND begins_with(sk, :v)',
        ExpressionAttributeValues: { ':s': 'outbound', ':v': `V#${String(version).padStart(10, '0')}#L#blockedNames` },
        ProjectionExpression: 'sk',
      }),
    );
    expect(parts.Items?.length).toBeGreaterThan(1);
    const read = await store.version('outbound', version);
    expect(read?.lists.blockedNames).toEqual(names);
    expect(read?.lists.blockedIbans).toEqual(ibans);
    expect((await store.versions('outbound')).find((v) => v.version === version)).toMatchObject({
      state: 'DRAFT',
      listCounts: { blockedNames: 50_000, blockedIbans: 50_000 },
    });
    // The last entry of each list is found, as fast as the first (lists are looked up, not scanned).
    const engine = compileVersion(read as NonNullable<typeof read>);
    const facts = (destination: Record<string, unknown>) => ({
      tx: { countries: [], destination: { nameKey: null, iban: null, ...destination } },
      velocity: {} as never,
      beneficiary: { key: null, firstTime: false },
    });
    expect(engine.evaluate(facts({ nameKey: names[49_999] })).status).toBe('REJECTED');
    expect(engine.evaluate(facts({ iban: ibans[49_999] })).status).toBe('REJECTED');
    expect(engine.evaluate(facts({ iban: 'GB00000000000000099999999' })).status).toBe('APPROVED');
    await own.destroy();
  });

  it('lets only a supervisor other than the author approve, and retires the version it replaces', async () => {
    const { own, store, workflow } = await freshWorkflow();
    const version = await workflow.createDraft('outbound', draftBody(), 'sam');
    await expect(workflow.approve('outbound', version, 'kim')).rejects.toThrow(RuleSetConflictError);
    await workflow.propose('outbound', version, 'sam');
    await expect(workflow.approve('outbound', version, 'sam')).rejects.toThrow(RuleSetForbiddenError);
    await workflow.approve('outbound', version, 'kim');
    const versions = await store.versions('outbound');
    expect(versions.map((v) => [v.version, v.state, v.approver])).toEqual([
      [version, 'ACTIVE', 'kim'],
      [1, 'RETIRED', expect.any(String)],
    ]);
    const history = await store.history('outbound');
    expect(history.map((entry) => [entry.action, entry.actor])).toEqual([
      ['SEEDED', expect.any(String)],
      ['CREATED', 'sam'],
      ['PROPOSED', 'sam'],
      ['APPROVED', 'kim'],
    ]);
    expect(history[3]).toMatchObject({ against: 1, diff: { rules: { removed: expect.any(Array) } } });

    // Rolling back is a proposal like any other: a copy of version 1, approved by someone else.
    const rollback = await workflow.rollback('outbound', 1, 'kim');
    await expect(workflow.approve('outbound', rollback, 'kim')).rejects.toThrow(RuleSetForbiddenError);
    await workflow.approve('outbound', rollback, 'sam');
    const back = await store.version('outbound', rollback);
    expect(back).toMatchObject({ state: 'ACTIVE', copiedFrom: 1, author: 'kim', approver: 'sam' });
    expect(back?.rules).toEqual((await store.version('outbound', 1))?.rules);
    await own.destroy();
  });

  it('lets exactly one of two approvals fired in parallel win, for two proposals and for the same one', async () => {
    const { own, store, workflow } = await freshWorkflow();
    const first = await workflow.createDraft('outbound', draftBody(), 'sam');
    const second = await workflow.createDraft('outbound', { ...draftBody(), description: 'another change' }, 'sam');
    await workflow.propose('outbound', first, 'sam');
    await workflow.propose('outbound', second, 'sam');
    const racing = await Promise.allSettled([
      workflow.approve('outbound', first, 'kim'),
      workflow.approve('outbound', second, 'lee'),
    ]);
    expect(racing.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    expect(racing.find((result) => result.status === 'rejected')).toMatchObject({
      reason: expect.any(RuleSetConflictError),
    });
    const states = (await store.versions('outbound')).map((v) => v.state);
    expect(states.filter((state) => state === 'ACTIVE')).toHaveLength(1);
    const winner = racing[0]?.status === 'fulfilled' ? first : second;
    expect((await store.pointer('outbound', true))?.activeVersion).toBe(winner);

    const third = await workflow.createDraft('outbound', { ...draftBody(), description: 'third' }, 'sam');
    await workflow.propose('outbound', third, 'sam');
    const same = await Promise.allSettled([
      workflow.approve('outbound', third, 'kim'),
      workflow.approve('outbound', third, 'lee'),
    ]);
    expect(same.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    expect((await store.versions('outbound')).filter((v) => v.state === 'ACTIVE').map((v) => v.version)).toEqual([
      third,
    ]);
    expect((await store.history('outbound')).filter((entry) => entry.action === 'APPROVED')).toHaveLength(2);
    await own.destroy();
  });

  it('gives decisions the newly active version after the refresh interval, with one pointer read per interval', async () => {
    const { own, store, workflow } = await freshWorkflow();
    let now = 0;
    let pointerReads = 0;
    const rules = activeRules({
      ruleSet: 'outbound',
      pointer: () => {
        pointerReads += 1;
        return store.pointer('outbound');
      },
      version: (n) => store.version('outbound', n),
      shipped: async () => {
        throw new Error('not used once seeded');
      },
      refreshMs: 30_000,
      // DynamoDB Local on a busy machine can take longer than the default 250 ms.
      maxWaitMs: 10_000,
      clock: () => now,
    });
    await ensureSeeded('outbound', { store, shipped });
    expect((await rules.current()).version).toBe('outbound@1');
    for (let call = 0; call < 50; call++) await rules.current();
    expect(pointerReads).toBe(1);

    const next = await workflow.createDraft('outbound', draftBody(), 'sam');
    await workflow.propose('outbound', next, 'sam');
    await workflow.approve('outbound', next, 'kim');
    expect((await rules.current()).version).toBe('outbound@1');
    // From half the interval the pointer is read in the background: this call still decides at once.
    now = 15_000;
    expect((await rules.current()).version).toBe('outbound@1');
    await rules.refresh();
    expect(pointerReads).toBe(2);
    expect((await rules.current()).version).toBe(`outbound@${next}`);
    // Without traffic in between, a call a whole interval after the last lookup waits for the next one.
    const later = await workflow.rollback('outbound', 1, 'kim');
    await workflow.approve('outbound', later, 'sam');
    now = 45_000;
    expect((await rules.current()).version).toBe(`outbound@${later}`);
    expect(pointerReads).toBe(3);
    await own.destroy();
  });
});
