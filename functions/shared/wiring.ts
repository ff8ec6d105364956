import { createDocumentClient, createSecretsClient, createSqsClient } from '#adapters/aws-clients.js';
import { caseRepository } from '#adapters/case-repository.js';
import { decisionRepository } from '#adapters/decision-repository.js';
import { degradedAnswerQueue } from '#adapters/degraded-answer-queue.js';
import { deliveryQueue } from '#adapters/delivery-queue.js';
import { deliveryRepository } from '#adapters/delivery-repository.js';
import { onepipeCreditConfirmer } from '#adapters/onepipe-query.js';
import { onepipeRepository } from '#adapters/onepipe-repository.js';
import { providerCheckQueue } from '#adapters/provider-check-queue.js';
import { flagrightProvider } from '#adapters/providers/flagright.js';
import { guardedScreening } from '#adapters/providers/guarded-screening.js';
import { httpProvider } from '#adapters/providers/http-provider.js';
import { secretFetcher } from '#adapters/secrets.js';
import { webhookSender } from '#adapters/webhook-sender.js';
import type { CaseRecord } from '#domain/cases/transitions.js';
import type { WorkflowDeps } from '#domain/cases/workflow.js';
import type { DegradedReconciliationStore } from '#domain/decisions/degraded-reconciliation.js';
import type { NormalisedTransaction } from '#domain/decisions/transaction.js';
import { debitReportDelivery } from '#domain/onepipe/messages.js';
import type { NotificationDeps } from '#domain/onepipe/notifications.js';
import type { ProviderPort } from '#domain/providers/verdicts.js';
import type { Delivery } from '#domain/webhooks/delivery.js';
import type { TargetSettings } from '#domain/webhooks/targets.js';
import { type Config, getConfig } from './config.js';
import { logger } from './logger.js';
import { loadRulesEngine } from './rules-loader.js';
import { tracer } from './tracer.js';

/**
 * Builds the process's dependencies once per cold start: configuration (with secrets), SDK
 * clients, repositories and the compiled rules. Handlers await `wiring()` at module scope.
 */
const build = async () => {
  const config: Config = await getConfig((arn) =>
    secretFetcher(createSecretsClient({ region: process.env.AWS_REGION ?? 'us-east-1' }))(arn),
  );
  logger.setLogLevel(config.LOG_LEVEL);
  const settings = {
    region: config.AWS_REGION,
    dynamodbEndpoint: config.DYNAMODB_ENDPOINT,
    sqsEndpoint: config.SQS_ENDPOINT,
  };
  // Every SDK call shows as an X-Ray subsegment (a no-op when tracing is off).
  const documentClient = tracer.captureAWSv3Client(createDocumentClient(settings));
  const sqsClient = tracer.captureAWSv3Client(createSqsClient(settings));
  const targets: TargetSettings = {
    toqio: {
      baseUrl: config.TOQIO_WEBHOOK_BASE_URL,
      apiKeyHeader: config.TOQIO_API_KEY_HEADER,
      // Required (so present) wherever the toqio secret is bound; only the deliver function sends it.
      apiKey: config.TOQIO_API_KEY ?? '',
    },
    onepipe: {
      listenerUrl: config.ONEPIPE_LISTENER_URL,
      // Our own credentials: what OnePipe signs its notifications with is never what we send.
      apiKey: config.ONEPIPE_OUTBOUND_API_KEY,
      clientSecret: config.ONEPIPE_OUTBOUND_CLIENT_SECRET,
    },
    signingSecret: config.WEBHOOK_SIGNING_SECRET,
  };
  const providerPort = ((): ProviderPort | undefined => {
    if (config.TM_PROVIDER === 'http' && config.HTTP_PROVIDER_CONFIG) return httpProvider(config.HTTP_PROVIDER_CONFIG);
    if (config.TM_PROVIDER === 'flagright' && config.FLAGRIGHT_API_URL && config.FLAGRIGHT_API_KEY) {
      return flagrightProvider({
        url: config.FLAGRIGHT_API_URL,
        apiKey: config.FLAGRIGHT_API_KEY,
        validateUsers: config.FLAGRIGHT_VALIDATE_USERS,
      });
    }
    return undefined;
  })();
  /** A webhook whose record is stored but whose queue message failed: logged; the sweeper sends it. */
  const logPublishError = (deliveryId: string, error: unknown) =>
    logger.warn('webhook not enqueued; the sweeper will send it', { deliveryId, error: error as Error });
  const debitReports = {
    providerName: config.ONEPIPE_PROVIDER_NAME,
    mockMode: config.ONEPIPE_MOCK_MODE,
    currency: config.ONEPIPE_CURRENCY,
    outboundSecret: config.ONEPIPE_OUTBOUND_CLIENT_SECRET ?? '',
  };
  const deliveryQueueAdapter = deliveryQueue(sqsClient, {
    queue: config.DELIVERIES_QUEUE_URL,
    deadLetter: config.DELIVERIES_DLQ_URL,
  });
  /** Only payments in OnePipe's currency are reported (a USD amount is not kobo); the rest are logged. */
  const approvedPaymentReports = (transaction: NormalisedTransaction, now: Date): Delivery[] => {
    if (!config.ONEPIPE_LISTENER_URL) return [];
    const report = debitReportDelivery(transaction, debitReports, now);
    if (!report)
      logger.info('approved payment not reported to OnePipe: not in ONEPIPE_CURRENCY', {
        transactionId: transaction.id,
        currency: transaction.currency,
      });
    return report ? [report] : [];
  };
  const cases = caseRepository(documentClient, {
    decisions: config.DECISIONS_TABLE,
    history: config.HISTORY_TABLE,
    deliveries: config.DELIVERIES_TABLE,
  });
  const onepipe = onepipeRepository(documentClient, {
    notifications: config.NOTIFICATIONS_TABLE,
    mappings: config.MAPPINGS_TABLE,
    deliveries: config.DELIVERIES_TABLE,
    decisions: config.DECISIONS_TABLE,
    history: config.HISTORY_TABLE,
  });
  const inboundRules = loadRulesEngine(config.INBOUND_RULES_FILE);
  const decisions = decisionRepository(documentClient, {
    decisions: config.DECISIONS_TABLE,
    counters: config.COUNTERS_TABLE,
    history: config.HISTORY_TABLE,
    deliveries: config.DELIVERIES_TABLE,
  });
  const deliveries = deliveryRepository(documentClient, config.DELIVERIES_TABLE);
  return {
    config,
    documentClient,
    logPublishError,
    /** What every change of a case needs: storage, the outbox queue, and the OnePipe report on approval. */
    caseWorkflow: {
      store: cases,
      queue: deliveryQueueAdapter,
      onApproved: (record: CaseRecord, now: Date) =>
        record.transaction ? approvedPaymentReports(record.transaction, now) : [],
      onPublishError: logPublishError,
    } satisfies WorkflowDeps,
    /** What taking a OnePipe notification needs. */
    notificationDeps: {
      store: onepipe,
      queue: deliveryQueueAdapter,
      inboundRules,
      settings: { currency: config.ONEPIPE_CURRENCY, balance: config.TOQIO_INBOUND_BALANCE },
      ...(config.ONEPIPE_CONFIRM_CREDITS && config.ONEPIPE_OUTBOUND_API_KEY && config.ONEPIPE_OUTBOUND_CLIENT_SECRET
        ? {
            confirmCredit: onepipeCreditConfirmer({
              url: config.ONEPIPE_QUERY_URL,
              apiKey: config.ONEPIPE_OUTBOUND_API_KEY,
              clientSecret: config.ONEPIPE_OUTBOUND_CLIENT_SECRET,
              timeoutMs: 4000,
            }),
          }
        : {}),
      onPublishError: logPublishError,
    } satisfies NotificationDeps,
    /** The OnePipe debit report for an approved payment, when ONEPIPE_LISTENER_URL is set. */
    approvedPaymentReports,
    deliveries,
    /** What reconciling a degraded answer needs: the decision, its case history and its outbox. */
    degradedReconciliation: {
      getDecision: (transactionId) => cases.get(transactionId),
      putRejection: (message, now) => decisions.putRejection(message, now),
      leaveLine: (keys, line, ticket) => decisions.leaveLine(keys, line, ticket, AbortSignal.timeout(5000)),
      applyChange: (record, change, deliveries) => cases.applyChange(record, change, deliveries),
      cancelUnsent: (subject, knownIds, now) => deliveries.cancelUnsent(subject, knownIds, now),
    } satisfies DegradedReconciliationStore,
    deliveryQueue: deliveryQueue(sqsClient, {
      queue: config.DELIVERIES_QUEUE_URL,
      deadLetter: config.DELIVERIES_DLQ_URL,
    }),
    webhookSender: webhookSender(),
    providerChecks: providerCheckQueue(sqsClient, config.PROVIDER_CHECKS_QUEUE_URL),
    degradedAnswers: degradedAnswerQueue(sqsClient, config.DEGRADED_ANSWERS_QUEUE_URL),
    targets,
    decisions,
    cases,
    onepipe,
    /** The external provider (absent with TM_PROVIDER=rules), raw for late re-checks and guarded for validate. */
    providerPort,
    provider: providerPort
      ? guardedScreening(providerPort, {
          timeoutMs: config.PROVIDER_TIMEOUT_MS,
          errorThresholdPercentage: config.PROVIDER_BREAKER_ERROR_PERCENT,
          resetTimeoutMs: config.PROVIDER_BREAKER_RESET_MS,
        })
      : undefined,
    rules: loadRulesEngine(config.RULES_FILE),
    inboundRules,
  };
};

let built: ReturnType<typeof build> | undefined;
export const wiring = () => {
  built ??= build();
  return built;
};
export type Wiring = Awaited<ReturnType<typeof build>>;
