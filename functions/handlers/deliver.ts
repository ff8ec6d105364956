import { randomUUID } from 'node:crypto';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type * as z from 'zod';
import type { Sqs } from '#adapters/aws-clients.js';
import { caseRepository } from '#adapters/case-repository.js';
import { deliveryQueue } from '#adapters/delivery-queue.js';
import { deliveryRepository } from '#adapters/delivery-repository.js';
import { webhookSender } from '#adapters/webhook-sender.js';
import { historyEntry } from '#domain/cases/transitions.js';
import { DeliveryMessageSchema } from '#domain/webhooks/delivery.js';
import { deliverWebhook } from '#domain/webhooks/send-attempt.js';
import { builtOnFirstCall, documentClientFor, functionConfig, notBound, sqsFor } from '#shared/cold-start.js';
import {
  configSchema,
  deadLetterQueuesConfig,
  deliveryConfig,
  onepipeOutboundConfig,
  queuesConfig,
  tablesConfig,
  toqioWebhookConfig,
} from '#shared/config.js';
import { logger } from '#shared/logger.js';
import { metrics } from '#shared/metrics.js';
import { sqsHandler } from '#shared/sqs.js';

export const DeliverConfigSchema = configSchema(
  tablesConfig('deliveries', 'history'),
  queuesConfig('deliveries'),
  deadLetterQueuesConfig('deliveries'),
  toqioWebhookConfig(),
  onepipeOutboundConfig(),
  deliveryConfig(),
);

type DeliverDeps = Parameters<typeof deliverWebhook>[1];
export interface DeliverHandlerDeps extends Omit<DeliverDeps, 'newLeaseToken' | 'onDelivered'> {
  /** Where a delivered webhook is recorded in the case history. */
  history: Pick<ReturnType<typeof caseRepository>, 'appendHistory'>;
}

/** Consumes the deliveries queue: one attempt per due delivery, then retry, DLQ or done. */
export const buildHandler = ({ history, ...deps }: DeliverHandlerDeps) =>
  sqsHandler(DeliveryMessageSchema, async (message) => {
    logger.appendKeys({ deliveryId: message.deliveryId });
    const result = await deliverWebhook(message, {
      ...deps,
      newLeaseToken: randomUUID,
      onDelivered: async (delivery) => {
        const entry = historyEntry(
          { transactionId: delivery.subject },
          {
            action: 'DELIVERED',
            actor: `system:${delivery.target}`,
            now: new Date(),
            details: { deliveryId: delivery.deliveryId, type: delivery.type, attempts: delivery.attemptCount },
          },
        );
        await history.appendHistory(entry);
      },
    });
    if (result.kind !== 'attempted') {
      // A redelivered or early message: counted, so a storm of duplicates shows on the dashboard.
      metrics.addMetric(`webhook_message_${result.kind}`, MetricUnit.Count, 1);
      return logger.info(`delivery ${result.kind}`);
    }
    const { attempt } = result;
    // One batch mixes partners: each figure goes out at once with its own record's target (a
    // dimension shared by the batch would be overwritten by the next record: the wrong partner).
    const perTarget = (name: string, unit: (typeof MetricUnit)[keyof typeof MetricUnit], value: number) => {
      const single = metrics.singleMetric();
      single.addDimension('target', result.target);
      single.addMetric(name, unit, value);
    };
    perTarget(`webhook_${attempt.outcome}`, MetricUnit.Count, 1);
    perTarget('webhook_latency', MetricUnit.Milliseconds, attempt.latencyMs);
    const log = attempt.outcome === 'dead' ? logger.error.bind(logger) : logger.info.bind(logger);
    log('delivery attempt', { attempt, status: result.delivery.status, reason: result.delivery.deadReason });
  });

/**
 * deliver's storage, queue and sender from its configuration and SDK clients: the one wiring, used
 * by `handler` and by the capacity bench on DynamoDB Local.
 */
export const deliverDeps = (
  config: z.infer<typeof DeliverConfigSchema>,
  documentClient: DynamoDBDocumentClient,
  sqs: Sqs,
): DeliverHandlerDeps => ({
  store: deliveryRepository(documentClient, config.DELIVERIES_TABLE),
  queue: deliveryQueue(sqs, {
    queue: config.DELIVERIES_QUEUE_URL,
    deadLetter: config.DELIVERIES_DLQ_URL,
  }),
  sender: webhookSender(),
  settings: {
    toqio: {
      baseUrl: config.TOQIO_WEBHOOK_BASE_URL,
      apiKeyHeader: config.TOQIO_API_KEY_HEADER,
      // Required (so present) wherever the toqio secret is bound, as it is to this function.
      apiKey: config.TOQIO_API_KEY ?? '',
    },
    onepipe: {
      listenerUrl: config.ONEPIPE_LISTENER_URL,
      // Our own credentials: what OnePipe signs its notifications with is never what we send.
      apiKey: config.ONEPIPE_OUTBOUND_API_KEY,
      clientSecret: config.ONEPIPE_OUTBOUND_CLIENT_SECRET,
    },
    signingSecret: config.WEBHOOK_SIGNING_SECRET,
  },
  retryDelays: config.DELIVERY_RETRY_DELAYS,
  timeoutMs: config.DELIVERY_TIMEOUT_MS,
  history: caseRepository(documentClient, {
    decisions: notBound('decisions'),
    history: config.HISTORY_TABLE,
    deliveries: config.DELIVERIES_TABLE,
  }),
});

export const handler = builtOnFirstCall(async () => {
  const config = await functionConfig(DeliverConfigSchema);
  return buildHandler(deliverDeps(config, documentClientFor(config), sqsFor(config)));
});
