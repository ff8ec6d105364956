import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { checkLateVerdict, ProviderCheckMessageSchema } from '#domain/providers/late-verdict.js';
import { logger } from '#shared/logger.js';
import { metrics } from '#shared/metrics.js';
import { sqsHandler } from '#shared/sqs.js';
import { wiring } from '#shared/wiring.js';

const deps = await wiring();

/** Consumes provider-checks: asks the provider again for payments it did not answer in time. */
export const handler = sqsHandler(ProviderCheckMessageSchema, async ({ transactionId }) => {
  if (!deps.providerPort) return logger.warn('no provider configured; late check dropped', { transactionId });
  const result = await checkLateVerdict(transactionId, {
    port: deps.providerPort,
    store: deps.cases,
    timeoutMs: deps.config.PROVIDER_LATE_TIMEOUT_MS,
  });
  metrics.addMetric(
    result.kind === 'checked' && result.disagrees ? 'provider_late_disagreement' : 'provider_late_checked',
    MetricUnit.Count,
    1,
  );
  logger.info('late provider verdict', { transactionId, ...result });
});
