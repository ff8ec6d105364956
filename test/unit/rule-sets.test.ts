import { buildFacts } from '../../functions/domain/decisions/decision.js';
import { normaliseTransaction, TransactionSchema } from '../../functions/domain/decisions/transaction.js';
import { velocityFacts } from '../../functions/domain/decisions/velocity.js';
import { activeRules } from '../../functions/domain/rules/active-rules.js';
import { compileRuleSet } from '../../functions/domain/rules/engine.js';
import { factPaths, ruleSetProblems } from '../../functions/domain/rules/rule-check.js';
import {
  checkRuleSetBody,
  diffVersions,
  InvalidRuleSetError,
  newVersion,
  planApprove,
  planPropose,
  planReject,
  RuleSetConflictError,
  RuleSetForbiddenError,
  type VersionSummary,
} from '../../functions/domain/rules/rule-set-versions.js';
import { seedExample } from '../fixtures/transactions.js';

const rule = (id: string, condition: string, outcome = 'REVIEW') => ({ id, description: 'd', condition, outcome });

/** Every leaf path of a value, as `tx.destination.iban`. */
const leafPaths = (value: unknown, prefix = ''): string[] =>
  value !== null && typeof value === 'object' && !Array.isArray(value)
    ? Object.entries(value).flatMap(([key, below]) => leafPaths(below, prefix ? `${prefix}.${key}` : key))
    : [prefix];

describe('what a condition may read', () => {
  it('is exactly what a normalised payment and its velocity produce', () => {
    const tx = normaliseTransaction(TransactionSchema.parse(seedExample()));
    const velocity = velocityFacts({
      hasBeneficiary: true,
      firstTimeBeneficiary: false,
      baseAmountMillis: 1,
      nowSeconds: 1,
    });
    const facts = buildFacts(tx, velocity, false);
    expect(factPaths().sort()).toEqual(leafPaths(facts).sort());
  });
});

describe('ruleSetProblems', () => {
  it('names each problem by rule, with the position in the condition', () => {
    const problems = ruleSetProblems(
      [
        rule('syntax', 'tx.baseAmount >'),
        rule('fact', 'velocity.customer.h25.count > 1'),
        rule('list', 'tx.countries.exists(c, c in lists.nope)'),
        rule('variable', 'txn.amount > 1'),
        rule('fine', 'tx.countries.exists(c, c in lists.known) && beneficiary.firstTime'),
        rule('fine', 'true'),
        rule('outcome', 'true', 'BLOCK'),
      ],
      ['known'],
    );
    expect(problems).toEqual([
      { path: 'rules.syntax.condition', message: 'Unexpected token: EOF (at position 15)' },
      { path: 'rules.fact.condition', message: 'unknown fact velocity.customer.h25 (at position 0)' },
      {
        path: 'rules.list.condition',
        message: expect.stringMatching(/^unknown list lists\.nope \(at position \d+\)$/),
      },
      { path: 'rules.variable.condition', message: expect.stringMatching(/Unknown variable: txn/) },
      { path: 'rules.fine.id', message: 'fine is a duplicate id' },
      { path: 'rules.outcome.outcome', message: expect.any(String) },
    ]);
  });

  it('passes the shipped rule sets', async () => {
    const { readRuleSetFile } = await import('../../functions/shared/rules-loader.js');
    for (const file of ['rules/default.yaml', 'rules/inbound.yaml']) {
      const set = (await readRuleSetFile(file)) as { rules: unknown[]; lists: Record<string, string[]> };
      expect(ruleSetProblems(set.rules, Object.keys(set.lists))).toEqual([]);
    }
  });
});

describe('checkRuleSetBody', () => {
  it('refuses a body without a description or rules, naming the fields', () => {
    const attempt = () => checkRuleSetBody({ lists: { 'bad name': [] }, rules: [] });
    expect(attempt).toThrow(InvalidRuleSetError);
    try {
      attempt();
    } catch (error) {
      expect((error as InvalidRuleSetError).problems.map((p) => p.path).sort()).toEqual(
        ['description', 'lists.bad name', 'rules'].sort(),
      );
    }
  });
});

describe('lists in conditions', () => {
  it('match by key however long, and still answer size() and exists()', () => {
    const blocked = Array.from({ length: 50_000 }, (_, i) => `GB${String(i).padStart(20, '0')}`);
    const engine = compileRuleSet({
      version: 'v',
      lists: { blockedIbans: blocked },
      rules: [
        rule('hit', 'tx.iban in lists.blockedIbans'),
        rule(
          'size',
          'size(lists.blockedIbans) == 50000 && lists.blockedIbans.exists(i, i == "GB00000000000000000007")',
        ),
      ],
    });
    const facts = (iban: string) => ({
      tx: { iban },
      velocity: {} as never,
      beneficiary: { key: null, firstTime: false },
    });
    expect(engine.evaluate(facts(blocked[49_999] ?? '')).hits.map((hit) => hit.rule)).toEqual(['hit', 'size']);
    expect(engine.evaluate(facts('NOPE')).hits.map((hit) => hit.rule)).toEqual(['size']);
  });
});

describe('version transitions', () => {
  const version = (changes: Partial<VersionSummary> = {}): VersionSummary => ({
    ...newVersion({
      ruleSet: 'outbound',
      body: checkRuleSetBody({ description: 'ddd', rules: [rule('r', 'true')] }),
      author: 'sam',
      now: new Date('2026-01-01T00:00:00.000Z'),
      active: 1,
      state: 'PROPOSED',
    }),
    version: 2,
    ...changes,
  });
  const now = new Date('2026-01-02T00:00:00.000Z');

  it('refuses an approval by the author or the proposer, and of anything not proposed', () => {
    expect(() => planApprove(version(), 'sam', now)).toThrow(RuleSetForbiddenError);
    expect(() => planApprove(version({ author: 'ann', proposedBy: 'kim' }), 'kim', now)).toThrow(RuleSetForbiddenError);
    expect(() => planApprove(version({ state: 'DRAFT' }), 'kim', now)).toThrow(RuleSetConflictError);
    expect(planApprove(version(), 'kim', now)).toEqual({
      state: 'ACTIVE',
      approver: 'kim',
      approvedAt: now.toISOString(),
    });
  });

  it('proposes only drafts and rejects only proposals', () => {
    expect(() => planPropose(version(), 'sam', now)).toThrow(RuleSetConflictError);
    expect(planPropose(version({ state: 'DRAFT' }), 'sam', now)).toMatchObject({
      state: 'PROPOSED',
      proposedBy: 'sam',
    });
    expect(() => planReject(version({ state: 'ACTIVE' }), 'kim', 'no', now)).toThrow(RuleSetConflictError);
    expect(planReject(version(), 'sam', 'withdrawn', now)).toMatchObject({
      state: 'REJECTED',
      rejectReason: 'withdrawn',
    });
  });
});

describe('diffVersions', () => {
  it('names rules added, removed and changed, and counts list entries beyond the ones it spells out', () => {
    const base = {
      description: 'a',
      rules: checkRuleSetBody({ description: 'aaa', rules: [rule('kept', 'true'), rule('gone', 'true')] }).rules,
      lists: { names: ['A', 'B'] },
    };
    const target = {
      description: 'b',
      rules: checkRuleSetBody({ description: 'bbb', rules: [rule('kept', 'false'), rule('new', 'true')] }).rules,
      lists: { names: ['B', ...Array.from({ length: 150 }, (_, i) => `N${i}`)] },
    };
    const diff = diffVersions(base, target);
    expect(diff.rules.added.map((r) => r.id)).toEqual(['new']);
    expect(diff.rules.removed.map((r) => r.id)).toEqual(['gone']);
    expect(diff.rules.changed.map((r) => r.id)).toEqual(['kept']);
    expect(diff.lists.names).toMatchObject({ addedCount: 150, removedCount: 1, removed: ['A'] });
    expect(diff.lists.names?.added).toHaveLength(100);
    expect(diff.description).toEqual({ before: 'a', after: 'b' });
  });
});

describe('activeRules', () => {
  it('decides with the shipped file until a version is seeded, and fails its first load rather than guess', async () => {
    const shipped = compileRuleSet({ version: 'file-1', rules: [rule('r', 'true')] });
    let pointer: { activeVersion: number | null } | undefined;
    const rules = activeRules({
      ruleSet: 'outbound',
      pointer: async () => pointer,
      version: async () => undefined,
      shipped: async () => shipped,
      refreshMs: 1000,
      clock: () => 0,
    });
    expect((await rules.current()).version).toBe('file-1');
    const failing = activeRules({
      ruleSet: 'outbound',
      pointer: async () => {
        throw new Error('storage down');
      },
      version: async () => undefined,
      shipped: async () => shipped,
      refreshMs: 1000,
    });
    await expect(failing.current()).rejects.toThrow('storage down');
  });

  it('keeps deciding with the rules in hand when a refresh fails, and tries again after the interval', async () => {
    let now = 0;
    let fail = false;
    const errors: unknown[] = [];
    const rules = activeRules({
      ruleSet: 'inbound',
      pointer: async () => {
        if (fail) throw new Error('throttled');
        return { activeVersion: 1 };
      },
      version: async (n) =>
        ({
          ruleSet: 'inbound',
          version: n,
          description: 'd',
          rules: checkRuleSetBody({ description: 'ddd', rules: [rule('r', 'true')] }).rules,
          lists: {},
        }) as never,
      shipped: async () => {
        throw new Error('unused');
      },
      refreshMs: 1000,
      clock: () => now,
      onRefreshError: (error) => errors.push(error),
    });
    expect((await rules.current()).version).toBe('inbound@1');
    fail = true;
    now = 1000;
    expect((await rules.current()).version).toBe('inbound@1');
    await new Promise((resolve) => setImmediate(resolve));
    expect(errors).toHaveLength(1);
    // Not asked again until another interval has passed.
    expect((await rules.current()).version).toBe('inbound@1');
    await new Promise((resolve) => setImmediate(resolve));
    expect(errors).toHaveLength(1);
  });
  it('learns the shadowed version with the pointer, compiled once, and leaves out one that is active or will not load', async () => {
    let pointer: { activeVersion: number; shadow?: { version: number } } = { activeVersion: 1, shadow: { version: 2 } };
    let now = 0;
    const reads: number[] = [];
    const errors: unknown[] = [];
    const rules = activeRules({
      ruleSet: 'outbound',
      pointer: async () => pointer,
      version: async (n) => {
        reads.push(n);
        if (n === 3) return undefined;
        return {
          ruleSet: 'outbound',
          version: n,
          description: 'd',
          rules: checkRuleSetBody({ description: 'ddd', rules: [rule(`r${n}`, 'true')] }).rules,
          lists: {},
        } as never;
      },
      shipped: async () => {
        throw new Error('unused');
      },
      refreshMs: 1000,
      maxWaitMs: 10_000,
      clock: () => now,
      onRefreshError: (error) => errors.push(error),
    });
    expect((await rules.current()).version).toBe('outbound@1');
    expect(rules.shadow()?.version).toBe(2);
    expect(rules.shadow()?.engine.version).toBe('outbound@2');
    now = 1000;
    await rules.current();
    // Not read again while the pointer names the same shadow.
    expect(reads).toEqual([2, 1]);
    // A shadow that cannot be loaded is left out and reported; the live rules go on.
    pointer = { activeVersion: 1, shadow: { version: 3 } };
    now = 2000;
    expect((await rules.current()).version).toBe('outbound@1');
    expect(rules.shadow()).toBeUndefined();
    expect(errors).toHaveLength(1);
    // Once approved, the shadowed version is the active one: no shadow.
    pointer = { activeVersion: 2, shadow: { version: 2 } };
    now = 3000;
    expect((await rules.current()).version).toBe('outbound@2');
    expect(rules.shadow()).toBeUndefined();
  });
});
