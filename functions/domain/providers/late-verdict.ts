import * as z from 'zod';
import { CaseRecordSchema, type HistoryEntry, historyEntry } from '../cases/transitions.js';
import { type NormalisedTransaction, PROVIDER_LATE_KEY_PREFIX, type Transaction } from '../decisions/transaction.js';
import type { InformationalCase } from '../onepipe/notifications.js';
import type { DecisionStatus } from '../rules/engine.js';
import { type ProviderPort, type ProviderVerdict, toDecisionStatus } from './verdicts.js';

export const ProviderCheckMessageSchema = z.strictObject({ transactionId: z.string().min(1) });
export type ProviderCheckMessage = z.infer<typeof ProviderCheckMessageSchema>;

export interface LateCheckStore {
  getFull(transactionId: string): Promise<Record<string, unknown> | undefined>;
  recordProviderLate(
    transactionId: string,
    late: { verdict: ProviderVerdict; at: string; disagrees: boolean },
  ): Promise<void>;
  appendHistory(entry: HistoryEntry): Promise<void>;
  putInformationalCase(item: InformationalCase): Promise<void>;
}

/**
 * Asks the provider again for a payment it did not answer in time, records its late verdict, and
 * when that verdict disagrees with what Toqio was told, puts the payment in the analysts' queue
 * (an informational case marked PROVIDER_LATE_DISAGREEMENT, plus a note on an open case).
 */
export const checkLateVerdict = async (
  transactionId: string,
  deps: { port: ProviderPort; store: LateCheckStore; timeoutMs: number; now?: () => Date },
) => {
  const item = await deps.store.getFull(transactionId);
  if (!item) return { kind: 'unknown' as const };
  const transaction = item.transaction as NormalisedTransaction;
  const payload = JSON.parse(String(item.rawJson ?? '{}')) as Transaction;
  // A provider that keeps what it screened is asked for its verdict, not sent the payment again.
  const signal = AbortSignal.timeout(deps.timeoutMs);
  const verdict = deps.port.recheck
    ? await deps.port.recheck(transactionId, signal)
    : await deps.port.screen({ transaction, payload }, signal);
  const told = String(item.initialStatus ?? item.status) as DecisionStatus;
  const late = toDecisionStatus(verdict.status);
  const disagrees = late !== told;
  const now = deps.now?.() ?? new Date();
  await deps.store.recordProviderLate(transactionId, { verdict, at: now.toISOString(), disagrees });
  if (disagrees) {
    const description = `${deps.port.name} answered ${verdict.status} after its time budget; Toqio had been told ${told}`;
    await deps.store.putInformationalCase({
      transactionId: `${PROVIDER_LATE_KEY_PREFIX}${transactionId}`,
      status: 'INFORMATIONAL',
      reviewStage: 'FINAL',
      version: 1,
      createdAt: now.toISOString(),
      caseOpenedAt: now.toISOString(),
      customer: transaction.customer,
      baseAmount: transaction.baseAmount,
      currency: transaction.currency ?? '',
      reasons: [{ rule: 'PROVIDER_LATE_DISAGREEMENT', description }, ...verdict.reasons],
      hits: [],
      ruleIds: ['PROVIDER_LATE_DISAGREEMENT'],
      ruleSetVersion: String(item.ruleSetVersion ?? ''),
      transaction,
      rawJson: String(item.rawJson ?? '{}'),
    });
    if (CaseRecordSchema.safeParse(item).data?.reviewStage !== 'FINAL') {
      await deps.store.appendHistory(
        historyEntry(
          { transactionId },
          { action: 'NOTED', actor: `provider:${deps.port.name}`, now, details: { text: description } },
        ),
      );
    }
  }
  return { kind: 'checked' as const, late, told, disagrees };
};
