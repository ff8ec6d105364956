import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { QUEUES } from '#lib/queues.js';
import { FUNCTIONS, type FunctionName } from '#lib/routes.js';
import { shippedRuleSetVersion } from '#lib/rule-sets.js';
import { TABLES, type TableKey } from '#lib/tables.js';
import { buildUi } from './build-ui.js';
import { LOCAL_DEFAULTS } from './defaults.js';
import { createTables, type DynamoDbLocal, startDynamoDbLocal } from './dynamodb.js';
import {
  functionUrlResolver,
  type Gateway,
  type Invoke,
  invokeInProcess,
  type LocalEndpoint,
  startGateway,
} from './gateway.js';
import { freePort } from './ports.js';
import { seedRuleSets } from './rule-sets.js';
import { startScheduler } from './scheduler.js';
import { createQueues, type LocalQueue, type LocalSqs, startLocalSqs } from './sqs.js';
import { startSqsPoller } from './sqs-poller.js';
import { functionSink, type StreamPoller, startStreamPoller, startStreamReader } from './stream-poller.js';
import { type ReceivedWebhook, toqioSink } from './toqio-sink.js';

export interface LocalStackOptions {
  /** API port (PORT); 0 picks a free one. */
  port?: number;
  /** Admin Function URL port (ADMIN_PORT); 0 picks a free one. */
  adminPort?: number;
  /** Run the SQS consumers and schedules (default true); tests of one handler may turn them off. */
  workers?: boolean;
  /** Print each webhook the local Toqio sink receives. */
  printWebhooks?: boolean;
  /** Where the web UI is built for the admin function (default .local/ui-<prefix>). */
  uiDir?: string;
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
  /**
   * Runs the functions elsewhere than in this process: called once the tables, queues and Toqio sink
   * exist (`npm start -- --bundled`: each function from its bundle, in its own process; local/bundled/).
   */
  functions?: (resources: LocalResources) => Promise<FunctionHost>;
}

/** What the local stack gives a function host. */
export interface LocalResources {
  dynamodbEndpoint: string;
  sqsEndpoint: string;
  tables: Record<TableKey, string>;
  queues: Record<keyof typeof QUEUES, LocalQueue>;
  /** The local Toqio sink (what it receives is listed in `toqioWebhooks`). */
  toqioSink: LocalEndpoint;
}

/** Functions run outside this process: the gateways, queue pollers and schedules invoke them through it. */
export interface FunctionHost {
  invoke: Invoke;
  /** The SQS endpoint and queue URL a function's event source polls with (in AWS: with the function's role). */
  eventSource?(name: FunctionName, queue: LocalQueue): { endpoint: string; queueUrl: string };
  /** Stops the functions (after the gateways and pollers have drained, before storage). */
  stop(): Promise<void>;
}

export interface LocalStack {
  apiUrl: string;
  adminUrl: string;
  dynamodbEndpoint: string;
  sqsEndpoint: string;
  tables: Record<TableKey, string>;
  queues: Record<keyof typeof QUEUES, LocalQueue>;
  /** Runs a scheduled function now (as its timer would). */
  runScheduled(name: FunctionName): Promise<unknown>;
  /** Webhooks the local Toqio sink received (when TOQIO_WEBHOOK_BASE_URL points at it). */
  toqioWebhooks: ReceivedWebhook[];
  /** The outbox's path from the deliveries table's stream to its queue (absent without workers). */
  outboxStream?: StreamPoller;
  stop(): Promise<void>;
}

/**
 * Starts the whole system on this machine: DynamoDB Local, fauxqs, the tables and queues of the
 * stack, and the gateway serving the real handlers. Sets process.env before any handler loads,
 * because handlers read their configuration once, at import (cold start).
 */
export const startLocalStack = async (options: LocalStackOptions = {}): Promise<LocalStack> => {
  const prefix = options.prefix ?? 'tm-proxy-local';
  /** Storage and queues: stopped last, one after the other. */
  const stoppers: (() => Promise<void>)[] = [];
  /** What takes work (gateways, queue pollers, schedules): stopped first, together, letting work in flight finish. */
  const drainers: (() => Promise<void>)[] = [];
  const stop = async () => {
    await Promise.all(drainers.splice(0).map((drain) => drain().catch(() => undefined)));
    for (const stopOne of stoppers.splice(0).reverse()) await stopOne().catch(() => undefined);
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
    for (const [key, spec] of Object.entries(QUEUES)) {
      process.env[spec.envVar] = queues[key as keyof typeof QUEUES].url;
      process.env[spec.dlqEnvVar] = queues[key as keyof typeof QUEUES].dlqUrl;
    }

    await seedRuleSets(dynamodbEndpoint, tables.ruleSets, {
      outbound: process.env.RULES_FILE || 'rules/default.yaml',
      inbound: process.env.INBOUND_RULES_FILE || 'rules/inbound.yaml',
    });
    // As the stack binds it to health (lib/constructs/project-function.ts): the shipped rule set's version.
    if (!process.env.RULE_SET_VERSION) process.env.RULE_SET_VERSION = shippedRuleSetVersion();
    process.env.UI_DIR = await buildUi(options.uiDir ?? `.local/ui-${prefix}`);
    const port = options.port ?? 3000;
    const sink = toqioSink(
      () => (process.env.TOQIO_API_KEY_HEADER ?? 'x-api-key').toLowerCase(),
      () => process.env.TOQIO_API_KEY ?? '',
      !options.printWebhooks,
    );
    const host = await options.functions?.({
      dynamodbEndpoint,
      sqsEndpoint,
      tables,
      queues,
      toqioSink: sink.endpoint,
    });
    if (host) stoppers.push(() => host.stop());
    const invoke = host?.invoke ?? invokeInProcess;
    const gateway: Gateway = await startGateway({ port, local: sink.endpoint, invoke });
    drainers.push(() => gateway.close());
    if (!process.env.TOQIO_WEBHOOK_BASE_URL) process.env.TOQIO_WEBHOOK_BASE_URL = `${gateway.url}/local/toqio`;
    const admin: Gateway = await startGateway({
      port: options.adminPort ?? 3001,
      resolve: functionUrlResolver('admin'),
      invoke,
    });
    drainers.push(() => admin.close());

    const schedulers = new Map<FunctionName, ReturnType<typeof startScheduler>>();
    let outboxStream: StreamPoller | undefined;
    if (options.workers !== false) {
      // What EventBridge Pipes does in AWS: new outbox records, from the table's stream to the queue.
      const stream = startStreamPoller({
        dynamodbEndpoint,
        sqsEndpoint,
        table: tables.deliveries,
        queueUrl: queues.deliveries.url,
      });
      outboxStream = stream;
      drainers.push(() => stream.stop());
      for (const [name, spec] of Object.entries(FUNCTIONS) as [FunctionName, (typeof FUNCTIONS)[FunctionName]][]) {
        const trigger = spec.trigger as (typeof FUNCTIONS)[FunctionName]['trigger'];
        if (trigger.kind === 'sqs') {
          const queue = queues[trigger.queue];
          const poller = startSqsPoller({
            endpoint: sqsEndpoint,
            queueUrl: queue.url,
            ...host?.eventSource?.(name, queue),
            queueArn: queue.arn,
            functionName: name,
            batchSize: trigger.batchSize,
            maxConcurrency: trigger.maxConcurrency,
            invoke,
          });
          drainers.push(() => poller.stop());
        } else if (trigger.kind === 'dynamodbStream') {
          // What a Lambda event source mapping on the table's stream does in AWS.
          const reader = startStreamReader({
            dynamodbEndpoint,
            table: tables[trigger.table],
            // Lambda polls a stream's shards about four times a second; reading DynamoDB Local's
            // stream every 20 ms instead would take CPU from the very calls it records.
            idleMs: 250,
            sink: (streamArn) =>
              functionSink({
                name,
                invoke: (event) => invoke(name, event),
                batchSize: trigger.batchSize,
                retryAttempts: trigger.retryAttempts,
                streamArn,
              }),
          });
          drainers.push(() => reader.stop());
        } else if (trigger.kind === 'schedule') {
          const scheduler = startScheduler(name, trigger.everyMinutes, invoke);
          schedulers.set(name, scheduler);
          drainers.push(() => scheduler.stop());
        }
      }
    }
    return {
      apiUrl: gateway.url,
      adminUrl: admin.url,
      dynamodbEndpoint,
      sqsEndpoint,
      tables,
      queues,
      toqioWebhooks: sink.received,
      ...(outboxStream ? { outboxStream } : {}),
      runScheduled: (name) => schedulers.get(name)?.runNow() ?? Promise.reject(new Error(`${name} is not scheduled`)),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
};
