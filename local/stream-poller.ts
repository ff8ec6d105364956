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
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { isPublished, outboxMessage } from '#lib/outbox-stream.js';
import { localDynamoClient } from './dynamodb.js';
import { localSqsClient } from './sqs.js';

interface ShardState {
  iterator?: string;
  /** The last record handled: where to go on from when an iterator expires or a batch partly failed. */
  lastSequence?: string;
  closed: boolean;
}

/**
 * Where a shard's records go: handles them in order and answers how many, from the first, are
 * done (the rest are read again, after the last one done); throws when none is.
 */
export interface StreamSink {
  handle(records: StreamRecord[]): Promise<number>;
  stop?(): void;
}

/**
 * The EventBridge pipe of lib/constructs/outbox-pipe.ts: keeps the records the pipe's filter keeps
 * (lib/outbox-stream.ts) and sends the pipe's message for each to the queue; a failed send throws,
 * so the batch is read again, never skipped.
 */
export const queueSink = (options: { sqsEndpoint: string; queueUrl: string }): StreamSink & { published(): number } => {
  const sqs = localSqsClient(options.sqsEndpoint);
  let published = 0;
  return {
    async handle(records) {
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
      return records.length;
    },
    stop: () => sqs.destroy(),
    published: () => published,
  };
};

/** An attribute value as Lambda's JSON event carries it: binary values base64-encoded. */
const asLambdaJson = (value: unknown): unknown => {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map(asLambdaJson);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, asLambdaJson(inner)]));
  }
  return value;
};

/** A stream record in the shape Lambda's DynamoDB event source gives a function (DynamoDBStreamEvent). */
export const lambdaStreamRecord = (record: StreamRecord, streamArn: string) => {
  const change = record.dynamodb ?? {};
  return {
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: record.eventVersion ?? '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: record.awsRegion ?? 'us-east-1',
    eventSourceARN: streamArn,
    dynamodb: asLambdaJson({
      ...(change.ApproximateCreationDateTime
        ? { ApproximateCreationDateTime: Math.floor(change.ApproximateCreationDateTime.getTime() / 1000) }
        : {}),
      Keys: change.Keys,
      ...(change.NewImage ? { NewImage: change.NewImage } : {}),
      ...(change.OldImage ? { OldImage: change.OldImage } : {}),
      SequenceNumber: change.SequenceNumber,
      SizeBytes: change.SizeBytes,
      StreamViewType: change.StreamViewType,
    }),
  } as DynamoDBStreamEvent['Records'][number];
};

/**
 * A Lambda event source mapping on the stream: invokes the function with batches of at most
 * `batchSize` records; a batch item failure (or a failed invocation) makes the records from the
 * first failed one read and sent again, `retryAttempts` times; after that, as the mapping sends the
 * batch's pointer to its on-failure queue, the failed record is logged as an error and passed.
 */
export const functionSink = (options: {
  name: string;
  invoke: (event: DynamoDBStreamEvent) => Promise<unknown>;
  batchSize: number;
  retryAttempts: number;
  streamArn: () => string;
}): StreamSink => {
  const attempts = new Map<string, number>();
  return {
    async handle(records) {
      for (let start = 0; start < records.length; start += options.batchSize) {
        const batch = records.slice(start, start + options.batchSize);
        let failedAt: number | undefined;
        try {
          const response = (await options.invoke({
            Records: batch.map((record) => lambdaStreamRecord(record, options.streamArn())),
          })) as DynamoDBBatchResponse | undefined;
          const failed = new Set((response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
          const index = batch.findIndex((record) => failed.has(record.dynamodb?.SequenceNumber ?? ''));
          if (index >= 0) failedAt = index;
        } catch (error) {
          console.error(`[stream] ${options.name} failed:`, (error as Error).message);
          failedAt = 0;
        }
        if (failedAt === undefined) continue;
        const failed = batch[failedAt];
        const sequence = failed?.dynamodb?.SequenceNumber ?? '';
        const tried = (attempts.get(sequence) ?? 0) + 1;
        attempts.set(sequence, tried);
        if (tried <= options.retryAttempts) {
          // Lambda retries a failed batch after a pause; so does this.
          await new Promise((resolve) => setTimeout(resolve, 100));
          return start + failedAt;
        }
        attempts.delete(sequence);
        console.error(
          `[stream] ${options.name}: record ${sequence} (${JSON.stringify(failed?.dynamodb?.Keys)}) failed ${tried} times; on-failure destination`,
        );
        return start + failedAt + 1;
      }
      return records.length;
    },
  };
};

/**
 * Reads a table's stream on DynamoDB Local, from the oldest record on (TRIM_HORIZON, as the pipe
 * and the event source mappings start), and hands each shard's records, in order, to a sink: the
 * outbox pipe's queue (`queueSink`) or a function (`functionSink`). At least once, as in AWS: a
 * batch not handled is read again, never skipped. `pause()`/`resume({ dropPending })` let a test
 * lose the stream's records on purpose (a pipe that was down longer than the stream keeps them).
 */
export const startStreamReader = (options: {
  dynamodbEndpoint: string;
  table: string;
  sink: StreamSink | ((streamArn: () => string) => StreamSink);
  /** How long to wait when no shard had a new record. */
  idleMs?: number;
}) => {
  const dynamo = localDynamoClient(options.dynamodbEndpoint);
  const streams = new DynamoDBStreamsClient({
    endpoint: options.dynamodbEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const idleMs = options.idleMs ?? 20;
  const sink =
    typeof options.sink === 'function' ? options.sink(() => streamArn ?? `${options.table}/stream`) : options.sink;
  const shards = new Map<string, ShardState>();
  let running = true;
  let paused = false;
  let streamArn: string | undefined;
  let listedAt = 0;
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
    const handled = await sink.handle(records);
    const last = records[handled - 1]?.dynamodb?.SequenceNumber;
    if (last) state.lastSequence = last;
    if (handled < records.length) {
      // The rest is read again, from after the last record handled.
      state.iterator = undefined;
      return handled;
    }
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
      sink.stop?.();
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
  };
};
export type StreamReader = ReturnType<typeof startStreamReader>;

/** The outbox pipe's local stand-in: the deliveries table's stream to the deliveries queue. */
export const startStreamPoller = (options: {
  dynamodbEndpoint: string;
  sqsEndpoint: string;
  table: string;
  queueUrl: string;
  idleMs?: number;
}) => {
  const sink = queueSink(options);
  const reader = startStreamReader({ ...options, sink });
  return Object.assign(reader, {
    get published() {
      return sink.published();
    },
  });
};
export type StreamPoller = ReturnType<typeof startStreamPoller>;
