import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { QUEUES } from '#lib/queues.js';
import { TABLES, type TableKey } from '#lib/tables.js';
import { LOCAL_DEFAULTS } from './defaults.js';
import { createTables, type DynamoDbLocal, startDynamoDbLocal } from './dynamodb.js';
import { type Gateway, startGateway } from './gateway.js';
import { freePort } from './ports.js';
import { createQueues, type LocalSqs, startLocalSqs } from './sqs.js';

export interface LocalStackOptions {
  /** API port (PORT); 0 picks a free one. */
  port?: number;
  /** DynamoDB Local port; 0 picks a free one. */
  dynamodbPort?: number;
  sqsPort?: number;
  /** Where DynamoDB Local keeps its data; undefined keeps it in memory. */
  dataDir?: string;
  /** Delete the data directory first. */
  fresh?: boolean;
  /** Prefix of table and queue names (tests give each suite its own). */
  prefix?: string;
  /** Use an already running DynamoDB Local / fauxqs instead of starting them. */
  dynamodbEndpoint?: string;
  sqsEndpoint?: string;
}

export interface LocalStack {
  apiUrl: string;
  dynamodbEndpoint: string;
  sqsEndpoint: string;
  tables: Record<TableKey, string>;
  queues: Record<keyof typeof QUEUES, string>;
  stop(): Promise<void>;
}

/**
 * Starts the whole system on this machine: DynamoDB Local, fauxqs, the tables and queues of the
 * stack, and the gateway serving the real handlers. Sets process.env before any handler loads,
 * because handlers read their configuration once, at import (cold start).
 */
export const startLocalStack = async (options: LocalStackOptions = {}): Promise<LocalStack> => {
  const prefix = options.prefix ?? 'tm-proxy-local';
  const stoppers: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const stopOne of stoppers.reverse()) await stopOne().catch(() => undefined);
  };
  try {
    if (options.fresh && options.dataDir) rmSync(resolve(options.dataDir), { recursive: true, force: true });
    let dynamodbEndpoint = options.dynamodbEndpoint;
    if (!dynamodbEndpoint) {
      const port = options.dynamodbPort || (await freePort());
      const dynamo: DynamoDbLocal = await startDynamoDbLocal({
        port,
        ...(options.dataDir ? { dataDir: options.dataDir } : {}),
      });
      stoppers.push(() => dynamo.stop());
      dynamodbEndpoint = dynamo.endpoint;
    }
    let sqsEndpoint = options.sqsEndpoint;
    if (!sqsEndpoint) {
      const sqs: LocalSqs = await startLocalSqs({ port: options.sqsPort ?? 0 });
      stoppers.push(() => sqs.stop());
      sqsEndpoint = sqs.endpoint;
    }
    const tables = Object.fromEntries(Object.keys(TABLES).map((key) => [key, `${prefix}-${key}`])) as Record<
      TableKey,
      string
    >;
    await createTables(dynamodbEndpoint, tables);
    const queueNames = Object.fromEntries(Object.keys(QUEUES).map((key) => [key, `${prefix}-${key}`])) as Record<
      keyof typeof QUEUES,
      string
    >;
    const queues = await createQueues(sqsEndpoint, queueNames);

    // An empty variable counts as unset, as it does for the configuration itself.
    for (const [name, value] of Object.entries(LOCAL_DEFAULTS)) if (!process.env[name]) process.env[name] = value;
    process.env.DYNAMODB_ENDPOINT = dynamodbEndpoint;
    process.env.SQS_ENDPOINT = sqsEndpoint;
    for (const [key, spec] of Object.entries(TABLES)) process.env[spec.envVar] = tables[key as TableKey];
    for (const [key, spec] of Object.entries(QUEUES)) process.env[spec.envVar] = queues[key as keyof typeof QUEUES];

    const port = options.port ?? 3000;
    if (!process.env.TOQIO_WEBHOOK_BASE_URL)
      process.env.TOQIO_WEBHOOK_BASE_URL = `http://127.0.0.1:${port || 3000}/local/toqio`;
    const gateway: Gateway = await startGateway({ port });
    stoppers.push(() => gateway.close());
    return { apiUrl: gateway.url, dynamodbEndpoint, sqsEndpoint, tables, queues, stop };
  } catch (error) {
    await stop();
    throw error;
  }
};
