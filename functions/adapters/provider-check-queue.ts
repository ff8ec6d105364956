import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { ProviderCheckMessage } from '#domain/providers/late-verdict.js';

/** The queue of provider screenings to ask again (their answer came too late for Toqio). */
export const providerCheckQueue = (client: SQSClient, url: string) => ({
  async send(message: ProviderCheckMessage) {
    await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: JSON.stringify(message) }));
  },
});
