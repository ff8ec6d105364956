import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Sqs } from '#adapters/aws-clients.js';
import { decisionRepository } from '#adapters/decision-repository.js';
import { degradedAnswerQueue } from '#adapters/degraded-answer-queue.js';
import { providerCheckQueue } from '#adapters/provider-check-queue.js';
import type { GuardedScreening } from '#adapters/providers/guarded-screening.js';
import { ruleSetRepository } from '#adapters/rule-set-repository.js';
import { TransactionSchema } from '#domain/decisions/transaction.js';
import { validatePayment } from '#domain/decisions/validate-payment.js';
import type { RuleSource } from '#domain/rules/active-rules.js';
import { approvedPaymentNote, approvedPaymentReports } from '#shared/case-workflow.js';
import { builtOnFirstCall, documentClientFor, functionConfig, sqsFor } from '#shared/cold-start.js';
import {
  type ConfigOf,
  configSchema,
  onepipeOutboundConfig,
  providerConfig,
  queuesConfig,
  tablesConfig,
  toqioApiKeyConfig,
  validateConfig,
} from '#shared/config.js';
import { httpHandler, json, requireApiKey } from '#shared/http.js';
import { logger } from '#shared/logger.js';
import { metrics } from '#shared/metrics.js';
import { providerPortFor } from '#shared/provider.js';
import { activeRulesFrom } from '#shared/rule-source.js';
import { tracer } from '#shared/tracer.js';

const validateShape = {
  ...tablesConfig('decisions', 'counters', 'history', 'deliveries', 'ruleSets'),
  ...queuesConfig('providerChecks', 'degradedAnswers'),
  ...toqioApiKeyConfig(),
  ...validateConfig(),
  ...providerConfig(),
  ...onepipeOutboundConfig(),
};
export const ValidateConfigSchema = configSchema(validateShape);

export interface ValidateDeps {
  config: ConfigOf<typeof validateShape>;
  decisions: ReturnType<typeof decisionRepository>;
  /** The outbound rules: the ACTIVE version, cached (activeRules), or a fixed set (fixedRules) in tests and tools. */
  rules: RuleSource;
  /** The external provider behind its time budget and circuit breaker; absent with TM_PROVIDER=rules. */
  provider?: GuardedScreening | undefined;
  approvedPaymentReports: ReturnType<typeof approvedPaymentReports>;
  approvedPaymentNote: ReturnType<typeof approvedPaymentNote>;
  providerChecks: ReturnType<typeof providerCheckQueue>;
  degradedAnswers: ReturnType<typeof degradedAnswerQueue>;
}

/** POST /transaction/validate: Toqio asks whether an outbound payment may go. */
export const buildHandler = (deps: ValidateDeps) => {
  const { config } = deps;
  /** Part of the budget kept for enqueueing the reconciliation of a degraded answer. */
  const RECONCILE_RESERVE_MS = Math.min(250, Math.floor(config.VALIDATE_BUDGET_MS / 5));
  return httpHandler(
    {
      body: TransactionSchema,
      maxBodyBytes: () => config.MAX_BODY_BYTES,
      use: [
        requireApiKey(
          () => config.TOQIO_API_KEY_HEADER,
          () => [config.TOQIO_API_KEY, config.TOQIO_API_KEY_PREVIOUS],
        ),
      ],
    },
    async ({ body, raw }) => {
      logger.appendKeys({ transactionId: body.id });
      tracer.putAnnotation('transactionId', body.id);
      const engine = await deps.rules.current();
      const outcome = await validatePayment(body, raw, {
        store: deps.decisions,
        engine,
        // Learnt with the active version's lookup: no read per decision.
        shadow: deps.rules.shadow?.(),
        budgetMs: config.VALIDATE_BUDGET_MS - RECONCILE_RESERVE_MS,
        failMode: config.FAIL_MODE,
        onApproved: (decision) => deps.approvedPaymentReports(decision.transaction, new Date(decision.decidedAt)),
        approvalNote: (decision) => deps.approvedPaymentNote(decision.transaction),
        ...(deps.provider
          ? {
              provider: {
                name: deps.provider.name,
                mode: config.TM_PROVIDER_MODE,
                fallback: config.PROVIDER_FALLBACK,
                timeoutMs: config.PROVIDER_TIMEOUT_MS,
                screen: deps.provider.screen,
              },
            }
          : {}),
      });
      const providerOutcome = outcome.decision?.provider?.outcome;
      if (outcome.source === 'decided' && providerOutcome?.kind === 'failed' && providerOutcome.timedOut) {
        // Toqio was answered with the fallback; the provider's real answer is fetched in the background.
        await deps.providerChecks
          .send({ transactionId: body.id })
          .catch((error: Error) => logger.warn('late provider check not enqueued', { error }));
      }
      // Webhooks the decision owes were committed with it: the deliveries table's stream queues them.
      if (outcome.source === 'degraded' && outcome.reconcile) {
        // Counted apart from errors (published at once: HTTP handlers flush no stored metrics):
        // a degraded answer is a 200, which the 5xx alarm never sees.
        metrics.singleMetric().addMetric('validate_degraded', MetricUnit.Count, 1);
        const reconciliation = outcome.reconcile;
        // Storage may have committed this call's decision after the budget ran out: a queued
        // reconciliation makes it the rejection Toqio is told, even while storage stays down.
        const queued = await deps.degradedAnswers
          .send(reconciliation, RECONCILE_RESERVE_MS)
          .then(() => true)
          .catch((error: Error) => {
            metrics.singleMetric().addMetric('validate_degraded_unreconciled', MetricUnit.Count, 1);
            logger.error('degraded answer could not be queued for reconciliation', { reconciliation, error });
            return false;
          });
        // The full decision is logged so nothing is lost while storage is down.
        logger.error('storage unavailable; answered fail mode', {
          outcome: { ...outcome, reconcile: reconciliation },
          reconciliationQueued: queued,
          payload: body,
          error: outcome.error as Error,
        });
      } else {
        if (outcome.conflicts) {
          metrics.singleMetric().addMetric('validate_velocity_conflicts', MetricUnit.Count, outcome.conflicts);
        }
        logger.info('validated', {
          status: outcome.answer.status,
          source: outcome.source,
          timings: outcome.timings,
          conflicts: outcome.conflicts,
        });
      }
      const t = outcome.timings;
      // `conflicts`: how often the payment was decided again because its velocity counters moved.
      const timing =
        `rules;dur=${t.rulesMs.toFixed(2)}, storage;dur=${t.storageMs.toFixed(2)}, total;dur=${t.totalMs.toFixed(2)}` +
        (t.shadowMs === undefined ? '' : `, shadow;dur=${t.shadowMs.toFixed(3)}`) +
        (outcome.conflicts ? `, conflicts;desc="${outcome.conflicts}"` : '');
      return json(200, outcome.answer, { 'server-timing': timing });
    },
  );
};

/**
 * validate's storage, queues and partner reports from its configuration and SDK clients, without
 * rules or provider: the one wiring, used by `handler` and by tests and benches on DynamoDB Local.
 */
export const validateAdapters = (config: ValidateDeps['config'], documentClient: DynamoDBDocumentClient, sqs: Sqs) => ({
  config,
  decisions: decisionRepository(documentClient, {
    decisions: config.DECISIONS_TABLE,
    counters: config.COUNTERS_TABLE,
    history: config.HISTORY_TABLE,
    deliveries: config.DELIVERIES_TABLE,
  }),
  approvedPaymentReports: approvedPaymentReports(config),
  approvedPaymentNote: approvedPaymentNote(config),
  providerChecks: providerCheckQueue(sqs, config.PROVIDER_CHECKS_QUEUE_URL),
  degradedAnswers: degradedAnswerQueue(sqs, config.DEGRADED_ANSWERS_QUEUE_URL),
});

export const handler = builtOnFirstCall(async () => {
  const config = await functionConfig(ValidateConfigSchema);
  const port = providerPortFor(config);
  const documentClient = documentClientFor(config);
  return buildHandler({
    ...validateAdapters(config, documentClient, sqsFor(config)),
    rules: activeRulesFrom(ruleSetRepository(documentClient, config.RULE_SETS_TABLE), 'outbound', {
      file: config.RULES_FILE,
      refreshSeconds: config.RULES_REFRESH_SECONDS,
    }),
    // The circuit breaker (opossum) is loaded only when a provider is configured (not with TM_PROVIDER=rules).
    provider: port
      ? (await import('#adapters/providers/guarded-screening.js')).guardedScreening(port, {
          timeoutMs: config.PROVIDER_TIMEOUT_MS,
          errorThresholdPercentage: config.PROVIDER_BREAKER_ERROR_PERCENT,
          resetTimeoutMs: config.PROVIDER_BREAKER_RESET_MS,
        })
      : undefined,
  });
});
