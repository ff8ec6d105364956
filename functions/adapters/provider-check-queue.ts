import type { ProviderCheckMessage } from '#domain/providers/late-verdict.js';
import type { Sqs } from './aws-clients.js';

/** The queue of provider screenings to ask again (their answer came too late for Toqio). */
export const providerCheckQueue = (sqs: Sqs, url: string) => ({
  async send(message: ProviderCheckMessage) {
    await sqs.with((client, { SendMessageCommand }) =>
      client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: JSON.stringify(message) })),
    );
  },
});
