import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { expireCases } from '#domain/case-workflow.js';
import { metrics } from '#shared/metrics.js';
import { scheduledHandler } from '#shared/sqs.js';
import { wiring } from '#shared/wiring.js';

const deps = await wiring();

/** Every minute: close pending cases older than PENDING_SLA with PENDING_SLA_POLICY (SLA_EXPIRED). */
export const handler = scheduledHandler(async () => {
  const result = await expireCases(
    { slaMs: deps.config.PENDING_SLA, status: deps.config.PENDING_SLA_POLICY },
    deps.caseWorkflow,
  );
  metrics.addMetric('cases_expired', MetricUnit.Count, result.expired.length);
  // The age of the oldest open case: the dashboard shows it and an alarm fires before the SLA does.
  const [oldest] = await deps.cases.listOpenBefore(new Date().toISOString(), 1);
  const oldestAgeSeconds = oldest ? Math.round((Date.now() - Date.parse(oldest.createdAt)) / 1000) : 0;
  metrics.addMetric('oldest_pending_case_age', MetricUnit.Seconds, oldestAgeSeconds);
  return { ...result, oldestAgeSeconds };
});
