import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { DegradedAnswerMessageSchema, reconcileDegradedAnswer } from '#domain/decisions/degraded-reconciliation.js';
import { logger } from '#shared/logger.js';
import { metrics } from '#shared/metrics.js';
import { sqsHandler } from '#shared/sqs.js';
import { wiring } from '#shared/wiring.js';

const deps = await wiring();

/** Makes storage agree with each degraded answer Toqio was given (see degraded-reconciliation.ts). */
export const handler = sqsHandler(DegradedAnswerMessageSchema, async (message) => {
  logger.appendKeys({ transactionId: message.transactionId });
  const result = await reconcileDegradedAnswer(message, deps.degradedReconciliation);
  metrics.addMetric(`degraded_${result.kind.replaceAll('-', '_')}`, MetricUnit.Count, 1);
  if (result.kind === 'reconciled') {
    // Toqio's status update REJECTED is in the outbox: send it now (the sweeper would, a minute later).
    await deps.deliveryQueue
      .send({ deliveryId: result.statusUpdate }, 0)
      .catch((error: unknown) => deps.logPublishError(result.statusUpdate, error));
  }
  if (result.kind === 'reconciled' && result.deliveredBeforeReconciliation.length > 0) {
    // Too late to take back: an operator must tell the partner. The alarm on this metric says so.
    metrics.addMetric('degraded_delivered_before_reconciliation', MetricUnit.Count, 1);
    logger.error('a webhook of a degraded decision was sent before it was reconciled', { result });
  } else {
    logger.info('degraded answer reconciled', { result });
  }
});
