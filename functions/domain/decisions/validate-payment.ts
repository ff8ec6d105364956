import { randomUUID } from 'node:crypto';
import { type HistoryEntry, historyEntry } from '../cases/transitions.js';
import { combine, type ProviderMode, type ProviderOutcome, type ProviderStatus } from '../providers/verdicts.js';
import type { ShadowEngine } from '../rules/active-rules.js';
import type { DecisionStatus, RulesEngine } from '../rules/engine.js';
import { type Delivery, heldUntil } from '../webhooks/delivery.js';
import { buildFacts, type Decision, decidePayment, degradedAnswer, toAnswer, type ValidateAnswer } from './decision.js';
import { normaliseTransaction, type Transaction } from './transaction.js';
import {
  type CounterChange,
  type CounterItem,
  counterChange,
  counterVersion,
  countsTowardsVelocity,
  velocityFacts,
} from './velocity.js';

/** A counter item a decision read: its version, and what the decision adds to it (if it counts). */
export interface CounterWrite {
  expectedVersion: number;
  change?: CounterChange;
}

/** The counter items a decision reads. */
export interface VelocityInputs {
  customerItem?: CounterItem | undefined;
  beneficiaryItem?: CounterItem | undefined;
  beneficiarySeen: boolean;
  /** With a line asked for: where that line stands. */
  line?: LineState;
}

/** Where a line stands: the last ticket served, and the tickets whose holders left without a turn. */
export interface LineState {
  served: number;
  gone: number[];
}

/** The last ticket a line has dealt with: served, or left by its holder (passed over at once). */
export const lineReach = (state: LineState): number => {
  const gone = new Set(state.gone);
  let reach = state.served;
  while (gone.has(reach + 1)) reach++;
  return reach;
};

/** A ticket held in a line, with the line as last read. */
export interface Turn {
  line: Line;
  ticket: number;
  state: LineState;
}

/** Which counter item a line of contending payments queues for. */
export type Line = 'customer' | 'beneficiary';
type CounterKeys = { customer: string; beneficiary: string | null };

/**
 * What storing a decision came to. A conflict may carry the counters as they are now (those that
 * failed their version check), so the payment can be decided again without reading them.
 */
export type SaveResult =
  | { kind: 'stored' }
  | { kind: 'duplicate' }
  | { kind: 'conflict'; line?: Line; refreshed?: Partial<VelocityInputs>; turnLost?: boolean };

/** What the validate use case needs from storage (implemented by the decision repository). */
export interface DecisionStore {
  /** The stored answer for a transaction, if it was decided before (its current, possibly final, status). */
  findAnswer(transactionId: string, signal: AbortSignal): Promise<ValidateAnswer | undefined>;
  /**
   * What deciding a new payment reads, in one round trip: its stored answer (if it was decided
   * before) and the counters it is decided on.
   */
  loadInputs(
    transactionId: string,
    keys: CounterKeys,
    signal: AbortSignal,
  ): Promise<[ValidateAnswer | undefined, VelocityInputs]>;
  /** The counters a decision reads; with `line`, also how far that line has been served. */
  loadVelocity(keys: CounterKeys, signal: AbortSignal, line?: Line): Promise<VelocityInputs>;
  /** Takes the next ticket in a line; answers it and the last ticket served. */
  takeTicket(keys: CounterKeys, line: Line, signal: AbortSignal): Promise<{ ticket: number; line: LineState }>;
  /** Passes over the next ticket, whose holder went quiet (only if the line is still as read). */
  skipTurn(keys: CounterKeys, line: Line, state: LineState, signal: AbortSignal): Promise<boolean>;
  /** Leaves a line without taking the turn (the payment was answered otherwise): nobody waits for it. */
  leaveLine(keys: CounterKeys, line: Line, ticket: number, signal: AbortSignal): Promise<void>;
  /**
   * Stores the decision and applies the counter changes in one transaction, only while every
   * counter it was decided on is still at the version read. Returns 'duplicate' when another call
   * stored a decision for the same transaction first, and 'conflict' when a counter moved (or is
   * moving) under it; nothing was changed in either case.
   */
  saveDecision(
    input: {
      decision: Decision;
      /** Identifies this validate call's write (see reconciliation of degraded answers). */
      attemptId: string;
      rawJson: string;
      timings: Timings;
      velocity: {
        customer: CounterWrite;
        beneficiary?: CounterWrite;
        /** The decision read "first time to this beneficiary": it holds only while no marker exists. */
        firstTimeBeneficiary: boolean;
        markBeneficiarySeen: boolean;
      };
      /** Webhooks the decision causes (the outbox), written in the same transaction. */
      deliveries: Delivery[];
      /** Notes for the decision's history (why a report owed on approval was not sent). */
      notes?: HistoryEntry[];
      /** The turn this payment holds in a line (and the line as read): stored only while it is still its turn. */
      turn?: Turn;
    },
    signal: AbortSignal,
  ): Promise<SaveResult>;
}

export interface Timings {
  rulesMs: number;
  storageMs: number;
  totalMs: number;
  /** The shadowed version's evaluation (in memory, on the same facts), when one is shadowed. */
  shadowMs?: number;
}

export interface ValidateOutcome {
  answer: ValidateAnswer;
  timings: Timings;
  /** How the answer came about, for logs and metrics. */
  source: 'decided' | 'replayed' | 'degraded';
  decision?: Decision;
  /** Webhooks stored with the decision; the caller publishes them. */
  deliveries?: Delivery[];
  /** How many times the decision was made again because counters moved under it. */
  conflicts?: number;
  /**
   * A degraded answer owes a reconciliation: whatever storage holds (or will hold) for this call
   * must end as what Toqio was told. `attemptId` names this call's write, `deliveryIds` its outbox.
   */
  reconcile?: DegradedReconciliation;
  error?: unknown;
}

/** What the reconciliation of one degraded answer needs (sent through a queue, storage may be down). */
export interface DegradedReconciliation {
  transactionId: string;
  attemptId: string;
  /** Whether this call sent its decision to storage (it may have committed after the answer). */
  writeAttempted: boolean;
  deliveryIds: string[];
  answeredAt: string;
  /** The payment, as far as the rejection stored for it needs (known even when storage failed first). */
  customer: string;
  baseAmount: number;
  currency: string | null;
  /** A ticket the call still held in a line of contending payments. */
  line?: { line: Line; ticket: number; beneficiary: string | null };
}

export interface ValidateDeps {
  store: DecisionStore;
  engine: RulesEngine;
  /** A version evaluated beside `engine` on the same facts; its outcome is stored on the decision only. */
  shadow?: ShadowEngine | undefined;
  /** Storage must answer within this; a degraded answer (and its reconciliation) follows otherwise. */
  budgetMs: number;
  newAttemptId?: () => string;
  failMode: DecisionStatus;
  clock?: () => number;
  /** The webhooks an approval at validate time owes (the OnePipe debit report, when configured). */
  onApproved?: (decision: Decision) => Delivery[];
  /** What the case must say about an approval's partner reports when one is not sent. */
  approvalNote?: (decision: Decision) => string | undefined;
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

/**
 * Races a storage call against the remaining budget (AbortSignal.timeout); the signal lets the SDK
 * abort the request too, and the race answers on time even if a call ignores it.
 */
const withinBudget = async <T>(deadline: number, clock: () => number, run: (signal: AbortSignal) => Promise<T>) => {
  const remaining = deadline - clock();
  if (remaining <= 0) throw new DeadlineError('latency budget spent');
  // Whole milliseconds: AbortSignal.timeout refuses fractions, and rounding down never overruns the budget.
  const signal = AbortSignal.timeout(Math.floor(remaining));
  const spent = new Promise<never>((_, reject) => {
    const expire = () => reject(new DeadlineError(`storage did not answer within ${Math.round(remaining)} ms`));
    signal.addEventListener('abort', expire, { once: true });
  });
  return Promise.race([run(signal), spent]);
};

/**
 * How long after the validate budget the webhooks a decision owes (the OnePipe debit report) wait
 * before their first attempt.
 * The outbox stream publishes them as soon as the decision commits, and a decision whose write
 * landed after its budget (Toqio was answered the fail mode) must be reconciled, and its webhooks
 * cancelled, before any goes: reconcileDegraded runs within a second or two of the answer. A
 * reconciliation later than this is counted (degraded_delivered_before_reconciliation, alarmed).
 */
export const DELIVERY_HOLD_MS = 10_000;

/** Conflicts on the counters are retried until the budget runs out, or this many times. */
const MAX_DECISION_ROUNDS = 60;
/** A first guess of how long one turn in a line takes (then learnt from the line's progress). */
const LINE_INITIAL_PACE_MS = 20;
/** The longest a payment in a line waits before looking again. */
const LINE_MAX_POLL_MS = 200;
/** A turn that has not moved for this long is passed over (its holder crashed or gave up). */
const LINE_STALL_MS = 250;

/**
 * Decides one payment for Toqio: replays a stored decision, else evaluates the rules on the
 * payment and its velocity and stores decision and counters together. Idempotency is the decision
 * record itself (a conditional put in the same transaction as the counters), not Powertools
 * idempotency: a separate idempotency record could not be written atomically with the counters,
 * and the stored answer must change when an analyst decides (a cached response would not).
 *
 * The write holds only if the counters it was decided on are unchanged; when another payment of
 * the same customer or beneficiary was stored in between, the counters are read again and the
 * payment decided again, so a burst fired in parallel is decided as if one after another. A
 * provider is asked once, only for a payment that has no stored decision (a replay never reaches
 * it), in parallel with the counter reads. If storage fails or overruns the budget, answers the
 * fail mode (never an unstored approval) and asks for a reconciliation of whatever it wrote.
 */
export const validatePayment = async (
  transaction: Transaction,
  rawJson: string,
  deps: ValidateDeps,
): Promise<ValidateOutcome> => {
  const clock = deps.clock ?? performance.now.bind(performance);
  const started = clock();
  const deadline = started + deps.budgetMs;
  const attemptId = deps.newAttemptId?.() ?? randomUUID();
  let storageMs = 0;
  let rulesMs = 0;
  let shadowMs: number | undefined;
  const timed = async <T>(run: (signal: AbortSignal) => Promise<T>) => {
    const before = clock();
    try {
      return await withinBudget(deadline, clock, run);
    } finally {
      storageMs += clock() - before;
    }
  };
  const timings = (): Timings => ({
    rulesMs,
    storageMs,
    totalMs: clock() - started,
    ...(shadowMs === undefined ? {} : { shadowMs }),
  });

  const normalised = normaliseTransaction(transaction);
  const provider = deps.provider;
  let screening: Promise<ProviderOutcome> | undefined;
  let decision: Decision | undefined;
  let writeAttempted = false;
  let deliveries: Delivery[] = [];
  let conflicts = 0;
  let turn: Turn | undefined;
  try {
    const keys: CounterKeys = { customer: normalised.customer, beneficiary: normalised.beneficiaryKey };
    const read = () =>
      timed(async (signal) => {
        const inputs = await deps.store.loadInputs(normalised.id, keys, signal);
        // Only a payment with no stored decision reaches the provider, and only once.
        if (!inputs[0] && provider && !screening) {
          screening = provider.screen({ transaction: normalised, payload: transaction });
        }
        return inputs;
      });
    /**
     * Waits until every earlier ticket in the line was served, reading the counters and the line
     * together; polls less often the further back it stands. A ticket whose holder went quiet
     * (crashed, or answered degraded) is passed over after LINE_STALL_MS, so a line never stalls.
     */
    const waitForTurn = async (
      line: Line,
      ticket: number,
      atTicket: LineState,
    ): Promise<[ValidateAnswer | undefined, VelocityInputs, Turn]> => {
      let state = atTicket;
      let progressAt = clock();
      // How long the line takes per ticket, learnt from its progress: the further back a payment
      // stands, the less often it looks (a crowd polling a serialised store would slow it down).
      let pace = LINE_INITIAL_PACE_MS;
      let latest: VelocityInputs | undefined;
      for (;;) {
        const reach = lineReach(state);
        if (reach >= ticket - 1) {
          // The read that showed our turn carries the counters as they are: decide on them at once
          // (a duplicate of this payment is caught by the decision's own condition).
          if (latest) return [undefined, latest, { line, ticket, state }];
          const [stored, inputs] = await timed((signal) => deps.store.loadInputs(normalised.id, keys, signal));
          return [stored, inputs, { line, ticket, state }];
        }
        const ahead = ticket - 1 - reach;
        const wait = Math.min(Math.max((ahead - 0.5) * pace, 3), LINE_MAX_POLL_MS);
        await new Promise((resolve) => setTimeout(resolve, wait * (0.75 + Math.random() / 2)));
        latest = await timed((signal) => deps.store.loadVelocity(keys, signal, line));
        const next = latest.line ?? { served: 0, gone: [] };
        const moved = lineReach(next) - reach;
        state = next;
        if (moved > 0) {
          pace = (pace + (clock() - progressAt) / moved) / 2;
          progressAt = clock();
        } else if (clock() - progressAt > LINE_STALL_MS) {
          await timed((signal) => deps.store.skipTurn(keys, line, state, signal));
          progressAt = clock();
        }
      }
    };
    /** Nobody waits for a ticket whose payment was answered another way (a replay, a duplicate). */
    const leaveLine = async () => {
      if (!turn) return;
      const left = turn;
      turn = undefined;
      await timed((signal) => deps.store.leaveLine(keys, left.line, left.ticket, signal));
    };
    let [stored, velocityInputs] = await read();
    for (let round = 0; ; round++) {
      if (stored) {
        await leaveLine();
        return { answer: stored, timings: timings(), source: 'replayed', conflicts };
      }
      if (round >= MAX_DECISION_ROUNDS) throw new DeadlineError(`counters kept moving for ${round} rounds`);

      const rulesStarted = clock();
      const counted = countsTowardsVelocity(normalised);
      const firstTime = normalised.beneficiaryKey !== null && !velocityInputs.beneficiarySeen;
      const nowSeconds = Math.floor(Date.now() / 1000);
      const velocity = velocityFacts({
        ...velocityInputs,
        hasBeneficiary: normalised.beneficiaryKey !== null,
        firstTimeBeneficiary: firstTime,
        baseAmountMillis: normalised.baseAmountMillis,
        nowSeconds,
        counted,
      });
      decision = decidePayment({
        transaction: normalised,
        facts: buildFacts(normalised, velocity, firstTime),
        engine: deps.engine,
        now: new Date(),
      });
      rulesMs += clock() - rulesStarted;
      if (deps.shadow) {
        const shadowStarted = clock();
        const evaluation = deps.shadow.engine.evaluate(decision.facts);
        decision = {
          ...decision,
          shadow: {
            version: deps.shadow.version,
            outcome: evaluation.status,
            hits: evaluation.hits.map((hit) => hit.rule),
          },
        };
        shadowMs = (shadowMs ?? 0) + clock() - shadowStarted;
      }
      if (provider && screening) decision = withProvider(decision, await screening, provider);

      // Velocity measures money that may move: a rejected payment (or a refund) changes no counter.
      const counts = counted && decision.status !== 'REJECTED';
      // Held a while: a write that lands after a degraded answer is reconciled (cancelled) before they go.
      // From the end of the budget: a write can land after it, and its reconciliation starts then.
      const holdUntil = new Date(Date.parse(decision.decidedAt) + deps.budgetMs + DELIVERY_HOLD_MS);
      deliveries =
        decision.status === 'APPROVED'
          ? (deps.onApproved?.(decision) ?? []).map((delivery) => heldUntil(delivery, holdUntil))
          : [];
      const note = decision.status === 'APPROVED' ? deps.approvalNote?.(decision) : undefined;
      const notes = note
        ? [
            historyEntry(decision, {
              action: 'NOTED',
              actor: 'system:onepipe',
              now: new Date(decision.decidedAt),
              details: { text: note },
            }),
          ]
        : [];
      const write = (item: CounterItem | undefined, newBeneficiary: boolean): CounterWrite => ({
        expectedVersion: counterVersion(item),
        ...(counts
          ? {
              change: counterChange({
                item,
                baseAmountMillis: normalised.baseAmountMillis,
                newBeneficiary,
                nowSeconds,
              }),
            }
          : {}),
      });
      writeAttempted = true;
      const saved = await timed((signal) =>
        deps.store.saveDecision(
          {
            decision: decision as Decision,
            attemptId,
            rawJson,
            timings: timings(),
            velocity: {
              customer: write(velocityInputs.customerItem, counts && firstTime),
              ...(normalised.beneficiaryKey ? { beneficiary: write(velocityInputs.beneficiaryItem, false) } : {}),
              firstTimeBeneficiary: firstTime,
              markBeneficiarySeen: counts && firstTime,
            },
            deliveries,
            ...(notes.length ? { notes } : {}),
            ...(turn ? { turn } : {}),
          },
          signal,
        ),
      );
      if (saved.kind === 'stored') {
        return { answer: toAnswer(decision), timings: timings(), source: 'decided', decision, deliveries, conflicts };
      }
      if (saved.kind === 'duplicate') {
        await leaveLine();
        const winner = await timed((signal) => deps.store.findAnswer(normalised.id, signal));
        if (winner) return { answer: winner, timings: timings(), source: 'replayed', conflicts };
        throw new Error(`decision for ${normalised.id} reported as duplicate but not found`);
      }
      conflicts++;
      if (turn && !saved.turnLost) {
        // Our turn, but a payment that was not in the line stored first: decide again at once.
        if (saved.refreshed) velocityInputs = { ...velocityInputs, ...saved.refreshed };
        else [stored, velocityInputs] = await read();
        continue;
      }
      // Contention: instead of retrying in a herd (every retry colliding with every other), the
      // payment takes a ticket in the line of the contended counter and waits for its turn.
      const line: Line = turn?.line ?? saved.line ?? 'customer';
      turn = undefined; // a lost turn was passed over: nobody waits for it any more
      const taken = await timed((signal) => deps.store.takeTicket(keys, line, signal));
      turn = { line, ticket: taken.ticket, state: taken.line };
      [stored, velocityInputs, turn] = await waitForTurn(line, taken.ticket, taken.line);
    }
  } catch (error) {
    return {
      answer: degradedAnswer(normalised.id, deps.failMode),
      timings: timings(),
      source: 'degraded',
      ...(decision ? { decision } : {}),
      conflicts,
      reconcile: {
        transactionId: normalised.id,
        attemptId,
        writeAttempted,
        deliveryIds: deliveries.map((delivery) => delivery.deliveryId),
        answeredAt: new Date().toISOString(),
        customer: normalised.customer,
        baseAmount: normalised.baseAmount,
        currency: normalised.currency,
        // A ticket still held: the reconciliation leaves the line for it, so nobody waits on it.
        ...(turn ? { line: { line: turn.line, ticket: turn.ticket, beneficiary: normalised.beneficiaryKey } } : {}),
      },
      error,
    };
  }
};

/** The rules' decision combined with the provider's outcome, as the provider mode says. */
const withProvider = (
  decision: Decision,
  outcome: ProviderOutcome,
  provider: NonNullable<ValidateDeps['provider']>,
): Decision => {
  const combined = combine({
    mode: provider.mode,
    rules: decision.evaluation,
    outcome,
    fallback: provider.fallback,
    timeoutMs: provider.timeoutMs,
  });
  // Reasons explain the answer: in primary mode only the rules that can override the provider (REJECT).
  const rulesReasons =
    provider.mode === 'primary'
      ? decision.evaluation.hits
          .filter((hit) => hit.outcome === 'REJECT')
          .map(({ rule, description }) => ({ rule, description }))
      : decision.reasons;
  return {
    ...decision,
    status: combined.status,
    reasons: [...rulesReasons, ...combined.reasons],
    provider: {
      name: provider.name,
      mode: provider.mode,
      outcome,
      rulesStatus: combined.rulesStatus,
      providerStatus: combined.providerStatus,
      agreed: combined.agreed,
    },
  };
};
