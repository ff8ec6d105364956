import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { DeleteQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type * as z from 'zod';
import { createDocumentClient, createSqs } from '#adapters/aws-clients.js';
import { ruleStatsRepository } from '#adapters/rule-stats-repository.js';
import { fixedRules, type RuleSource } from '#domain/rules/active-rules.js';
import * as admin from '#handlers/admin.js';
import * as ruleStats from '#handlers/rule-stats.js';
import * as validate from '#handlers/validate.js';
import { QUEUES, type QueueKey } from '#lib/queues.js';
import { FUNCTIONS } from '#lib/routes.js';
import { TABLES, type TableKey } from '#lib/tables.js';
import { parseConfigWith } from '#shared/config.js';
import { loadRulesEngine } from '#shared/rules-loader.js';
import { createTables } from '../../local/dynamodb.js';
import { createQueues, type LocalQueue, localSqsClient } from '../../local/sqs.js';
import { functionSink, startStreamPoller, startStreamReader } from '../../local/stream-poller.js';
import { httpApiEvent, lambdaContext } from '../fixtures/events.js';

/**
 * The stack's tables and queues for one test file, under a prefix of its own, on the DynamoDB
 * Local and fauxqs the global setup started; SDK clients on them for the adapters a test builds a
 * handler from. Nothing here touches a function's environment: each test parses the function's
 * own configuration schema from the variables it passes (`configOf`). With `outboxStream`, new
 * delivery records reach the deliveries queue through the table's stream, as the stack's pipe
 * sends them (local/stream-poller.ts). With `ruleStatsStream`, the ruleStats function (built on these
 * tables) is invoked with the decisions table's stream records, as its event source mapping does.
 */
export const handlerResources = async (options: { outboxStream?: boolean; ruleStatsStream?: boolean } = {}) => {
  const dynamodbEndpoint = process.env.TEST_DYNAMODB_ENDPOINT;
  const sqsEndpoint = process.env.TEST_SQS_ENDPOINT;
  if (!dynamodbEndpoint || !sqsEndpoint) throw new Error('run through jest: the global setup starts the services');
  const prefix = `h${randomUUID().slice(0, 8)}`;
  const tables = Object.fromEntries(Object.keys(TABLES).map((key) => [key, `${prefix}-${key}`])) as Record<
    TableKey,
    string
  >;
  const queueNames = Object.fromEntries(Object.keys(QUEUES).map((key) => [key, `${prefix}-${key}`])) as Record<
    QueueKey,
    string
  >;
  await createTables(dynamodbEndpoint, tables);
  const queues: Record<QueueKey, LocalQueue> = await createQueues(sqsEndpoint, queueNames);
  const documentClient = createDocumentClient({ region: 'us-east-1', dynamodbEndpoint });
  const settings = { region: 'us-east-1', sqsEndpoint };
  // The functions' SQS (its module loaded on first send), and a plain client for the tests' own reads.
  const sqs = createSqs(settings);
  const sqsClient = localSqsClient(sqsEndpoint);
  const outboxStream = options.outboxStream
    ? startStreamPoller({ dynamodbEndpoint, sqsEndpoint, table: tables.deliveries, queueUrl: queues.deliveries.url })
    : undefined;
  const ruleStatsHandler = ruleStats.buildHandler({ stats: ruleStatsRepository(documentClient, tables.analytics) });
  const trigger = FUNCTIONS.ruleStats.trigger;
  const ruleStatsStream = options.ruleStatsStream
    ? startStreamReader({
        dynamodbEndpoint,
        table: tables.decisions,
        sink: (streamArn) =>
          functionSink({
            name: 'ruleStats',
            invoke: (event) => ruleStatsHandler(event, lambdaContext('ruleStats')),
            batchSize: trigger.batchSize,
            retryAttempts: trigger.retryAttempts,
            streamArn,
          }),
      })
    : undefined;

  /** The table and queue variables of these resources, as the stack's bind helpers would set them. */
  const variables: Record<string, string> = { DYNAMODB_ENDPOINT: dynamodbEndpoint, SQS_ENDPOINT: sqsEndpoint };
  for (const [key, spec] of Object.entries(TABLES)) variables[spec.envVar] = tables[key as TableKey];
  for (const [key, spec] of Object.entries(QUEUES)) {
    variables[spec.envVar] = queues[key as QueueKey].url;
    variables[spec.dlqEnvVar] = queues[key as QueueKey].dlqUrl;
  }

  return {
    dynamodbEndpoint,
    tables,
    queues,
    documentClient,
    sqs,

    /**
     * A function's configuration from its own schema and the given variables only (the schema
     * ignores the ones it does not declare), never from process.env.
     */
    configOf: <S extends z.ZodObject>(schema: S, extra: Record<string, string> = {}): z.infer<S> =>
      parseConfigWith(schema, { ...variables, ...extra }),

    async item(table: TableKey, key: Record<string, string>) {
      return (await documentClient.send(new GetCommand({ TableName: tables[table], Key: key, ConsistentRead: true })))
        .Item;
    },

    async put(table: TableKey, item: Record<string, unknown>) {
      await documentClient.send(new PutCommand({ TableName: tables[table], Item: item }));
    },

    /** A case's history, oldest first. */
    async history(transactionId: string) {
      const result = await documentClient.send(
        new QueryCommand({
          TableName: tables.history,
          KeyConditionExpression: 'transactionId = :t',
          ExpressionAttributeValues: { ':t': transactionId },
        }),
      );
      return result.Items ?? [];
    },

    /** The bodies of the messages waiting in a queue (received, so hidden for its visibility timeout). */
    async receive(queue: QueueKey, which: 'url' | 'dlqUrl' = 'url') {
      const result = await sqsClient.send(
        new ReceiveMessageCommand({ QueueUrl: queues[queue][which], MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      return (result.Messages ?? []).map((message) => JSON.parse(message.Body ?? 'null') as Record<string, unknown>);
    },

    async destroy() {
      await outboxStream?.stop();
      await ruleStatsStream?.stop();
      for (const queue of Object.values(queues)) {
        for (const url of [queue.url, queue.dlqUrl]) {
          await sqsClient.send(new DeleteQueueCommand({ QueueUrl: url })).catch(() => undefined);
        }
      }
      documentClient.destroy();
      sqsClient.destroy();
      sqs.destroy();
    },
  };
};

export type HandlerResources = Awaited<ReturnType<typeof handlerResources>>;

export const TOQIO_KEY = 'handler-test-toqio-key-0001';

/**
 * The validate function built from its own schema and real adapters on these resources, with the
 * shipped rule set, and a POST of a payload to it as API Gateway would send it (Toqio's key unless
 * other headers are given). Tests of case handlers open their cases through it, as Toqio does.
 * `rules` replaces the shipped file (the rule set tests give it the active version from storage).
 */
export const validateFunction = async (resources: HandlerResources, rules?: RuleSource) => {
  const { documentClient, sqs } = resources;
  const config = resources.configOf(validate.ValidateConfigSchema, { TOQIO_API_KEY: TOQIO_KEY });
  const handler = validate.buildHandler({
    ...validate.validateAdapters(config, documentClient, sqs),
    // Awaited: the loader may read the rule set asynchronously.
    rules:
      rules ?? fixedRules(await loadRulesEngine(fileURLToPath(new URL('../../rules/default.yaml', import.meta.url)))),
  });
  return (payload: unknown, headers: Record<string, string> = { 'x-api-key': TOQIO_KEY }) =>
    handler(
      httpApiEvent({
        method: 'POST',
        path: '/transaction/validate',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(payload),
      }),
      lambdaContext('validate'),
    );
};

/**
 * The admin function built from its own schema (with these variables, such as ADMIN_TOKENS) and
 * real adapters on these resources, and a request to its Function URL (the HTTP API's v2.0 event).
 */
export const adminFunction = (resources: HandlerResources, variables: Record<string, string>) => {
  const config = resources.configOf(admin.AdminConfigSchema, variables);
  const handler = admin.buildHandler(admin.adminDeps(config, resources.documentClient));
  return (
    method: string,
    target: string,
    headers: Record<string, string> = {},
    body?: unknown,
    sourceIp = '127.0.0.1',
  ) => {
    // A query string in the target becomes the event's query, as the Function URL splits it.
    const [path = target, query] = target.split('?', 2);
    return handler(
      httpApiEvent({
        method,
        path,
        ...(query === undefined ? {} : { query }),
        routeKey: '$default',
        sourceIp,
        headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
      lambdaContext('admin'),
    );
  };
};

/** A JSON HTTP answer as a test reads it. */
// biome-ignore lint/suspicious/noExplicitAny: tests read answers loosely and assert on them.
export const bodyOf = (result: { body?: string | undefined }): Record<string, any> => JSON.parse(result.body ?? 'null');
