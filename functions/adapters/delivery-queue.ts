import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DeliveryQueue } from '#domain/webhooks/send-attempt.js';

/** The deliveries queue and its DLQ. Messages only point at delivery records. */
export const deliveryQueue = (client: SQSClient, urls: { queue: string; deadLetter: string }): DeliveryQueue => ({
  async send(message, delaySeconds) {
    await client.send(
      new SendMessageCommand({
        QueueUrl: urls.queue,
        MessageBody: JSON.stringify(message),
        DelaySeconds: delaySeconds,
      }),
    );
  },
  async sendToDeadLetter(message) {
    await client.send(new SendMessageCommand({ QueueUrl: urls.deadLetter, MessageBody: JSON.stringify(message) }));
  },
});
