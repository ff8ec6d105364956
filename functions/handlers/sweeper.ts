import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { deliveryQueue } from '#adapters/delivery-queue.js';
import { deliveryRepository } from '#adapters/delivery-repository.js';
import { sweepDeliveries } from '#domain/webhooks/sweep.js';
import { builtOnFirstCall, documentClientFor, functionConfig, notBound, sqsFor } from '#shared/cold-start.js';
import { configSchema, queuesConfig, sweeperConfig, tablesConfig } from '#shared/config.js';
import { metrics } from '#shared/metrics.js';
import { scheduledHandler } from '#shared/sqs.js';

export const SweeperConfigSchema = configSchema(
  tablesConfig('deliveries'),
  queuesConfig('deliveries'),
  sweeperConfig(),
);

/** Every minute: re-enqueue deliveries whose queue message was lost (the outbox's safety net). */
export const buildHandler = (deps: Parameters<typeof sweepDeliveries>[0]) =>
  scheduledHandler(async () => {
    const result = await sweepDeliveries(deps);
    metrics.addMetric('deliveries_requeued', MetricUnit.Count, result.requeued);
    return result;
  });

export const handler = builtOnFirstCall(async () => {
  const config = await functionConfig(SweeperConfigSchema);
  return buildHandler({
    records: deliveryRepository(documentClientFor(config), config.DELIVERIES_TABLE),
    queue: deliveryQueue(sqsFor(config), {
      queue: config.DELIVERIES_QUEUE_URL,
      deadLetter: notBound('deliveries-dlq'),
    }),
    staleAfterMs: config.SWEEPER_STALE_AFTER_SECONDS * 1000,
  });
});
