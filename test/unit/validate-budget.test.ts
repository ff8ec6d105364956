import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { SERVICE_DEGRADED } from '../../functions/domain/decisions/decision.js';
import { TransactionSchema } from '../../functions/domain/decisions/transaction.js';
import {
  DeadlineError,
  type DecisionStore,
  lineReach,
  type ValidateDeps,
  type ValidateOutcome,
  type VelocityInputs,
  validatePayment,
} from '../../functions/domain/decisions/validate-payment.js';
import { compileRuleSet } from '../../functions/domain/rules/engine.js';
import { newDelivery } from '../../functions/domain/webhooks/delivery.js';
import { seedExample } from '../fixtures/transactions.js';

const BUDGET_MS = 300;
/** Timers on a shared test machine fire late; the answer must still come well before a second budget. */
const SLACK_MS = 200;

const engine = compileRuleSet(parse(readFileSync('rules/default.yaml', 'utf8')));
const payment = TransactionSchema.parse({ ...seedExample(), id: 'tx-budget-1' });
const rawJson = JSON.stringify(payment);

/** A storage call that never answers, and records the signal it was given (as the SDK would get it). */
const neverAnswers =
  <T>(signals: AbortSignal[]) =>
  (signal: AbortSignal) => {
    signals.push(signal);
    return new Promise<T>(() => {});
  };

const unused = () => Promise.reject(new Error('not reached in this test'));

/** A store whose one-round-trip read is its two reads together, as the repository's BatchGet is. */
const reading = (store: Omit<DecisionStore, 'loadInputs'>): DecisionStore => ({
  ...store,
  loadInputs: (transactionId, keys, signal) =>
    Promise.all([store.findAnswer(transactionId, signal), store.loadVelocity(keys, signal)]),
});

/** Storage that reads fine (no earlier decision, empty counters) and hangs on the write. */
const hangsOnWrite = (signals: AbortSignal[]): DecisionStore =>
  reading({
    findAnswer: async () => undefined,
    loadVelocity: async (): Promise<VelocityInputs> => ({ beneficiarySeen: false }),
    saveDecision: (_input, signal) => neverAnswers<never>(signals)(signal),
    takeTicket: unused,
    skipTurn: unused,
    leaveLine: unused,
  });

const depsWith = (store: DecisionStore, changes: Partial<ValidateDeps> = {}): ValidateDeps => ({
  store,
  engine,
  budgetMs: BUDGET_MS,
  failMode: 'REJECTED',
  newAttemptId: () => 'attempt-1',
  ...changes,
});

/** Runs validate and measures it; fails (instead of hanging the run) if no answer comes at all. */
const timedValidate = async (deps: ValidateDeps) => {
  const started = performance.now();
  let guard: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    validatePayment(payment, rawJson, deps),
    new Promise<never>((_, reject) => {
      guard = setTimeout(() => reject(new Error('validate never answered')), 10 * BUDGET_MS);
    }),
  ]).finally(() => clearTimeout(guard));
  return { outcome, elapsedMs: performance.now() - started };
};

const expectDegraded = (outcome: ValidateOutcome) =>
  expect(outcome).toMatchObject({
    source: 'degraded',
    answer: { status: 'REJECTED', transactionId: 'tx-budget-1', reasons: [SERVICE_DEGRADED] },
  });

describe('validatePayment within its latency budget', () => {
  it('answers REJECTED (SERVICE_DEGRADED) within the budget when storage never answers a read', async () => {
    const signals: AbortSignal[] = [];
    const reads = neverAnswers<never>(signals);
    const store: DecisionStore = reading({
      findAnswer: (_id, signal) => reads(signal),
      loadVelocity: (_keys, signal) => reads(signal),
      saveDecision: unused,
      takeTicket: unused,
      skipTurn: unused,
      leaveLine: unused,
    });
    const { outcome, elapsedMs } = await timedValidate(depsWith(store));
    expectDegraded(outcome);
    expect(elapsedMs).toBeGreaterThanOrEqual(BUDGET_MS - 5);
    expect(elapsedMs).toBeLessThan(BUDGET_MS + SLACK_MS);
    expect(outcome.error).toBeInstanceOf(DeadlineError);
    // Nothing was sent to storage, so nothing can land late; the reconciliation still stores the rejection.
    expect(outcome.reconcile).toEqual({
      transactionId: 'tx-budget-1',
      attemptId: 'attempt-1',
      writeAttempted: false,
      deliveryIds: [],
      answeredAt: expect.any(String),
      // The payment's customer and amount, for the rejection stored in its place.
      customer: expect.any(String),
      baseAmount: expect.any(Number),
      currency: expect.anything(),
    });
    expect(outcome.decision).toBeUndefined();
    // Storage waited out the budget, less what went before the read (parsing; more on a busy machine).
    expect(outcome.timings.storageMs).toBeGreaterThanOrEqual(BUDGET_MS - 30);
    // The same deadline aborts the calls themselves, so the SDK can stop waiting too.
    expect(signals).toHaveLength(2);
    for (const signal of signals) expect(signal.aborted).toBe(true);
  });

  it('answers within the budget when the write never answers, and owes a reconciliation of that write', async () => {
    const signals: AbortSignal[] = [];
    const report = newDelivery({
      target: 'onepipe',
      type: 'transaction_notification',
      subject: 'tx-budget-1',
      payload: {},
      now: new Date(),
    });
    const { outcome, elapsedMs } = await timedValidate(depsWith(hangsOnWrite(signals), { onApproved: () => [report] }));
    expectDegraded(outcome);
    expect(elapsedMs).toBeLessThan(BUDGET_MS + SLACK_MS);
    expect(outcome.error).toBeInstanceOf(DeadlineError);
    // The rules approved it, but an approval is never answered unstored.
    expect(outcome.decision?.status).toBe('APPROVED');
    expect(outcome.reconcile).toMatchObject({
      attemptId: 'attempt-1',
      writeAttempted: true,
      deliveryIds: [report.deliveryId],
    });
    expect(signals.map((signal) => signal.aborted)).toEqual([true]);
  });

  it('answers at once, asking storage nothing, when the budget is spent before the first call', async () => {
    const calls: string[] = [];
    const store: DecisionStore = reading({
      findAnswer: async () => {
        calls.push('findAnswer');
        return undefined;
      },
      loadVelocity: async () => {
        calls.push('loadVelocity');
        return { beneficiarySeen: false };
      },
      saveDecision: unused,
      takeTicket: unused,
      skipTurn: unused,
      leaveLine: unused,
    });
    // The clock jumps past the budget between the start and the first storage call.
    const times = [0];
    const clock = () => times.shift() ?? 10 * BUDGET_MS;
    const { outcome, elapsedMs } = await timedValidate(depsWith(store, { clock }));
    expectDegraded(outcome);
    expect(outcome.error).toEqual(new DeadlineError('latency budget spent'));
    expect(outcome.reconcile?.writeAttempted).toBe(false);
    expect(calls).toEqual([]);
    expect(elapsedMs).toBeLessThan(BUDGET_MS);
  });

  it('answers the fail mode at once when storage fails outright, keeping the error', async () => {
    const failure = new Error('connect ECONNREFUSED 127.0.0.1:8000');
    const store: DecisionStore = reading({
      findAnswer: () => Promise.reject(failure),
      loadVelocity: async () => ({ beneficiarySeen: false }),
      saveDecision: unused,
      takeTicket: unused,
      skipTurn: unused,
      leaveLine: unused,
    });
    const { outcome, elapsedMs } = await timedValidate(depsWith(store));
    expectDegraded(outcome);
    expect(outcome.error).toBe(failure);
    expect(outcome.reconcile?.writeAttempted).toBe(false);
    expect(elapsedMs).toBeLessThan(BUDGET_MS);
  });

  it('decides and stores normally when storage answers in time', async () => {
    const store: DecisionStore = reading({
      ...hangsOnWrite([]),
      saveDecision: async () => ({ kind: 'stored' }),
    });
    const { outcome } = await timedValidate(depsWith(store));
    expect(outcome).toMatchObject({ source: 'decided', answer: { status: 'APPROVED', reasons: [] } });
    expect(outcome.reconcile).toBeUndefined();
  });
});

describe('lineReach', () => {
  it('is the last ticket served when nobody left', () => {
    expect(lineReach({ served: 3, gone: [] })).toBe(3);
    expect(lineReach({ served: 0, gone: [] })).toBe(0);
  });

  it('passes over the tickets right after it whose holders left, in any order', () => {
    expect(lineReach({ served: 3, gone: [5, 4] })).toBe(5);
    expect(lineReach({ served: 0, gone: [1] })).toBe(1);
  });

  it('stops at the first ticket still held, whatever left after it', () => {
    expect(lineReach({ served: 3, gone: [5, 6] })).toBe(3);
    expect(lineReach({ served: 3, gone: [4, 6, 7] })).toBe(4);
  });

  it('ignores tickets that left before the line reached them', () => {
    expect(lineReach({ served: 3, gone: [1, 2, 3] })).toBe(3);
  });
});
