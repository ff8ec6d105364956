import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { caseRepository } from '#adapters/case-repository.js';
import { checkLateVerdict, ProviderCheckMessageSchema } from '#domain/providers/late-verdict.js';
import { builtOnFirstCall, documentClientFor, functionConfig, notBound } from '#shared/cold-start.js';
import { configSchema, providerConfig, tablesConfig } from '#shared/config.js';
import { logger } from '#shared/logger.js';
import { metrics } from '#shared/metrics.js';
import { providerPortFor } from '#shared/provider.js';
import { sqsHandler } from '#shared/sqs.js';

export const ProviderRecheckConfigSchema = configSchema(tablesConfig('decisions', 'history'), providerConfig());

type LateVerdictDeps = Parameters<typeof checkLateVerdict>[1];
export interface ProviderRecheckDeps {
  /** The external provider; absent with TM_PROVIDER=rules. */
  port: LateVerdictDeps['port'] | undefined;
  store: LateVerdictDeps['store'];
  timeoutMs: number;
}

/** Consumes provider-checks: asks the provider again for payments it did not answer in time. */
export const buildHandler = ({ port, store, timeoutMs }: ProviderRecheckDeps) =>
  sqsHandler(ProviderCheckMessageSchema, async ({ transactionId }) => {
    if (!port) return logger.warn('no provider configured; late check dropped', { transactionId });
    const result = await checkLateVerdict(transactionId, { port, store, timeoutMs });
    metrics.addMetric(
      result.kind === 'checked' && result.disagrees ? 'provider_late_disagreement' : 'provider_late_checked',
      MetricUnit.Count,
      1,
    );
    logger.info('late provider verdict', { transactionId, ...result });
  });

export const handler = builtOnFirstCall(async () => {
  const config = await functionConfig(ProviderRecheckConfigSchema);
  return buildHandler({
    port: providerPortFor(config),
    store: caseRepository(documentClientFor(config), {
      decisions: config.DECISIONS_TABLE,
      history: config.HISTORY_TABLE,
      deliveries: notBound('deliveries'),
    }),
    timeoutMs: config.PROVIDER_LATE_TIMEOUT_MS,
  });
});
