import {
  type Actor,
  type CaseChange,
  CaseConflictError,
  CaseNotFoundError,
  type CaseRecord,
  finalChange,
  type HistoryEntry,
  historyEntry,
  needsFourEyes,
  snapshot,
  statusUpdatedPayload,
} from './cases.js';
import type { DeliveryQueue } from './deliver-webhook.js';
import { type Delivery, newDelivery } from './delivery.js';
import { publishDeliveries } from './delivery-operations.js';

/** Storage of cases: one transaction per change (case, history entry and webhooks together). */
export interface CaseStore {
  get(transactionId: string): Promise<CaseRecord | undefined>;
  /**
   * Applies a planned change if the case is still at the version it was planned on; throws a
   * CaseConflictError otherwise. The history entry and the deliveries are written in the same
   * DynamoDB transaction, so a final decision and its webhook can never be separated.
   */
  applyChange(record: CaseRecord, change: CaseChange, deliveries: Delivery[]): Promise<void>;
  appendHistory(entry: HistoryEntry): Promise<void>;
  /**
   * Open cases created before a time, oldest first (for the SLA sweeper); `excludeSlaEscalated`
   * leaves out those the sweeper already escalated.
   */
  listOpenBefore(before: string, limit: number, options?: { excludeSlaEscalated?: boolean }): Promise<CaseRecord[]>;
}

export interface WorkflowDeps {
  store: CaseStore;
  queue: DeliveryQueue;
  /** Extra webhooks a final approval owes (the OnePipe debit report, when configured). */
  onApproved?: (record: CaseRecord, now: Date) => Delivery[];
  onPublishError: (deliveryId: string, error: unknown) => void;
  now?: () => Date;
}

/** The Toqio webhook a final decision owes. */
export const STATUS_UPDATED = 'TRANSACTION_MONITORING_STATUS_UPDATED';

/**
 * Loads a case, plans a change on it, and applies the plan. A final change carries the
 * TRANSACTION_MONITORING_STATUS_UPDATED delivery for Toqio in the same transaction.
 */
export const changeCase = async (
  transactionId: string,
  plan: (record: CaseRecord, now: Date) => CaseChange,
  deps: WorkflowDeps,
): Promise<{ record: CaseRecord; change: CaseChange; deliveries: Delivery[] }> => {
  const record = await deps.store.get(transactionId);
  if (!record) throw new CaseNotFoundError(`No case ${transactionId}`);
  const now = deps.now?.() ?? new Date();
  const change = plan(record, now);
  const deliveries = change.final
    ? [
        newDelivery({
          target: 'toqio',
          type: STATUS_UPDATED,
          subject: transactionId,
          payload: statusUpdatedPayload(transactionId, change.final),
          now,
        }),
        ...(change.final.status === 'APPROVED' ? (deps.onApproved?.(record, now) ?? []) : []),
      ]
    : [];
  await deps.store.applyChange(record, change, deliveries);
  await publishDeliveries(deliveries, deps.queue, deps.onPublishError);
  return { record, change, deliveries };
};

/** A note on a case: history only (notes never change the case, so they never conflict). */
export const addNote = async (transactionId: string, text: string, actor: Actor, deps: WorkflowDeps) => {
  const record = await deps.store.get(transactionId);
  if (!record) throw new CaseNotFoundError(`No case ${transactionId}`);
  const entry = historyEntry(record, {
    action: 'NOTED',
    actor: actor.name,
    now: deps.now?.() ?? new Date(),
    details: { text },
  });
  await deps.store.appendHistory(entry);
  return entry;
};

export interface ExpiryPolicy {
  slaMs: number;
  status: 'APPROVED' | 'REJECTED';
  /** Cases at or above it need two people to approve: the sweeper never approves them alone. */
  fourEyesThreshold: number;
}

/**
 * Closes every open case older than the SLA with the configured policy, recorded like a human
 * decision (actor `system:sla`, reason SLA_EXPIRED) and sent to Toqio the same way. A case that
 * needs four eyes is never approved by the sweeper: with an APPROVED policy it is escalated
 * instead (marked, recorded in its history, and left for two people). One case that fails does
 * not stop the others: it is reported and tried again on the next run.
 */
export const expireCases = async (
  policy: ExpiryPolicy,
  deps: WorkflowDeps & { batch?: number; onCaseError?: (transactionId: string, error: unknown) => void },
) => {
  const now = deps.now?.() ?? new Date();
  const before = new Date(now.getTime() - policy.slaMs).toISOString();
  const open = await deps.store.listOpenBefore(before, deps.batch ?? 100, { excludeSlaEscalated: true });
  const expired: string[] = [];
  const escalated: string[] = [];
  const failed: string[] = [];
  for (const record of open) {
    const escalate = policy.status === 'APPROVED' && needsFourEyes(record, policy.fourEyesThreshold);
    try {
      await changeCase(
        record.transactionId,
        (current, at) =>
          escalate
            ? slaEscalation(current, at)
            : finalChange(
                current,
                { status: policy.status, reason: 'SLA_EXPIRED' },
                { actor: 'system:sla', action: 'EXPIRED', rule: 'SLA_EXPIRED', now: at },
              ),
        deps,
      );
      (escalate ? escalated : expired).push(record.transactionId);
    } catch (error) {
      // Decided by a person in the meantime: nothing to expire.
      if (error instanceof CaseConflictError) continue;
      failed.push(record.transactionId);
      deps.onCaseError?.(record.transactionId, error);
    }
  }
  return { expired, escalated, failed };
};

/** The SLA ran out on a case that needs four eyes, under an APPROVED policy: flag it, decide nothing. */
const slaEscalation = (record: CaseRecord, now: Date): CaseChange => {
  const set = { slaEscalatedAt: now.toISOString() };
  return {
    set,
    history: historyEntry(record, {
      action: 'ESCALATED',
      actor: 'system:sla',
      now,
      before: snapshot(record),
      after: snapshot(record),
      details: {
        reason: 'SLA_EXPIRED',
        why: 'PENDING_SLA_POLICY is APPROVED, but this amount needs two people to approve it',
      },
    }),
  };
};
