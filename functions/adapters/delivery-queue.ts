import type { DeliveryQueue } from '#domain/webhooks/send-attempt.js';
import type { Sqs } from './aws-clients.js';

/** The deliveries queue and its DLQ. Messages only point at delivery records. */
export const deliveryQueue = (sqs: Sqs, urls: { queue: string; deadLetter: string }): DeliveryQueue => ({
  async send(message, delaySeconds) {
    await sqs.with((client, { SendMessageCommand }) =>
      client.send(
        new SendMessageCommand({
          QueueUrl: urls.queue,
          MessageBody: JSON.stringify(message),
          DelaySeconds: delaySeconds,
        }),
      ),
    );
  },
  async sendToDeadLetter(message) {
    await sqs.with((client, { SendMessageCommand }) =>
      client.send(new SendMessageCommand({ QueueUrl: urls.deadLetter, MessageBody: JSON.stringify(message) })),
    );
  },
});
