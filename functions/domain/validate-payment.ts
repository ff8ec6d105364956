import { buildFacts, type Decision, decidePayment, degradedAnswer, toAnswer, type ValidateAnswer } from './decision.js';
import type { Delivery } from './delivery.js';
import { combine, type ProviderMode, type ProviderOutcome, type ProviderStatus } from './providers.js';
import type { DecisionStatus, RulesEngine } from './rules.js';
import { normaliseTransaction, type Transaction } from './transaction.js';
import { type CounterChange, type CounterItem, counterChange, velocityFacts } from './velocity.js';

/** What the validate use case needs from storage (implemented by the decision repository). */
export interface DecisionStore {
  /** The stored answer for a transaction, if it was decided before (its current, possibly final, status). */
  findAnswer(transactionId: string, signal: AbortSignal): Promise<ValidateAnswer | undefined>;
  loadVelocity(
    keys: { customer: string; beneficiary: string | null },
    signal: AbortSignal,
  ): Promise<{ customerItem?: CounterItem; beneficiaryItem?: CounterItem; beneficiarySeen: boolean }>;
  /**
   * Stores the decision and applies the counter changes in one transaction. Returns 'duplicate'
   * when another call stored a decision for the same transaction first (nothing was changed).
   */
  saveDecision(
    input: {
      decision: Decision;
      rawJson: string;
      timings: Timings;
      customerChange?: CounterChange;
      beneficiaryChange?: CounterChange;
      markBeneficiarySeen: boolean;
      /** Webhooks the decision causes (the outbox), written in the same transaction. */
      deliveries: Delivery[];
    },
    signal: AbortSignal,
  ): Promise<'stored' | 'duplicate'>;
}

export interface Timings {
  rulesMs: number;
  storageMs: number;
  totalMs: number;
}

export interface ValidateOutcome {
  answer: ValidateAnswer;
  timings: Timings;
  /** How the answer came about, for logs and metrics. */
  source: 'decided' | 'replayed' | 'degraded';
  decision?: Decision;
  /** Webhooks stored with the decision; the caller publishes them. */
  deliveries?: Delivery[];
  error?: unknown;
}

export interface ValidateDeps {
  store: DecisionStore;
  engine: RulesEngine;
  budgetMs: number;
  failMode: DecisionStatus;
  clock?: () => number;
  /** The webhooks an approval at validate time owes (the OnePipe debit report, when configured). */
  onApproved?: (decision: Decision) => Delivery[];
  /** An external monitoring provider, already guarded by its time budget and circuit breaker. */
  provider?: {
    name: string;
    mode: ProviderMode;
    fallback: ProviderStatus;
    timeoutMs: number;
    screen: (input: {
      transaction: ReturnType<typeof normaliseTransaction>;
      payload: Transaction;
    }) => Promise<ProviderOutcome>;
  };
}

export class DeadlineError extends Error {
  override name = 'DeadlineError';
}

/** Races a storage call against the remaining budget; the signal lets the SDK abort the request too. */
const withinBudget = async <T>(deadline: number, clock: () => number, run: (signal: AbortSignal) => Promise<T>) => {
  const remaining = deadline - clock();
  if (remaining <= 0) throw new DeadlineError('latency budget spent');
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new DeadlineError(`storage did not answer within ${Math.round(remaining)} ms`));
    }, remaining);
  });
  try {
    return await Promise.race([run(controller.signal), timeout]);
  } finally {
    clearTimeout(timer);
  }
};

/**
 * Decides one payment for Toqio: replays a stored decision, else evaluates the rules on the
 * payment and its velocity and stores decision and counters together. Idempotency is the decision
 * record itself (a conditional put in the same transaction as the counters), not Powertools
 * idempotency: a separate idempotency record could not be written atomically with the counters,
 * and the stored answer must change when an analyst decides (a cached response would not). If storage fails or
 * overruns the budget, answers the fail mode (never an unstored approval).
 */
export const validatePayment = async (
  transaction: Transaction,
  rawJson: string,
  deps: ValidateDeps,
): Promise<ValidateOutcome> => {
  const clock = deps.clock ?? performance.now.bind(performance);
  const started = clock();
  const deadline = started + deps.budgetMs;
  let storageMs = 0;
  let rulesMs = 0;
  const timed = async <T>(run: (signal: AbortSignal) => Promise<T>) => {
    const before = clock();
    try {
      return await withinBudget(deadline, clock, run);
    } finally {
      storageMs += clock() - before;
    }
  };
  const timings = (): Timings => ({ rulesMs, storageMs, totalMs: clock() - started });

  const normalised = normaliseTransaction(transaction);
  // The provider is asked at once, in parallel with the storage reads: its budget runs alongside them.
  const screening = deps.provider?.screen({ transaction: normalised, payload: transaction });
  let decision: Decision | undefined;
  try {
    const keys = { customer: normalised.customer, beneficiary: normalised.beneficiaryKey };
    const [stored, velocityInputs] = await timed((signal) =>
      Promise.all([deps.store.findAnswer(normalised.id, signal), deps.store.loadVelocity(keys, signal)]),
    );
    if (stored) return { answer: stored, timings: timings(), source: 'replayed' };

    const rulesStarted = clock();
    const firstTime = normalised.beneficiaryKey !== null && !velocityInputs.beneficiarySeen;
    const velocity = velocityFacts({
      ...velocityInputs,
      hasBeneficiary: normalised.beneficiaryKey !== null,
      firstTimeBeneficiary: firstTime,
      baseAmountMillis: normalised.baseAmountMillis,
      nowSeconds: Math.floor(Date.now() / 1000),
    });
    decision = decidePayment({
      transaction: normalised,
      facts: buildFacts(normalised, velocity, firstTime),
      engine: deps.engine,
      now: new Date(),
    });
    rulesMs = clock() - rulesStarted;
    if (deps.provider && screening) {
      const outcome = await screening;
      const combined = combine({
        mode: deps.provider.mode,
        rules: decision.evaluation,
        outcome,
        fallback: deps.provider.fallback,
        timeoutMs: deps.provider.timeoutMs,
      });
      // Reasons explain the answer: in primary mode only the rules that can override the provider (REJECT).
      const rulesReasons =
        deps.provider.mode === 'primary'
          ? decision.evaluation.hits
              .filter((hit) => hit.outcome === 'REJECT')
              .map(({ rule, description }) => ({ rule, description }))
          : decision.reasons;
      decision = {
        ...decision,
        status: combined.status,
        reasons: [...rulesReasons, ...combined.reasons],
        provider: {
          name: deps.provider.name,
          mode: deps.provider.mode,
          outcome,
          rulesStatus: combined.rulesStatus,
          providerStatus: combined.providerStatus,
          agreed: combined.agreed,
        },
      };
    }

    // Velocity measures money that may move: a rejected payment changes no counter.
    const counts = decision.status !== 'REJECTED';
    const nowSeconds = Math.floor(Date.now() / 1000);
    const deliveries = decision.status === 'APPROVED' ? (deps.onApproved?.(decision) ?? []) : [];
    const change = (item: CounterItem | undefined, newBeneficiary: boolean) =>
      counterChange({ item, baseAmountMillis: normalised.baseAmountMillis, newBeneficiary, nowSeconds });
    const saved = await timed((signal) =>
      deps.store.saveDecision(
        {
          decision: decision as Decision,
          rawJson,
          timings: timings(),
          ...(counts ? { customerChange: change(velocityInputs.customerItem, firstTime) } : {}),
          ...(counts && normalised.beneficiaryKey
            ? { beneficiaryChange: change(velocityInputs.beneficiaryItem, false) }
            : {}),
          markBeneficiarySeen: counts && firstTime,
          deliveries,
        },
        signal,
      ),
    );
    if (saved === 'duplicate') {
      const winner = await timed((signal) => deps.store.findAnswer(normalised.id, signal));
      if (winner) return { answer: winner, timings: timings(), source: 'replayed' };
      throw new Error(`decision for ${normalised.id} reported as duplicate but not found`);
    }
    return { answer: toAnswer(decision), timings: timings(), source: 'decided', decision, deliveries };
  } catch (error) {
    return {
      answer: degradedAnswer(normalised.id, deps.failMode),
      timings: timings(),
      source: 'degraded',
      ...(decision ? { decision } : {}),
      error,
    };
  }
};
