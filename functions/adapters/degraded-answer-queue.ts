import type { DegradedAnswerMessage } from '#domain/decisions/degraded-reconciliation.js';
import type { Sqs } from './aws-clients.js';

/** The queue of degraded answers whose storage must be reconciled with what Toqio was told. */
export const degradedAnswerQueue = (sqs: Sqs, url: string) => ({
  async send(message: DegradedAnswerMessage, signal: AbortSignal) {
    await sqs.with((client, { SendMessageCommand }) =>
      client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: JSON.stringify(message) }), {
        abortSignal: signal,
      }),
    );
  },
});
