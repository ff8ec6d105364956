import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { expireCases } from '#domain/cases/sla-expiry.js';
import { logger } from '#shared/logger.js';
import { metrics } from '#shared/metrics.js';
import { scheduledHandler } from '#shared/sqs.js';
import { wiring } from '#shared/wiring.js';

const deps = await wiring();

/**
 * Every minute: close pending cases older than PENDING_SLA with PENDING_SLA_POLICY (SLA_EXPIRED);
 * cases that need four eyes are escalated, never approved. The age of the oldest open case is
 * emitted on every run, even when the sweep fails.
 */
export const handler = scheduledHandler(async () => {
  try {
    const result = await expireCases(
      {
        slaMs: deps.config.PENDING_SLA,
        status: deps.config.PENDING_SLA_POLICY,
        fourEyesThreshold: deps.config.FOUR_EYES_THRESHOLD,
      },
      {
        ...deps.caseWorkflow,
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

/** The age of the oldest open case: the dashboard shows it and an alarm fires before the SLA does. */
const emitOldestAge = async () => {
  const [oldest] = await deps.cases.listOpenBefore(new Date().toISOString(), 1);
  const oldestAgeSeconds = oldest ? Math.round((Date.now() - Date.parse(oldest.createdAt)) / 1000) : 0;
  metrics.addMetric('oldest_pending_case_age', MetricUnit.Seconds, oldestAgeSeconds);
  return oldestAgeSeconds;
};
