import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { buildFacts } from '../../functions/domain/decisions/decision.js';
import { normaliseTransaction, TransactionSchema } from '../../functions/domain/decisions/transaction.js';
import { velocityFacts } from '../../functions/domain/decisions/velocity.js';
import { compileRuleSet, type Facts, RuleSetError } from '../../functions/domain/rules/engine.js';
import { seedExample } from '../fixtures/transactions.js';

const defaultRules = () => compileRuleSet(parse(readFileSync('rules/default.yaml', 'utf8')));

const factsFor = (payload: Record<string, unknown>, velocity: Partial<Facts['velocity']['customer']> = {}): Facts => {
  const tx = normaliseTransaction(TransactionSchema.parse(payload));
  const base = velocityFacts({
    hasBeneficiary: true,
    firstTimeBeneficiary: false,
    baseAmountMillis: tx.baseAmountMillis,
    nowSeconds: 1_800_000_000,
  });
  return buildFacts(tx, { ...base, customer: { ...base.customer, ...velocity } }, false);
};

const withDestination = (changes: Record<string, unknown>) => {
  const example = seedExample();
  return { ...example, destinationAccount: { ...(example.destinationAccount as object), ...changes } };
};

describe('default rule set', () => {
  const engine = defaultRules();

  it('approves an ordinary small payment (the seed example)', () => {
    expect(engine.evaluate(factsFor(seedExample()))).toMatchObject({ status: 'APPROVED', hits: [], errors: [] });
  });

  it.each(['KP', 'IR', 'MM'])('rejects a payment to a FATF call-for-action country (%s)', (country) => {
    const result = engine.evaluate(factsFor(withDestination({ countryCode: country })));
    expect(result.status).toBe('REJECTED');
    expect(result.hits.map((hit) => hit.rule)).toContain('fatf-call-for-action-country');
  });

  it('sees the country of the beneficiary IBAN even when the country code says otherwise', () => {
    const result = engine.evaluate(factsFor(withDestination({ iban: 'IR062960000000100324200001' })));
    expect(result.status).toBe('REJECTED');
  });

  it('holds a payment of 10,000 or more in base currency for review', () => {
    const at = engine.evaluate(factsFor({ ...seedExample(), total: 9000, baseTotal: 10000 }));
    expect(at.status).toBe('PENDING_EXTERNAL_APPROVAL');
    expect(at.hits).toEqual([expect.objectContaining({ rule: 'large-amount', description: expect.any(String) })]);
    expect(engine.evaluate(factsFor({ ...seedExample(), baseTotal: 9999.99 })).status).toBe('APPROVED');
  });

  it('holds the fifth first-time beneficiary within 24 hours for review', () => {
    expect(engine.evaluate(factsFor(seedExample(), { newBeneficiaries24h: 4 })).status).toBe('APPROVED');
    const fifth = engine.evaluate(factsFor(seedExample(), { newBeneficiaries24h: 5 }));
    expect(fifth.status).toBe('PENDING_EXTERNAL_APPROVAL');
    expect(fifth.hits.map((hit) => hit.rule)).toEqual(['many-new-beneficiaries']);
  });

  it('rejects a blocked IBAN and a blocked name, ignoring case, accents and spacing', () => {
    const rules = parse(readFileSync('rules/default.yaml', 'utf8'));
    rules.lists.blockedIbans = ['DE89 3704 0044 0532 0130 00'];
    rules.lists.blockedNames = ['José  Bad-Actor'];
    const engineWithLists = compileRuleSet(rules);
    const byIban = engineWithLists.evaluate(factsFor(withDestination({ iban: 'de89370400440532013000' })));
    expect(byIban.status).toBe('REJECTED');
    const byName = engineWithLists.evaluate(factsFor(withDestination({ name: 'JOSE BAD ACTOR' })));
    expect(byName.hits.map((hit) => hit.rule)).toEqual(['blocked-beneficiary']);
  });

  it('lets REJECT win over REVIEW', () => {
    const result = engine.evaluate(factsFor({ ...withDestination({ countryCode: 'KP' }), baseTotal: 20000 }));
    expect(result.status).toBe('REJECTED');
    expect(result.hits.map((hit) => hit.outcome).sort()).toEqual(['REJECT', 'REVIEW']);
  });

  it('holds for review a payment with no amount at all', () => {
    const { total: _t, baseTotal: _b, ...noAmount } = seedExample();
    expect(engine.evaluate(factsFor(noAmount)).hits.map((hit) => hit.rule)).toEqual(['missing-amount']);
  });
});

describe('compileRuleSet', () => {
  const rule = (condition: string, id = 'r1') => ({ id, description: 'd', condition, outcome: 'REVIEW' });

  it('reports every broken rule at once', () => {
    const attempt = () =>
      compileRuleSet({
        version: '1',
        rules: [rule('tx.baseAmount >', 'syntax'), rule('nosuchvar > 1', 'unknown'), rule('true', 'fine')],
      });
    expect(attempt).toThrow(RuleSetError);
    expect(attempt).toThrow(/syntax[\s\S]*unknown/);
  });

  it('refuses duplicate ids and unknown outcomes', () => {
    expect(() => compileRuleSet({ version: '1', rules: [rule('true', 'a'), rule('true', 'a')] })).toThrow(/duplicate/);
    expect(() => compileRuleSet({ version: '1', rules: [{ ...rule('true'), outcome: 'BLOCK' }] })).toThrow(/outcome/);
  });

  it('holds a payment for review when a rule cannot be evaluated, and says which', () => {
    const engine = compileRuleSet({ version: '1', rules: [rule('tx.missing.field > 1', 'needs-field')] });
    const result = engine.evaluate(factsFor(seedExample()));
    expect(result.status).toBe('PENDING_EXTERNAL_APPROVAL');
    expect(result.errors).toEqual([{ rule: 'needs-field', message: expect.any(String) }]);
  });

  it('skips disabled rules', () => {
    const engine = compileRuleSet({ version: '1', rules: [{ ...rule('true'), outcome: 'REJECT', enabled: false }] });
    expect(engine.evaluate(factsFor(seedExample())).status).toBe('APPROVED');
  });
});
