import { type Delivery, newDelivery } from '../webhooks/delivery.js';
import {
  type Actor,
  type CaseChange,
  CaseNotFoundError,
  type CaseRecord,
  type HistoryEntry,
  historyEntry,
  statusUpdatedPayload,
} from './transitions.js';

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
  listOpenBefore(
    before: string,
    limit: number,
    options?: { excludeSlaEscalated?: boolean },
  ): Promise<{ transactionId: string; createdAt: string }[]>;
}

export interface WorkflowDeps {
  store: CaseStore;
  /** Extra webhooks a final approval owes (the OnePipe debit report, when configured). */
  onApproved?: (record: CaseRecord, now: Date) => Delivery[];
  /** What the case must say about an approval's partner reports when one is not sent. */
  approvalNote?: (record: CaseRecord) => string | undefined;
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
  const note = change.final?.status === 'APPROVED' ? deps.approvalNote?.(record) : undefined;
  if (note) change.history.details = { ...change.history.details, onepipeReport: note };
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
  // Committed with the change, the deliveries reach the queue through the table's stream (lib/outbox-stream.ts).
  await deps.store.applyChange(record, change, deliveries);
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
