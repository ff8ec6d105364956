/**
 * SQS queues, described once for the stack and the local stack (fauxqs): the same names,
 * visibility timeouts and redrive policy in both places.
 */
export interface QueueSpec {
  id: string;
  envVar: string;
  /** Variable naming the dead-letter queue's URL (functions that move messages there need it). */
  dlqEnvVar: string;
  /** Seconds a received message stays hidden: at least 6x the consumer's timeout (AWS guidance). */
  visibilityTimeoutSeconds: number;
  retentionSeconds: number;
  /** Receives before SQS moves a message to the DLQ: a backstop behind the engine's own retries. */
  maxReceiveCount: number;
}

export const QUEUES = {
  deliveries: {
    id: 'Deliveries',
    envVar: 'DELIVERIES_QUEUE_URL',
    dlqEnvVar: 'DELIVERIES_DLQ_URL',
    visibilityTimeoutSeconds: 90,
    retentionSeconds: 4 * 24 * 60 * 60,
    maxReceiveCount: 20,
  },
  /** Provider screenings that timed out: their real answer is fetched again in the background. */
  providerChecks: {
    id: 'ProviderChecks',
    envVar: 'PROVIDER_CHECKS_QUEUE_URL',
    dlqEnvVar: 'PROVIDER_CHECKS_DLQ_URL',
    visibilityTimeoutSeconds: 90,
    retentionSeconds: 24 * 60 * 60,
    maxReceiveCount: 5,
  },
  /**
   * Degraded answers to reconcile: a decision that storage may have committed after Toqio was
   * answered REJECTED (SERVICE_DEGRADED) is made to agree with that answer. A queue, not a table,
   * because it is written exactly when storage is failing.
   */
  degradedAnswers: {
    id: 'DegradedAnswers',
    envVar: 'DEGRADED_ANSWERS_QUEUE_URL',
    dlqEnvVar: 'DEGRADED_ANSWERS_DLQ_URL',
    visibilityTimeoutSeconds: 60,
    retentionSeconds: 4 * 24 * 60 * 60,
    // Storage may stay down for a while: many receives (one a minute) before the DLQ.
    maxReceiveCount: 60,
  },
  /**
   * Pages of a backtest: each message is one page of one scan segment of the decisions table; the
   * worker evaluates it and sends the segment's next page (functions/handlers/backtest.ts).
   */
  backtestPages: {
    id: 'BacktestPages',
    envVar: 'BACKTEST_PAGES_QUEUE_URL',
    dlqEnvVar: 'BACKTEST_PAGES_DLQ_URL',
    visibilityTimeoutSeconds: 6 * 60,
    retentionSeconds: 24 * 60 * 60,
    maxReceiveCount: 5,
  },
} as const satisfies Record<string, QueueSpec>;

/** Dead-letter queues keep messages for the SQS maximum, 14 days. */
export const DLQ_RETENTION_SECONDS = 14 * 24 * 60 * 60;
export const dlqName = (queueName: string) => `${queueName}-dlq`;

export type QueueKey = keyof typeof QUEUES;
