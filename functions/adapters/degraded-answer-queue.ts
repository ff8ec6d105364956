import type { DegradedAnswerMessage } from '#domain/decisions/degraded-reconciliation.js';
import type { Sqs } from './aws-clients.js';

/** The queue of degraded answers whose storage must be reconciled with what Toqio was told. */
export const degradedAnswerQueue = (sqs: Sqs, url: string) => ({
  /**
   * Sends within `deadlineMs` of the client being ready. The first send of a function instance
   * loads the SQS module first (it is loaded on first use, aws-clients.ts); that load cannot be
   * aborted, and a deadline running meanwhile could expire before the send begins, losing the
   * reconciliation for the sake of the few milliseconds the load takes once per instance.
   */
  async send(message: DegradedAnswerMessage, deadlineMs: number) {
    await sqs.with((client, { SendMessageCommand }) =>
      client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: JSON.stringify(message) }), {
        abortSignal: AbortSignal.timeout(deadlineMs),
      }),
    );
  },
});
