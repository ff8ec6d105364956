import { randomUUID } from 'node:crypto';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { historyEntry } from '#domain/cases/transitions.js';
import { DeliveryMessageSchema } from '#domain/webhooks/delivery.js';
import { deliverWebhook } from '#domain/webhooks/send-attempt.js';
import { logger } from '#shared/logger.js';
import { metrics } from '#shared/metrics.js';
import { sqsHandler } from '#shared/sqs.js';
import { wiring } from '#shared/wiring.js';

const deps = await wiring();

/** Consumes the deliveries queue: one attempt per due delivery, then retry, DLQ or done. */
export const handler = sqsHandler(DeliveryMessageSchema, async (message) => {
  logger.appendKeys({ deliveryId: message.deliveryId });
  const result = await deliverWebhook(message, {
    store: deps.deliveries,
    queue: deps.deliveryQueue,
    sender: deps.webhookSender,
    settings: deps.targets,
    retryDelays: deps.config.DELIVERY_RETRY_DELAYS,
    timeoutMs: deps.config.DELIVERY_TIMEOUT_MS,
    newLeaseToken: randomUUID,
    onDelivered: async (delivery) => {
      const entry = historyEntry(
        { transactionId: delivery.subject },
        {
          action: 'DELIVERED',
          actor: `system:${delivery.target}`,
          now: new Date(),
          details: { deliveryId: delivery.deliveryId, type: delivery.type, attempts: delivery.attemptCount },
        },
      );
      await deps.cases.appendHistory(entry);
    },
  });
  if (result.kind !== 'attempted') {
    // A redelivered or early message: counted, so a storm of duplicates shows on the dashboard.
    metrics.addMetric(`webhook_message_${result.kind}`, MetricUnit.Count, 1);
    return logger.info(`delivery ${result.kind}`);
  }
  const { attempt } = result;
  // One batch mixes partners: each figure goes out at once with its own record's target (a
  // dimension shared by the batch would be overwritten by the next record: the wrong partner).
  const perTarget = (name: string, unit: (typeof MetricUnit)[keyof typeof MetricUnit], value: number) => {
    const single = metrics.singleMetric();
    single.addDimension('target', result.target);
    single.addMetric(name, unit, value);
  };
  perTarget(`webhook_${attempt.outcome}`, MetricUnit.Count, 1);
  perTarget('webhook_latency', MetricUnit.Milliseconds, attempt.latencyMs);
  const log = attempt.outcome === 'dead' ? logger.error.bind(logger) : logger.info.bind(logger);
  log('delivery attempt', { attempt, status: result.delivery.status, reason: result.delivery.deadReason });
});
