import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { sweepDeliveries } from '#domain/webhooks/sweep.js';
import { metrics } from '#shared/metrics.js';
import { scheduledHandler } from '#shared/sqs.js';
import { wiring } from '#shared/wiring.js';

const deps = await wiring();

/** Every minute: re-enqueue deliveries whose queue message was lost (the outbox's safety net). */
export const handler = scheduledHandler(async () => {
  const result = await sweepDeliveries({
    records: deps.deliveries,
    queue: deps.deliveryQueue,
    staleAfterMs: deps.config.SWEEPER_STALE_AFTER_SECONDS * 1000,
  });
  metrics.addMetric('deliveries_requeued', MetricUnit.Count, result.requeued);
  return result;
});
