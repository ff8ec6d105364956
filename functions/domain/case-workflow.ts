import {
  type Actor,
  type CaseChange,
  CaseNotFoundError,
  type CaseRecord,
  finalChange,
  type HistoryEntry,
  historyEntry,
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
  /** Open cases created before a time, oldest first (for the SLA sweeper). */
  listOpenBefore(before: string, limit: number): Promise<CaseRecord[]>;
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
}

/**
 * Closes every open case older than the SLA with the configured policy, recorded like a human
 * decision (actor `system:sla`, reason SLA_EXPIRED) and sent to Toqio the same way.
 */
export const expireCases = async (policy: ExpiryPolicy, deps: WorkflowDeps & { batch?: number }) => {
  const now = deps.now?.() ?? new Date();
  const before = new Date(now.getTime() - policy.slaMs).toISOString();
  const open = await deps.store.listOpenBefore(before, deps.batch ?? 100);
  const expired: string[] = [];
  for (const record of open) {
    try {
      await changeCase(
        record.transactionId,
        (current, at) =>
          finalChange(
            current,
            { status: policy.status, reason: 'SLA_EXPIRED' },
            { actor: 'system:sla', action: 'EXPIRED', rule: 'SLA_EXPIRED', now: at },
          ),
        deps,
      );
      expired.push(record.transactionId);
    } catch (error) {
      // Decided by a person in the meantime: nothing to expire.
      if ((error as Error).name !== 'ConflictError') throw error;
    }
  }
  return { expired };
};
