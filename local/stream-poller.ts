import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { isPublished, outboxMessage } from '#lib/outbox-stream.js';
import { localDynamoClient } from './dynamodb.js';
import { localSqsClient } from './sqs.js';

interface ShardState {
  iterator?: string;
  /** The last record handed to the queue: where to go on from when an iterator expires. */
  lastSequence?: string;
  closed: boolean;
}

/**
 * The local stand-in for the EventBridge pipe of lib/constructs/outbox-pipe.ts: reads the
 * deliveries table's stream on DynamoDB Local, from the oldest record on (TRIM_HORIZON, as the
 * pipe starts), keeps the records the pipe's filter keeps (lib/outbox-stream.ts) and sends the
 * pipe's message for each to the deliveries queue. Like the pipe it is at-least-once: a batch
 * whose send fails is read again, never skipped. `pause()`/`resume({ dropPending })` let a test
 * lose the stream's records on purpose (a pipe that was down longer than the stream keeps them).
 */
export const startStreamPoller = (options: {
  dynamodbEndpoint: string;
  sqsEndpoint: string;
  table: string;
  queueUrl: string;
  /** How long to wait when no shard had a new record. */
  idleMs?: number;
}) => {
  const dynamo = localDynamoClient(options.dynamodbEndpoint);
  const streams = new DynamoDBStreamsClient({
    endpoint: options.dynamodbEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const sqs = localSqsClient(options.sqsEndpoint);
  const idleMs = options.idleMs ?? 20;
  const shards = new Map<string, ShardState>();
  let running = true;
  let paused = false;
  let streamArn: string | undefined;
  let listedAt = 0;
  let published = 0;
  let wake: (() => void) | undefined;
  let idle: Promise<void> = Promise.resolve();
  let markIdle: () => void = () => undefined;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  /** Finds the shards (new ones appear as DynamoDB Local rolls them over). */
  const listShards = async () => {
    streamArn ??= (await dynamo.send(new DescribeTableCommand({ TableName: options.table }))).Table?.LatestStreamArn;
    if (!streamArn) throw new Error(`table ${options.table} has no stream`);
    let start: string | undefined;
    do {
      const described = await streams.send(
        new DescribeStreamCommand({ StreamArn: streamArn, ...(start ? { ExclusiveStartShardId: start } : {}) }),
      );
      for (const shard of described.StreamDescription?.Shards ?? []) {
        if (shard.ShardId && !shards.has(shard.ShardId)) shards.set(shard.ShardId, { closed: false });
      }
      start = described.StreamDescription?.LastEvaluatedShardId;
    } while (start);
    listedAt = Date.now();
  };

  const iteratorFor = async (shardId: string, state: ShardState, latest: boolean) => {
    const result = await streams.send(
      new GetShardIteratorCommand({
        StreamArn: streamArn,
        ShardId: shardId,
        ...(latest
          ? { ShardIteratorType: 'LATEST' }
          : state.lastSequence
            ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: state.lastSequence }
            : { ShardIteratorType: 'TRIM_HORIZON' }),
      }),
    );
    return result.ShardIterator;
  };

  /** Sends the pipe's message for each published record; throws (and so reads again) on a failed send. */
  const publish = async (records: StreamRecord[]) => {
    const messages = records.filter((record) => isPublished(record)).map((record) => outboxMessage(record));
    for (let start = 0; start < messages.length; start += 10) {
      const batch = messages.slice(start, start + 10);
      const result = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: options.queueUrl,
          Entries: batch.map((body, index) => ({ Id: String(index), MessageBody: body })),
        }),
      );
      if (result.Failed?.length) throw new Error(`queue refused ${result.Failed.length} outbox messages`);
    }
    published += messages.length;
  };

  const readShard = async (shardId: string, state: ShardState): Promise<number> => {
    state.iterator ??= await iteratorFor(shardId, state, false);
    if (!state.iterator) {
      state.closed = true;
      return 0;
    }
    let result: GetRecordsCommandOutput;
    try {
      result = await streams.send(new GetRecordsCommand({ ShardIterator: state.iterator, Limit: 100 }));
    } catch (error) {
      // An expired or trimmed iterator: start again after the last record published.
      if (
        (error as Error).name === 'ExpiredIteratorException' ||
        (error as Error).name === 'TrimmedDataAccessException'
      ) {
        state.iterator = undefined;
        return 0;
      }
      throw error;
    }
    const records = result.Records ?? [];
    await publish(records);
    const last = records.at(-1)?.dynamodb?.SequenceNumber;
    if (last) state.lastSequence = last;
    state.iterator = result.NextShardIterator;
    if (!state.iterator) state.closed = true;
    return records.length;
  };

  const loop = async () => {
    while (running) {
      if (paused) {
        markIdle();
        await sleep(1000);
        continue;
      }
      try {
        if (!streamArn || Date.now() - listedAt > 1000) await listShards();
        let read = 0;
        for (const [shardId, state] of shards) {
          if (state.closed) continue;
          try {
            read += await readShard(shardId, state);
          } catch (error) {
            // One shard's trouble never stops the others. Its records past the stream's retention
            // are gone: go on from the oldest it still holds (at least once, as the pipe does).
            const name = (error as Error).name;
            if (name === 'TrimmedDataAccessException' || name === 'ResourceNotFoundException') {
              state.lastSequence = undefined;
              state.iterator = undefined;
            }
            if (!running) return;
            console.error(`[stream] shard ${shardId} of ${options.table}:`, (error as Error).message);
          }
        }
        if (read === 0) {
          markIdle();
          await sleep(idleMs);
        }
      } catch (error) {
        if (!running) return;
        console.error(`[stream] ${options.table} -> queue failed:`, (error as Error).message);
        await sleep(500);
      }
    }
    markIdle();
  };
  const done = loop();

  return {
    /** Stops reading and waits for the batch being published. */
    async stop() {
      running = false;
      wake?.();
      await done;
      dynamo.destroy();
      streams.destroy();
      sqs.destroy();
    },
    /** Stops publishing after the batch in hand (records written meanwhile wait in the stream). */
    async pause() {
      idle = new Promise<void>((resolve) => {
        markIdle = resolve;
      });
      paused = true;
      wake?.();
      await idle;
    },
    /** Publishes again; with `dropPending`, what the stream got while paused is never published. */
    async resume(options: { dropPending?: boolean } = {}) {
      if (options.dropPending) {
        await listShards();
        for (const [shardId, state] of shards) {
          if (!state.closed) state.iterator = await iteratorFor(shardId, state, true);
        }
      }
      paused = false;
      wake?.();
    },
    get published() {
      return published;
    },
  };
};
export type StreamPoller = ReturnType<typeof startStreamPoller>;
