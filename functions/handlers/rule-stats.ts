import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { decisionFromImage, ruleStatsRepository } from '#adapters/rule-stats-repository.js';
import { builtOnFirstCall, documentClientFor, functionConfig } from '#shared/cold-start.js';
import { configSchema, tablesConfig } from '#shared/config.js';
import { dynamodbStreamHandler } from '#shared/dynamodb-stream.js';
import { logger } from '#shared/logger.js';
import { metrics } from '#shared/metrics.js';

export const RuleStatsConfigSchema = configSchema(tablesConfig('analytics'));

/**
 * The decisions table's stream -> rule statistics (functions/domain/rules/rule-stats.ts): each new
 * image of a decision becomes its hit, case and shadow rows in the analytics table. A removed
 * decision changes nothing (decisions are never deleted); an image that is not a decision the
 * mapping knows is logged and skipped.
 */
export const buildHandler = ({ stats }: { stats: ReturnType<typeof ruleStatsRepository> }) =>
  dynamodbStreamHandler(async (record) => {
    if (record.eventName === 'REMOVE') return;
    const image = record.dynamodb?.NewImage as Record<string, AttributeValue> | undefined;
    const decision = decisionFromImage(image);
    if (!decision) {
      logger.warn('stream image is not a decision; skipped', {
        keys: record.dynamodb?.Keys as Record<string, unknown>,
      });
      return;
    }
    // Added even when 0: a batch with no metric makes Powertools warn on every invocation.
    metrics.addMetric('rule_stats_rows', MetricUnit.Count, await stats.record(decision));
  });

export const handler = builtOnFirstCall(async () => {
  const config = await functionConfig(RuleStatsConfigSchema);
  return buildHandler({ stats: ruleStatsRepository(documentClientFor(config), config.ANALYTICS_TABLE) });
});
