import fc from 'fast-check';
import {
  type Actor,
  type CaseChange,
  CaseConflictError,
  CaseForbiddenError,
  type CaseRecord,
  type DecisionRequest,
  finalChange,
  needsFourEyes,
  planClaim,
  planDecision,
  planProviderVerdict,
  planRelease,
  slaView,
} from '../../functions/domain/cases/transitions.js';

const NOW = new Date('2026-11-20T10:00:00.000Z');
const AT = NOW.toISOString();
const THRESHOLD = 100_000;
const options = { now: NOW, fourEyesThreshold: THRESHOLD };

const ana: Actor = { name: 'ana', role: 'analyst' };
const bob: Actor = { name: 'bob', role: 'analyst' };
const sam: Actor = { name: 'sam', role: 'supervisor' };
const sue: Actor = { name: 'sue', role: 'supervisor' };
const tom: Actor = { name: 'tom', role: 'supervisor' };
const sla: Actor = { name: 'system:sla', role: 'system' };

const RULE_HIT = { rule: 'large-amount', description: 'Base amount of 10,000 or more' };

/** An open case as validate stores it: pending, first stage, unclaimed. */
const aCase = (changes: Partial<CaseRecord> = {}): CaseRecord => ({
  transactionId: 'tx-1',
  status: 'PENDING_EXTERNAL_APPROVAL',
  reviewStage: 'FIRST',
  version: 3,
  createdAt: '2026-11-19T12:00:00.000Z',
  customer: 'customer-1',
  baseAmount: 20_000,
  currency: 'EUR',
  reasons: [RULE_HIT],
  ...changes,
});
const big = (changes: Partial<CaseRecord> = {}) => aCase({ baseAmount: THRESHOLD, ...changes });

const approve: DecisionRequest = { status: 'APPROVED', reason: 'Known supplier' };
const reject: DecisionRequest = { status: 'REJECTED', reason: 'Mule pattern' };

/** Applies a planned change the way the case repository stores it (null removes, the version moves on). */
const applied = (record: CaseRecord, change: CaseChange): CaseRecord => {
  const next: Record<string, unknown> = { ...record, version: record.version + 1 };
  for (const [key, value] of Object.entries(change.set)) {
    if (value === null) delete next[key];
    else next[key] = value;
  }
  return next as unknown as CaseRecord;
};

describe('planClaim', () => {
  it('gives an open case to the analyst and records who held it before and after', () => {
    const change = planClaim(aCase(), ana, NOW);
    expect(change.set).toEqual({ claimedBy: 'ana', claimedAt: AT });
    expect(change.final).toBeUndefined();
    expect(change.history).toMatchObject({
      transactionId: 'tx-1',
      action: 'CLAIMED',
      actor: 'ana',
      at: AT,
      before: { status: 'PENDING_EXTERNAL_APPROVAL', reviewStage: 'FIRST', claimedBy: null },
      after: { status: 'PENDING_EXTERNAL_APPROVAL', reviewStage: 'FIRST', claimedBy: 'ana' },
    });
    expect(change.history.entryId.startsWith(`${AT}#`)).toBe(true);
  });

  it('refuses a case the analyst already holds', () => {
    expect(() => planClaim(aCase({ claimedBy: 'ana' }), ana, NOW)).toThrow(CaseConflictError);
  });

  it("refuses another analyst's case, but lets a supervisor take it over", () => {
    const held = aCase({ claimedBy: 'bob', claimedAt: '2026-11-20T09:00:00.000Z' });
    expect(() => planClaim(held, ana, NOW)).toThrow(CaseConflictError);
    const change = planClaim(held, sam, NOW);
    expect(change.set).toEqual({ claimedBy: 'sam', claimedAt: AT });
    expect(change.history).toMatchObject({ before: { claimedBy: 'bob' }, after: { claimedBy: 'sam' } });
  });

  it('refuses a case that is already decided', () => {
    const decided = aCase({ status: 'APPROVED', reviewStage: 'FINAL' });
    expect(() => planClaim(decided, ana, NOW)).toThrow(CaseConflictError);
  });
});

describe('planRelease', () => {
  it('gives a held case back to the queue, removing the holder', () => {
    const change = planRelease(aCase({ claimedBy: 'ana', claimedAt: AT }), ana, NOW);
    expect(change.set).toEqual({ claimedBy: null, claimedAt: null });
    expect(change.history).toMatchObject({
      action: 'RELEASED',
      actor: 'ana',
      before: { claimedBy: 'ana' },
      after: { claimedBy: null },
    });
  });

  it('refuses a case nobody holds', () => {
    expect(() => planRelease(aCase(), ana, NOW)).toThrow(CaseConflictError);
  });

  it("refuses another analyst's case, but lets a supervisor release anyone's", () => {
    const held = aCase({ claimedBy: 'bob' });
    expect(() => planRelease(held, ana, NOW)).toThrow(CaseConflictError);
    expect(planRelease(held, sam, NOW).history).toMatchObject({ actor: 'sam', before: { claimedBy: 'bob' } });
  });

  it('refuses a decided case', () => {
    expect(() => planRelease(aCase({ status: 'REJECTED', reviewStage: 'FINAL', claimedBy: 'ana' }), ana, NOW)).toThrow(
      CaseConflictError,
    );
  });
});

describe('needsFourEyes', () => {
  it('holds from the threshold up, not below it', () => {
    expect(needsFourEyes({ baseAmount: THRESHOLD }, THRESHOLD)).toBe(true);
    expect(needsFourEyes({ baseAmount: THRESHOLD + 0.01 }, THRESHOLD)).toBe(true);
    expect(needsFourEyes({ baseAmount: THRESHOLD - 0.01 }, THRESHOLD)).toBe(false);
  });
});

describe('planDecision below the four-eyes threshold', () => {
  it("makes one analyst's approval final, appends the review reason and frees the case", () => {
    const change = planDecision(aCase({ baseAmount: THRESHOLD - 0.01, claimedBy: 'ana' }), approve, ana, options);
    expect(change.final).toEqual({ status: 'APPROVED', reason: 'Known supplier', decidedAt: AT, decidedBy: 'ana' });
    expect(change.set).toEqual({
      status: 'APPROVED',
      reviewStage: 'FINAL',
      decidedAt: AT,
      decidedBy: 'ana',
      finalReason: 'Known supplier',
      reasons: [RULE_HIT, { rule: 'MANUAL_REVIEW', description: 'Approved: Known supplier' }],
      claimedBy: null,
      claimedAt: null,
    });
    expect(change.history).toMatchObject({
      action: 'DECIDED',
      actor: 'ana',
      before: { status: 'PENDING_EXTERNAL_APPROVAL', reviewStage: 'FIRST', claimedBy: 'ana' },
      after: { status: 'APPROVED', reviewStage: 'FINAL', claimedBy: null },
      details: { status: 'APPROVED', reason: 'Known supplier' },
    });
  });

  it("makes one analyst's rejection final", () => {
    const change = planDecision(aCase(), reject, ana, options);
    expect(change.final).toMatchObject({ status: 'REJECTED', decidedBy: 'ana' });
    expect(change.set.reasons).toEqual([RULE_HIT, { rule: 'MANUAL_REVIEW', description: 'Rejected: Mule pattern' }]);
  });

  it('refuses a system actor: only a person decides a case', () => {
    expect(() => planDecision(aCase(), approve, sla, options)).toThrow(CaseForbiddenError);
  });

  it('refuses a decided case and a case another analyst holds', () => {
    expect(() => planDecision(aCase({ status: 'APPROVED', reviewStage: 'FINAL' }), reject, ana, options)).toThrow(
      CaseConflictError,
    );
    expect(() => planDecision(aCase({ claimedBy: 'bob' }), approve, ana, options)).toThrow(CaseConflictError);
  });
});

describe('planDecision at or above the four-eyes threshold', () => {
  it('only records the first decision, exactly at the threshold, and tells Toqio nothing', () => {
    const change = planDecision(big(), approve, ana, options);
    expect(change.final).toBeUndefined();
    expect(change.set).toEqual({
      reviewStage: 'SECOND',
      firstDecision: { status: 'APPROVED', reason: 'Known supplier', by: 'ana', at: AT },
    });
    expect(change.history).toMatchObject({
      action: 'FIRST_APPROVAL',
      actor: 'ana',
      before: { reviewStage: 'FIRST', status: 'PENDING_EXTERNAL_APPROVAL' },
      after: { reviewStage: 'SECOND', status: 'PENDING_EXTERNAL_APPROVAL' },
      details: { status: 'APPROVED', reason: 'Known supplier' },
    });
  });

  it('records a first rejection the same way: one person never closes a four-eyes case', () => {
    const change = planDecision(big(), reject, sam, options);
    expect(change.final).toBeUndefined();
    expect(change.set).toMatchObject({ reviewStage: 'SECOND', firstDecision: { status: 'REJECTED', by: 'sam' } });
  });

  const afterFirst = (first: DecisionRequest, by: Actor) => applied(big(), planDecision(big(), first, by, options));

  it('refuses the second decision from the person who made the first, supervisor or not', () => {
    expect(() => planDecision(afterFirst(approve, sam), approve, sam, options)).toThrow(
      new CaseForbiddenError('Four-eyes: the second decision must come from a different person'),
    );
    expect(() => planDecision(afterFirst(approve, ana), reject, ana, options)).toThrow(CaseForbiddenError);
  });

  it('refuses the second decision from an analyst', () => {
    expect(() => planDecision(afterFirst(approve, ana), approve, bob, options)).toThrow(
      new CaseForbiddenError('Four-eyes: this decision needs a supervisor'),
    );
  });

  it('approves on two approvals by different people, the second a supervisor, and keeps the first in history', () => {
    const change = planDecision(afterFirst(approve, ana), { status: 'APPROVED', reason: 'Agreed' }, sam, options);
    expect(change.final).toEqual({ status: 'APPROVED', reason: 'Agreed', decidedAt: AT, decidedBy: 'sam' });
    expect(change.history).toMatchObject({
      action: 'DECIDED',
      actor: 'sam',
      before: { reviewStage: 'SECOND' },
      after: { status: 'APPROVED', reviewStage: 'FINAL' },
      details: { firstDecision: { status: 'APPROVED', by: 'ana' } },
    });
  });

  it('rejects on an approval followed by a rejection', () => {
    const change = planDecision(afterFirst(approve, ana), reject, sam, options);
    expect(change.final).toMatchObject({ status: 'REJECTED', decidedBy: 'sam' });
  });

  it('rejects on two rejections', () => {
    expect(planDecision(afterFirst(reject, ana), reject, sam, options).final).toMatchObject({ status: 'REJECTED' });
  });

  describe('a rejection followed by an approval', () => {
    const escalate = () => planDecision(afterFirst(reject, ana), approve, sam, options);

    it('goes to a third person instead of approving: nothing final, the second decision kept', () => {
      const change = escalate();
      expect(change.final).toBeUndefined();
      expect(change.set).toEqual({
        reviewStage: 'ESCALATED',
        secondDecision: { status: 'APPROVED', reason: 'Known supplier', by: 'sam', at: AT },
      });
      expect(change.history).toMatchObject({
        action: 'ESCALATED',
        actor: 'sam',
        before: { reviewStage: 'SECOND' },
        after: { reviewStage: 'ESCALATED', status: 'PENDING_EXTERNAL_APPROVAL' },
        details: { status: 'APPROVED', firstDecision: { status: 'REJECTED', by: 'ana' } },
      });
    });

    const escalated = () => applied(afterFirst(reject, ana), escalate());

    it('refuses both earlier people and any analyst as the third', () => {
      const thirdPerson = new CaseForbiddenError('Four-eyes: the deciding decision must come from a third person');
      expect(() => planDecision(escalated(), approve, ana, options)).toThrow(thirdPerson);
      expect(() => planDecision(escalated(), reject, sam, options)).toThrow(thirdPerson);
      expect(() => planDecision(escalated(), approve, bob, options)).toThrow(CaseForbiddenError);
    });

    it.each([approve, reject])("makes a third supervisor's decision final (%o)", (request) => {
      const change = planDecision(escalated(), request, tom, options);
      expect(change.final).toMatchObject({ status: request.status, decidedBy: 'tom' });
      expect(change.history).toMatchObject({ action: 'DECIDED', before: { reviewStage: 'ESCALATED' } });
    });
  });

  it('never approves a four-eyes payment without two approvers, nor over a rejection without a third person', () => {
    const people = [ana, bob, sam, sue, tom];
    const decision = fc.record({
      actor: fc.constantFrom(...people),
      status: fc.constantFrom<DecisionRequest['status']>('APPROVED', 'REJECTED'),
    });
    fc.assert(
      fc.property(fc.array(decision, { minLength: 1, maxLength: 8 }), (attempts) => {
        let record = big();
        const decided: { by: string; status: string }[] = [];
        for (const { actor, status } of attempts) {
          if (record.reviewStage === 'FINAL') break;
          let change: CaseChange;
          try {
            change = planDecision(record, { status, reason: 'Because' }, actor, options);
          } catch (error) {
            if (error instanceof CaseForbiddenError) continue;
            throw error;
          }
          decided.push({ by: actor.name, status });
          record = applied(record, change);
          if (change.final) {
            const approvers = new Set(decided.filter((entry) => entry.status === 'APPROVED').map((entry) => entry.by));
            const deciders = decided.map((entry) => entry.by);
            // Every recorded decision came from a different person.
            expect(new Set(deciders).size).toBe(deciders.length);
            expect(actor.role).toBe('supervisor');
            if (change.final.status === 'APPROVED') {
              expect(approvers.size).toBeGreaterThanOrEqual(2);
              // An approval over an earlier rejection needs the third person.
              if (decided.some((entry) => entry.status === 'REJECTED')) expect(deciders).toHaveLength(3);
            }
          }
        }
      }),
    );
  });
});

describe('planProviderVerdict', () => {
  const flagright = (status: 'APPROVED' | 'REJECTED' | 'PENDING', mode = 'primary') => ({
    status,
    reason: `Flagright says ${status}`,
    provider: 'flagright',
    mode,
  });

  it.each(['APPROVED', 'REJECTED'] as const)('only records a verdict in shadow mode (%s)', (status) => {
    const plan = planProviderVerdict(aCase(), flagright(status, 'shadow'), options);
    expect(plan).toMatchObject({
      kind: 'record',
      why: expect.stringContaining('shadow'),
      entry: {
        action: 'PROVIDER_VERDICT',
        actor: 'provider:flagright',
        at: AT,
        details: { status, mode: 'shadow', applied: false },
      },
    });
  });

  it('turns a PENDING verdict into a note, deciding nothing', () => {
    const plan = planProviderVerdict(aCase(), flagright('PENDING'), options);
    expect(plan).toMatchObject({
      kind: 'record',
      entry: { action: 'NOTED', actor: 'provider:flagright', details: { text: 'Flagright says PENDING' } },
    });
  });

  it('closes a case on a rejection, even one that needs four eyes and that a person already decided on', () => {
    const halfway = big({
      reviewStage: 'SECOND',
      firstDecision: { status: 'APPROVED', reason: 'ok', by: 'ana', at: AT },
    });
    const plan = planProviderVerdict(halfway, flagright('REJECTED'), options);
    if (plan.kind !== 'change') throw new Error(`expected a change, got ${plan.why}`);
    expect(plan.change.final).toEqual({
      status: 'REJECTED',
      reason: 'Flagright says REJECTED',
      decidedAt: AT,
      decidedBy: 'provider:flagright',
    });
    expect(plan.change.set.reasons).toEqual([
      RULE_HIT,
      { rule: 'PROVIDER_VERDICT', description: 'Rejected: Flagright says REJECTED' },
    ]);
    expect(plan.change.history).toMatchObject({ action: 'DECIDED', actor: 'provider:flagright' });
  });

  it('closes a case on an approval just below the threshold, before any person decided', () => {
    const plan = planProviderVerdict(aCase({ baseAmount: THRESHOLD - 0.01 }), flagright('APPROVED'), options);
    expect(plan.kind === 'change' && plan.change.final).toMatchObject({ status: 'APPROVED' });
  });

  it('only records an approval at the threshold: a provider is not one of the four eyes', () => {
    const plan = planProviderVerdict(big(), flagright('APPROVED'), options);
    expect(plan).toMatchObject({
      kind: 'record',
      why: expect.stringContaining('four-eyes'),
      entry: { action: 'PROVIDER_VERDICT', details: { applied: false, status: 'APPROVED' } },
    });
  });

  it('only records an approval once a person is deciding the case', () => {
    const deciding = aCase({
      reviewStage: 'SECOND',
      firstDecision: { status: 'REJECTED', reason: 'no', by: 'ana', at: AT },
    });
    expect(planProviderVerdict(deciding, flagright('APPROVED'), options)).toMatchObject({
      kind: 'record',
      why: 'a person is already deciding this case',
    });
  });

  it('refuses a decided case', () => {
    expect(() =>
      planProviderVerdict(aCase({ status: 'APPROVED', reviewStage: 'FINAL' }), flagright('REJECTED'), options),
    ).toThrow(CaseConflictError);
  });
});

describe('finalChange (the SLA sweeper and every final decision)', () => {
  const expire = (record: CaseRecord) =>
    finalChange(
      record,
      { status: 'REJECTED', reason: 'SLA_EXPIRED' },
      {
        actor: 'system:sla',
        action: 'EXPIRED',
        rule: 'SLA_EXPIRED',
        now: NOW,
      },
    );

  it('closes a held case as the sweeper, like a human decision', () => {
    const record = aCase({ claimedBy: 'ana', claimedAt: AT });
    const change = expire(record);
    expect(change.final).toEqual({ status: 'REJECTED', reason: 'SLA_EXPIRED', decidedAt: AT, decidedBy: 'system:sla' });
    expect(change.set).toMatchObject({
      status: 'REJECTED',
      reviewStage: 'FINAL',
      decidedBy: 'system:sla',
      finalReason: 'SLA_EXPIRED',
      claimedBy: null,
      claimedAt: null,
      reasons: [RULE_HIT, { rule: 'SLA_EXPIRED', description: 'Rejected: SLA_EXPIRED' }],
    });
    expect(change.history).toMatchObject({
      action: 'EXPIRED',
      actor: 'system:sla',
      before: { claimedBy: 'ana' },
      after: { status: 'REJECTED', reviewStage: 'FINAL', claimedBy: null },
    });
    expect(change.history.details).not.toHaveProperty('firstDecision');
    // The stored reasons are a new list: the record read is left as it was.
    expect(record.reasons).toEqual([RULE_HIT]);
  });

  it('keeps the first decision of a half-decided case in the history', () => {
    const firstDecision = { status: 'APPROVED' as const, reason: 'ok', by: 'ana', at: AT };
    expect(expire(big({ reviewStage: 'SECOND', firstDecision })).history.details).toMatchObject({ firstDecision });
  });

  it('refuses a case that is already final', () => {
    expect(() => expire(aCase({ status: 'APPROVED', reviewStage: 'FINAL' }))).toThrow(CaseConflictError);
    expect(() => expire(aCase({ status: 'REJECTED' }))).toThrow(CaseConflictError);
  });
});

describe('slaView', () => {
  const HOUR = 3_600_000;
  const created = { createdAt: '2026-11-20T00:00:00.000Z' };
  const at = (ms: number) => new Date(Date.parse(created.createdAt) + ms);
  const view = (elapsedMs: number) => slaView(created, at(elapsedMs), 24 * HOUR, 4 * HOUR);

  it('puts the deadline one SLA after the case was created', () => {
    expect(view(HOUR)).toEqual({
      deadline: '2026-11-21T00:00:00.000Z',
      remainingMs: 23 * HOUR,
      atRisk: false,
      expired: false,
    });
  });

  it('is at risk from the start of the warning period, not a millisecond before', () => {
    expect(view(20 * HOUR - 1)).toMatchObject({ remainingMs: 4 * HOUR + 1, atRisk: false });
    expect(view(20 * HOUR)).toMatchObject({ remainingMs: 4 * HOUR, atRisk: true, expired: false });
    expect(view(24 * HOUR - 1)).toMatchObject({ atRisk: true, expired: false });
  });

  it('is expired, and no longer at risk, from the deadline on', () => {
    expect(view(24 * HOUR)).toMatchObject({ remainingMs: 0, atRisk: false, expired: true });
    expect(view(30 * HOUR)).toMatchObject({ remainingMs: -6 * HOUR, atRisk: false, expired: true });
  });
});
