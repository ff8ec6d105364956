import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { expireCases } from '#domain/cases/sla-expiry.js';
import { caseWorkflow, caseWorkflowConfig } from '#shared/case-workflow.js';
import { builtOnFirstCall, documentClientFor, functionConfig } from '#shared/cold-start.js';
import { type ConfigOf, casesConfig, configSchema } from '#shared/config.js';
import { logger } from '#shared/logger.js';
import { metrics } from '#shared/metrics.js';
import { scheduledHandler } from '#shared/sqs.js';

export const ExpireCasesConfigSchema = configSchema(caseWorkflowConfig, casesConfig());

export interface ExpireCasesDeps {
  config: ConfigOf<ReturnType<typeof casesConfig>>;
  workflow: ReturnType<typeof caseWorkflow>;
}

/**
 * Every minute: close pending cases older than PENDING_SLA with PENDING_SLA_POLICY (SLA_EXPIRED);
 * cases that need four eyes are escalated, never approved. The age of the oldest open case is
 * emitted on every run, even when the sweep fails.
 */
export const buildHandler = ({ config, workflow }: ExpireCasesDeps) => {
  /** The age of the oldest open case: the dashboard shows it and an alarm fires before the SLA does. */
  const emitOldestAge = async () => {
    const [oldest] = await workflow.store.listOpenBefore(new Date().toISOString(), 1);
    const oldestAgeSeconds = oldest ? Math.round((Date.now() - Date.parse(oldest.createdAt)) / 1000) : 0;
    metrics.addMetric('oldest_pending_case_age', MetricUnit.Seconds, oldestAgeSeconds);
    return oldestAgeSeconds;
  };
  return scheduledHandler(async () => {
    try {
      const result = await expireCases(
        {
          slaMs: config.PENDING_SLA,
          status: config.PENDING_SLA_POLICY,
          fourEyesThreshold: config.FOUR_EYES_THRESHOLD,
        },
        {
          ...workflow,
          onCaseError: (transactionId, error) =>
            logger.error('case could not be expired; tried again next run', { transactionId, error: error as Error }),
        },
      );
      metrics.addMetric('cases_expired', MetricUnit.Count, result.expired.length);
      metrics.addMetric('cases_escalated', MetricUnit.Count, result.escalated.length);
      metrics.addMetric('cases_expiry_failed', MetricUnit.Count, result.failed.length);
      return { ...result, oldestAgeSeconds: await emitOldestAge() };
    } catch (error) {
      await emitOldestAge().catch(() => undefined);
      throw error;
    }
  });
};

export const handler = builtOnFirstCall(async () => {
  const config = await functionConfig(ExpireCasesConfigSchema);
  return buildHandler({ config, workflow: caseWorkflow(config, documentClientFor(config)) });
});
