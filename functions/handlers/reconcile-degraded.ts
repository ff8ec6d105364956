import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type * as z from 'zod';
import { caseRepository } from '#adapters/case-repository.js';
import { decisionRepository } from '#adapters/decision-repository.js';
import { deliveryRepository } from '#adapters/delivery-repository.js';
import {
  DegradedAnswerMessageSchema,
  type DegradedReconciliationStore,
  reconcileDegradedAnswer,
} from '#domain/decisions/degraded-reconciliation.js';
import { builtOnFirstCall, documentClientFor, functionConfig } from '#shared/cold-start.js';
import { configSchema, tablesConfig } from '#shared/config.js';
import { logger } from '#shared/logger.js';
import { metrics } from '#shared/metrics.js';
import { sqsHandler } from '#shared/sqs.js';

export const ReconcileDegradedConfigSchema = configSchema(
  // counters: a payment that waited in its velocity line leaves it when its answer is reconciled.
  tablesConfig('decisions', 'counters', 'history', 'deliveries'),
);

/** Makes storage agree with each degraded answer Toqio was given (see degraded-reconciliation.ts). */
export const buildHandler = ({ store }: { store: DegradedReconciliationStore }) =>
  sqsHandler(DegradedAnswerMessageSchema, async (message) => {
    logger.appendKeys({ transactionId: message.transactionId });
    const result = await reconcileDegradedAnswer(message, store);
    metrics.addMetric(`degraded_${result.kind.replaceAll('-', '_')}`, MetricUnit.Count, 1);
    // Toqio's status update REJECTED is in the outbox: the deliveries table's stream sends it.
    if (result.kind === 'reconciled' && result.deliveredBeforeReconciliation.length > 0) {
      // Too late to take back: an operator must tell the partner. The alarm on this metric says so.
      metrics.addMetric('degraded_delivered_before_reconciliation', MetricUnit.Count, 1);
      logger.error('a webhook of a degraded decision was sent before it was reconciled', { result });
    } else {
      logger.info('degraded answer reconciled', { result });
    }
  });

/** The reconciliation's storage from its configuration: the one wiring, used by `handler` and tests. */
export const reconcileDegradedStore = (
  config: z.infer<typeof ReconcileDegradedConfigSchema>,
  client: DynamoDBDocumentClient,
): DegradedReconciliationStore => {
  const tables = {
    decisions: config.DECISIONS_TABLE,
    history: config.HISTORY_TABLE,
    deliveries: config.DELIVERIES_TABLE,
  };
  const cases = caseRepository(client, tables);
  const decisions = decisionRepository(client, { ...tables, counters: config.COUNTERS_TABLE });
  const deliveries = deliveryRepository(client, config.DELIVERIES_TABLE);
  return {
    getDecision: (transactionId) => cases.get(transactionId),
    putRejection: (message, now) => decisions.putRejection(message, now),
    leaveLine: (keys, line, ticket) => decisions.leaveLine(keys, line, ticket, AbortSignal.timeout(5000)),
    applyChange: (record, change, owed) => cases.applyChange(record, change, owed),
    cancelUnsent: (subject, knownIds, now) => deliveries.cancelUnsent(subject, knownIds, now),
  };
};

export const handler = builtOnFirstCall(async () => {
  const config = await functionConfig(ReconcileDegradedConfigSchema);
  return buildHandler({ store: reconcileDegradedStore(config, documentClientFor(config)) });
});
