import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { caseRepository } from '#adapters/case-repository.js';
import type { CaseRecord } from '#domain/cases/transitions.js';
import type { WorkflowDeps } from '#domain/cases/workflow.js';
import type { NormalisedTransaction } from '#domain/decisions/transaction.js';
import { debitReportDelivery, unreportedPaymentNote } from '#domain/onepipe/messages.js';
import type { Delivery } from '#domain/webhooks/delivery.js';
import { type ConfigOf, onepipeReportsConfig, tablesConfig } from './config.js';
import { logger } from './logger.js';

/**
 * What changing a case needs, shared by the functions that change cases (admin, expireCases,
 * providerWebhook) and, for the OnePipe report of an approval, validate.
 */
export const caseWorkflowConfig = {
  ...tablesConfig('decisions', 'history', 'deliveries'),
  ...onepipeReportsConfig(),
};
export type CaseWorkflowConfig = ConfigOf<typeof caseWorkflowConfig>;

/**
 * The OnePipe debit report of an approved payment, when ONEPIPE_LISTENER_URL is set. Only
 * payments in OnePipe's currency are reported (a USD amount is not kobo); the rest are logged.
 */
export const approvedPaymentReports =
  (config: ConfigOf<ReturnType<typeof onepipeReportsConfig>>) =>
  (transaction: NormalisedTransaction, now: Date): Delivery[] => {
    if (!config.ONEPIPE_LISTENER_URL) return [];
    const report = debitReportDelivery(
      transaction,
      {
        providerName: config.ONEPIPE_PROVIDER_NAME,
        mockMode: config.ONEPIPE_MOCK_MODE,
        currency: config.ONEPIPE_CURRENCY,
        // No outbound secret here: the deliver function tags the request_ref before signing.
      },
      now,
    );
    if (!report)
      logger.info('approved payment not reported to OnePipe: not in ONEPIPE_CURRENCY', {
        transactionId: transaction.id,
        currency: transaction.currency,
      });
    return report ? [report] : [];
  };

/** What the case of an approved payment says about its OnePipe report (only when none is sent). */
export const approvedPaymentNote =
  (config: ConfigOf<ReturnType<typeof onepipeReportsConfig>>) =>
  (transaction: NormalisedTransaction): string | undefined =>
    config.ONEPIPE_LISTENER_URL && transaction.currency !== config.ONEPIPE_CURRENCY
      ? unreportedPaymentNote(transaction, config.ONEPIPE_CURRENCY)
      : undefined;

/** The case store (the outbox with it) and the OnePipe report on approval. */
export const caseWorkflow = (config: CaseWorkflowConfig, documentClient: DynamoDBDocumentClient) => {
  const reports = approvedPaymentReports(config);
  return {
    store: caseRepository(documentClient, {
      decisions: config.DECISIONS_TABLE,
      history: config.HISTORY_TABLE,
      deliveries: config.DELIVERIES_TABLE,
    }),
    onApproved: (record: CaseRecord, now: Date) => (record.transaction ? reports(record.transaction, now) : []),
    approvalNote: (record: CaseRecord) =>
      record.transaction ? approvedPaymentNote(config)(record.transaction) : undefined,
  } satisfies WorkflowDeps;
};
