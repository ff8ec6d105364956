import { z } from 'zod';
import { type CaseChange, type CaseRecord, historyEntry, snapshot } from '../cases/transitions.js';
import { SERVICE_DEGRADED } from './decision.js';

/**
 * A degraded answer (REJECTED, SERVICE_DEGRADED) was given to Toqio while storage was slow or
 * down. Whatever storage holds for that call must end as what Toqio was told: a write that
 * committed after the answer is turned into the same rejection (its outbox cancelled, its case
 * closed), and when nothing was stored a rejection is stored, so the write can no longer land and
 * a retry answers the same. Sent through a queue, because storage may still be down.
 */
export const DegradedAnswerMessageSchema = z.strictObject({
  transactionId: z.string().min(1),
  attemptId: z.string().min(1),
  writeAttempted: z.boolean(),
  deliveryIds: z.array(z.string()),
  answeredAt: z.iso.datetime(),
  customer: z.string().optional(),
  baseAmount: z.number().optional(),
  currency: z.string().nullable().optional(),
});
export type DegradedAnswerMessage = z.infer<typeof DegradedAnswerMessageSchema>;

/** What a stored decision says about who wrote it. */
export type StoredDecision = CaseRecord & { attemptId?: string; degradedReconciledAt?: string };

export interface DegradedReconciliationStore {
  getDecision(transactionId: string): Promise<StoredDecision | undefined>;
  /** Stores the rejection Toqio was told; false when a decision exists already. */
  putRejection(message: DegradedAnswerMessage, now: Date): Promise<boolean>;
  /** Applies a change if the decision is still at the version read (throws a conflict otherwise). */
  applyChange(record: CaseRecord, change: CaseChange): Promise<void>;
  /**
   * Cancels every delivery about the transaction that has not been sent. Returns what was
   * cancelled, what was already delivered (too late), and what a worker is sending right now.
   */
  cancelUnsent(
    subject: string,
    knownIds: readonly string[],
    now: Date,
  ): Promise<{ cancelled: string[]; delivered: string[]; inFlight: string[] }>;
}

/** A delivery is being sent at this moment: try the reconciliation again shortly. */
export class ReconciliationBusyError extends Error {
  override name = 'ReconciliationBusyError';
}

export type ReconciliationResult =
  | { kind: 'stored-rejection' }
  | { kind: 'reconciled'; previousStatus: string; cancelled: string[]; deliveredBeforeReconciliation: string[] }
  | { kind: 'already-reconciled'; cancelled: string[] }
  | { kind: 'not-ours' };

/** The change that turns a late-committed decision into the rejection Toqio was told. */
export const degradedRejection = (record: CaseRecord, now: Date, details: Record<string, unknown>): CaseChange => {
  const at = now.toISOString();
  const set = {
    status: 'REJECTED',
    reviewStage: 'FINAL',
    reasons: [SERVICE_DEGRADED],
    decidedAt: at,
    decidedBy: 'system:degraded',
    finalReason: SERVICE_DEGRADED.rule,
    degradedReconciledAt: at,
    claimedBy: null,
    claimedAt: null,
  };
  const after = { status: 'REJECTED' as const, reviewStage: 'FINAL' as const, claimedBy: null };
  return {
    set,
    history: historyEntry(record, {
      action: 'RECONCILED',
      actor: 'system:degraded',
      now,
      before: snapshot(record),
      after,
      details: { reason: SERVICE_DEGRADED.rule, previousStatus: record.status, ...details },
    }),
  };
};

/** Makes storage agree with a degraded answer (see the module comment). Safe to run again. */
export const reconcileDegradedAnswer = async (
  message: DegradedAnswerMessage,
  store: DegradedReconciliationStore,
  now: Date = new Date(),
): Promise<ReconciliationResult> => {
  let record = await store.getDecision(message.transactionId);
  if (!record) {
    if (await store.putRejection(message, now)) return { kind: 'stored-rejection' };
    // The late write landed between the read and the put: reconcile it.
    record = await store.getDecision(message.transactionId);
    if (!record) throw new Error(`decision ${message.transactionId} exists and does not`);
  }
  // Another call's decision (an earlier one, or a retry decided after storage came back) stands.
  if (record.attemptId !== message.attemptId) return { kind: 'not-ours' };
  const unsent = await store.cancelUnsent(message.transactionId, message.deliveryIds, now);
  if (unsent.inFlight.length > 0) {
    throw new ReconciliationBusyError(`deliveries ${unsent.inFlight.join(', ')} are being sent; retrying`);
  }
  if (record.degradedReconciledAt) return { kind: 'already-reconciled', cancelled: unsent.cancelled };
  await store.applyChange(
    record,
    degradedRejection(record, now, {
      answeredAt: message.answeredAt,
      cancelledDeliveries: unsent.cancelled,
      ...(unsent.delivered.length ? { deliveredBeforeReconciliation: unsent.delivered } : {}),
    }),
  );
  return {
    kind: 'reconciled',
    previousStatus: record.status,
    cancelled: unsent.cancelled,
    deliveredBeforeReconciliation: unsent.delivered,
  };
};
