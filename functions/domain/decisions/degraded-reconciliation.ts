import * as z from 'zod';
import {
  type CaseChange,
  CaseConflictError,
  type CaseRecord,
  historyEntry,
  snapshot,
  statusUpdatedPayload,
} from '../cases/transitions.js';
import { STATUS_UPDATED } from '../cases/workflow.js';
import { type Delivery, newDelivery } from '../webhooks/delivery.js';
import { SERVICE_DEGRADED } from './decision.js';
import type { Line } from './validate-payment.js';

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
  line: z
    .strictObject({
      line: z.enum(['customer', 'beneficiary']),
      ticket: z.number().int().positive(),
      beneficiary: z.string().nullable(),
    })
    .optional(),
});
export type DegradedAnswerMessage = z.infer<typeof DegradedAnswerMessageSchema>;

/** What a stored decision says about who wrote it. */
export type StoredDecision = CaseRecord & { attemptId?: string; degradedReconciledAt?: string };

export interface DegradedReconciliationStore {
  getDecision(transactionId: string): Promise<StoredDecision | undefined>;
  /** Leaves a line of contending payments for a ticket the degraded call still held. */
  leaveLine(keys: { customer: string; beneficiary: string | null }, line: Line, ticket: number): Promise<void>;
  /** Stores the rejection Toqio was told; false when a decision exists already. */
  putRejection(message: DegradedAnswerMessage, now: Date): Promise<boolean>;
  /**
   * Applies a change, with the webhooks it owes, if the decision is still at the version read
   * (throws a CaseConflictError otherwise).
   */
  applyChange(record: CaseRecord, change: CaseChange, deliveries: Delivery[]): Promise<void>;
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
  | {
      kind: 'reconciled';
      previousStatus: string;
      cancelled: string[];
      deliveredBeforeReconciliation: string[];
      /** The status update REJECTED that Toqio is sent. */
      statusUpdate: string;
    }
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
    final: { status: 'REJECTED', reason: SERVICE_DEGRADED.rule, decidedAt: at, decidedBy: 'system:degraded' },
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

/** How often a reconciliation reads again when the decision changed under it (a person acted). */
const MAX_ATTEMPTS = 5;

/**
 * Makes storage agree with a degraded answer (see the module comment). Safe to run again. When a
 * decision this call wrote late is turned into the rejection, Toqio is sent the status update
 * REJECTED (SERVICE_DEGRADED): a retry may have been answered from the late write meanwhile, and
 * Toqio's last word must be the one it was first told. A person's change in between (a case
 * claimed or decided) makes it read again at once, not wait for the queue's next delivery.
 */
export const reconcileDegradedAnswer = async (
  message: DegradedAnswerMessage,
  store: DegradedReconciliationStore,
  now: Date = new Date(),
): Promise<ReconciliationResult> => {
  if (message.line && message.customer) {
    // Whatever storage holds, nobody in that line must wait for this call's ticket any longer.
    await store.leaveLine(
      { customer: message.customer, beneficiary: message.line.beneficiary },
      message.line.line,
      message.line.ticket,
    );
  }
  for (let attempt = 1; ; attempt++) {
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
    const change = degradedRejection(record, now, {
      answeredAt: message.answeredAt,
      cancelledDeliveries: unsent.cancelled,
      ...(unsent.delivered.length ? { deliveredBeforeReconciliation: unsent.delivered } : {}),
    });
    const final = change.final as NonNullable<CaseChange['final']>;
    const statusUpdate = newDelivery({
      target: 'toqio',
      type: STATUS_UPDATED,
      subject: message.transactionId,
      payload: statusUpdatedPayload(message.transactionId, final),
      now,
    });
    try {
      await store.applyChange(record, change, [statusUpdate]);
    } catch (error) {
      if (error instanceof CaseConflictError && attempt < MAX_ATTEMPTS) continue;
      throw error;
    }
    return {
      kind: 'reconciled',
      previousStatus: record.status,
      cancelled: unsent.cancelled,
      deliveredBeforeReconciliation: unsent.delivered,
      statusUpdate: statusUpdate.deliveryId,
    };
  }
};
