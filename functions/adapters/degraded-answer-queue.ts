import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DegradedAnswerMessage } from '#domain/decisions/degraded-reconciliation.js';

/** The queue of degraded answers whose storage must be reconciled with what Toqio was told. */
export const degradedAnswerQueue = (client: SQSClient, url: string) => ({
  async send(message: DegradedAnswerMessage, signal: AbortSignal) {
    await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: JSON.stringify(message) }), {
      abortSignal: signal,
    });
  },
});
