import { DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import type { FunctionName } from '#lib/routes.js';
import { type Invoke, invokeInProcess } from './gateway.js';
import { localSqsClient } from './sqs.js';

/**
 * The local stand-in for Lambda's SQS event source mapping: long-polls the queue with up to
 * `maxConcurrency` pollers, hands batches to the handler, deletes what succeeded and leaves
 * the reported batchItemFailures (or the whole batch, if the handler throws) to come back after
 * the visibility timeout, until fauxqs moves them to the DLQ after maxReceiveCount.
 */
export const startSqsPoller = (options: {
  endpoint: string;
  queueUrl: string;
  queueArn: string;
  functionName: FunctionName;
  batchSize: number;
  maxConcurrency: number;
  invoke?: Invoke;
}) => {
  const client = localSqsClient(options.endpoint);
  const invoke = options.invoke ?? invokeInProcess;
  let running = true;
  let inFlight = 0;

  const toRecord = (message: {
    MessageId?: string;
    ReceiptHandle?: string;
    Body?: string;
    MD5OfBody?: string;
    Attributes?: Record<string, string>;
  }): SQSRecord => ({
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: message.Attributes?.ApproximateReceiveCount ?? '1',
      SentTimestamp: message.Attributes?.SentTimestamp ?? String(Date.now()),
      SenderId: message.Attributes?.SenderId ?? 'local',
      ApproximateFirstReceiveTimestamp: message.Attributes?.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: options.queueArn,
    awsRegion: 'us-east-1',
  });

  const poll = async () => {
    while (running) {
      let messages: Parameters<typeof toRecord>[0][] = [];
      try {
        const received = await client.send(
          new ReceiveMessageCommand({
            QueueUrl: options.queueUrl,
            MaxNumberOfMessages: options.batchSize,
            WaitTimeSeconds: 1,
            MessageSystemAttributeNames: ['All'],
          }),
        );
        messages = received.Messages ?? [];
      } catch (error) {
        if (!running) return;
        console.error(`[sqs] receive from ${options.queueUrl} failed:`, (error as Error).message);
        await new Promise((resolve) => setTimeout(resolve, 500));
        continue;
      }
      if (messages.length === 0) continue;
      inFlight++;
      const records = messages.map(toRecord);
      let failed = new Set(records.map((record) => record.messageId));
      try {
        const response = (await invoke(options.functionName, { Records: records })) as SQSBatchResponse | undefined;
        failed = new Set((response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
      } catch (error) {
        // Name every failed record (Powertools' FullBatchFailureError carries each record's error).
        const recordErrors = (error as { recordErrors?: unknown[] }).recordErrors ?? [];
        const why = recordErrors.map((recordError, index) => {
          const cause = recordError instanceof Error ? recordError.message : String(recordError);
          return `  ${records[index]?.messageId ?? `#${index}`} ${records[index]?.body.slice(0, 200) ?? ''}: ${cause}`;
        });
        console.error(
          `[sqs] ${options.functionName} failed the whole batch: ${(error as Error).message}${why.length ? `\n${why.join('\n')}` : ''}`,
        );
      }
      const done = records.filter((record) => !failed.has(record.messageId));
      if (done.length > 0) {
        await client
          .send(
            new DeleteMessageBatchCommand({
              QueueUrl: options.queueUrl,
              Entries: done.map((record, index) => ({ Id: String(index), ReceiptHandle: record.receiptHandle })),
            }),
          )
          .catch((error: Error) => console.error('[sqs] delete failed:', error.message));
      }
      inFlight--;
    }
  };

  const loops = Array.from({ length: options.maxConcurrency }, () => poll());
  return {
    /** Stops polling and waits for batches being handled to finish. */
    async stop() {
      running = false;
      await Promise.all(loops);
      client.destroy();
    },
    get busy() {
      return inFlight > 0;
    },
  };
};
