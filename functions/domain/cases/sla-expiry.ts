import {
  type CaseChange,
  CaseConflictError,
  type CaseRecord,
  finalChange,
  historyEntry,
  needsFourEyes,
  snapshot,
} from './transitions.js';
import { changeCase, type WorkflowDeps } from './workflow.js';

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
    try {
      // Planned on the case as it is now (read again by changeCase, with its one schema).
      const { change } = await changeCase(
        record.transactionId,
        (current, at) =>
          policy.status === 'APPROVED' && needsFourEyes(current, policy.fourEyesThreshold)
            ? slaEscalation(current, at)
            : finalChange(
                current,
                { status: policy.status, reason: 'SLA_EXPIRED' },
                { actor: 'system:sla', action: 'EXPIRED', rule: 'SLA_EXPIRED', now: at },
              ),
        deps,
      );
      (change.history.action === 'ESCALATED' ? escalated : expired).push(record.transactionId);
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
