import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startFauxqs } from 'fauxqs';
import { DLQ_RETENTION_SECONDS, dlqName, QUEUES, type QueueSpec } from '#lib/queues.js';

export interface LocalSqs {
  endpoint: string;
  stop(): Promise<void>;
}

/** Starts the fauxqs SQS emulator in this process, on loopback. */
export const startLocalSqs = async (options: { port: number }): Promise<LocalSqs> => {
  const server = await startFauxqs({ port: options.port, host: 'localhost', logger: false });
  return { endpoint: server.address, stop: () => server.stop() };
};

export const localSqsClient = (endpoint: string) =>
  new SQSClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });

/**
 * Creates every queue of lib/queues.ts with its DLQ and redrive policy, as the stack does.
 * CreateQueue with the same attributes is idempotent in SQS. Returns queue URLs by key.
 */
export interface LocalQueue {
  url: string;
  arn: string;
  dlqUrl: string;
}

export const createQueues = async (
  endpoint: string,
  names: Record<keyof typeof QUEUES, string>,
): Promise<Record<keyof typeof QUEUES, LocalQueue>> => {
  const client = localSqsClient(endpoint);
  const urls = {} as Record<keyof typeof QUEUES, LocalQueue>;
  try {
    for (const [key, spec] of Object.entries(QUEUES) as [keyof typeof QUEUES, QueueSpec][]) {
      const dlq = await client.send(
        new CreateQueueCommand({
          QueueName: dlqName(names[key]),
          Attributes: { MessageRetentionPeriod: String(DLQ_RETENTION_SECONDS) },
        }),
      );
      const dlqArn = (
        await client.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }))
      ).Attributes?.QueueArn;
      const queue = await client.send(
        new CreateQueueCommand({
          QueueName: names[key],
          Attributes: {
            VisibilityTimeout: String(spec.visibilityTimeoutSeconds),
            MessageRetentionPeriod: String(spec.retentionSeconds),
            RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: spec.maxReceiveCount }),
          },
        }),
      );
      if (!queue.QueueUrl || !dlq.QueueUrl) throw new Error(`queue ${names[key]} was not created`);
      const arn = (
        await client.send(new GetQueueAttributesCommand({ QueueUrl: queue.QueueUrl, AttributeNames: ['QueueArn'] }))
      ).Attributes?.QueueArn;
      urls[key] = { url: queue.QueueUrl, arn: arn ?? '', dlqUrl: dlq.QueueUrl };
    }
  } finally {
    client.destroy();
  }
  return urls;
};
