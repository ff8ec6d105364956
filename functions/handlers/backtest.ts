import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type * as z from 'zod';
import type { Sqs } from '#adapters/aws-clients.js';
import { backtestPageQueue } from '#adapters/backtest-page-queue.js';
import { backtestRepository } from '#adapters/backtest-repository.js';
import { ruleSetRepository } from '#adapters/rule-set-repository.js';
import {
  type BacktestPageDeps,
  BacktestPageMessageSchema,
  type BacktestSummary,
  runBacktestPage,
} from '#domain/rules/backtest.js';
import type { RulesEngine } from '#domain/rules/engine.js';
import { compileVersion, ruleSetLabel } from '#domain/rules/rule-set-versions.js';
import { QUEUES } from '#lib/queues.js';
import { builtOnFirstCall, documentClientFor, functionConfig, sqsFor } from '#shared/cold-start.js';
import { configSchema, queuesConfig, tablesConfig } from '#shared/config.js';
import { logger } from '#shared/logger.js';
import { metrics } from '#shared/metrics.js';
import { sqsHandler } from '#shared/sqs.js';

export const BacktestConfigSchema = configSchema(
  tablesConfig('decisions', 'ruleSets', 'analytics'),
  queuesConfig('backtestPages'),
);

export interface BacktestHandlerDeps {
  pages: BacktestPageDeps;
  /** Marks a backtest FAILED (a page that failed on the queue's last receive). */
  fail(backtestId: string, error: string, now: Date): Promise<boolean>;
}

/**
 * Runs backtest pages (functions/domain/rules/backtest.ts): one message is one page of one scan
 * segment. A page that still fails on the queue's last receive marks its backtest FAILED (with the
 * error) before its message goes to the DLQ; GET /api/backtests/{id} then shows it.
 */
export const buildHandler = ({ pages, fail }: BacktestHandlerDeps) =>
  sqsHandler(BacktestPageMessageSchema, async (message, record) => {
    logger.appendKeys({ backtestId: message.backtestId, segment: message.segment, page: message.page });
    try {
      const outcome = await runBacktestPage(message, pages);
      if (outcome.kind !== 'recorded') metrics.addMetric(`backtest_page_${outcome.kind}`, MetricUnit.Count, 1);
      if ('finished' in outcome && outcome.finished) logger.info('backtest done');
    } catch (error) {
      if (Number(record.attributes.ApproximateReceiveCount) >= QUEUES.backtestPages.maxReceiveCount) {
        const why = `segment ${message.segment} page ${message.page}: ${(error as Error).message}`;
        if (await fail(message.backtestId, why, new Date())) {
          metrics.addMetric('backtest_failed', MetricUnit.Count, 1);
          logger.error('backtest failed: a page failed on its last receive', { error: error as Error });
        }
      }
      throw error;
    }
  });

/** The worker's adapters from its configuration: the one wiring, used by `handler` and tests. */
export const backtestDeps = (
  config: z.infer<typeof BacktestConfigSchema>,
  documentClient: DynamoDBDocumentClient,
  sqs: Sqs,
): BacktestHandlerDeps => {
  const repository = backtestRepository(documentClient, {
    analytics: config.ANALYTICS_TABLE,
    decisions: config.DECISIONS_TABLE,
  });
  const versions = ruleSetRepository(documentClient, config.RULE_SETS_TABLE);
  const queue = backtestPageQueue(sqs, config.BACKTEST_PAGES_QUEUE_URL);
  // A stored version's rules and lists never change: compiled once per warm worker.
  const engines = new Map<string, Promise<RulesEngine>>();
  const engineFor: BacktestPageDeps['engineFor'] = (ruleSet, number) => {
    const label = ruleSetLabel(ruleSet, number);
    let engine = engines.get(label);
    if (!engine) {
      engine = versions.version(ruleSet, number).then((version) => {
        if (!version) throw new Error(`no version ${label}`);
        return compileVersion(version);
      });
      engine.catch(() => engines.delete(label));
      engines.set(label, engine);
    }
    return engine;
  };
  // A running backtest's parameters, read once per warm worker rather than once per page (a
  // consistent read that, on DynamoDB Local, took a seventh of a page's time): they never change,
  // and each page's transaction is conditioned on the backtest still RUNNING.
  const running = new Map<string, BacktestSummary>();
  const getSummary: BacktestPageDeps['getSummary'] = async (backtestId) => {
    const known = running.get(backtestId);
    if (known) return known;
    const summary = await repository.pageDeps.getSummary(backtestId);
    if (summary?.status === 'RUNNING') {
      if (running.size >= 100) running.clear();
      running.set(backtestId, summary);
    }
    return summary;
  };
  return {
    pages: { ...repository.pageDeps, getSummary, engineFor, sendPages: (messages) => queue.send(messages) },
    fail: (backtestId, error, now) => repository.fail(backtestId, error, now),
  };
};

export const handler = builtOnFirstCall(async () => {
  const config = await functionConfig(BacktestConfigSchema);
  return buildHandler(backtestDeps(config, documentClientFor(config), sqsFor(config)));
});
