/**
 * npm run bench (capacity part): what one decision consumes in DynamoDB, measured, not estimated.
 * The validate function is built from its own schema and real adapters on DynamoDB Local, with a
 * client that asks every call for ReturnConsumedCapacity=INDEXES (DynamoDB Local reports it, GSIs
 * included, transactional writes doubled as DynamoDB bills them) and counts round trips. Per kind
 * of decision, with and without the OnePipe listener: read and write units, round trips, and the
 * cost per 1,000 decisions from those units and README's price table (What it costs).
 */
import { randomUUID } from 'node:crypto';
import './quiet-logs.js';
import '../local/sdk-notices.js';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { ConditionalCheckFailedException, type ConsumedCapacity } from '@aws-sdk/client-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient, createSqs } from '#adapters/aws-clients.js';
import { fixedRules } from '#domain/rules/active-rules.js';
import * as deliver from '#handlers/deliver.js';
import * as validate from '#handlers/validate.js';
import { QUEUES, type QueueKey } from '#lib/queues.js';
import { TABLES, type TableKey } from '#lib/tables.js';
import { parseConfigWith } from '#shared/config.js';
import { loadRulesEngine } from '#shared/rules-loader.js';
import { createTables, startDynamoDbLocal } from '../local/dynamodb.js';
import { httpApiEvent, lambdaContext, sqsEvent } from '../local/events.js';
import { freePort } from '../local/ports.js';
import { createQueues, startLocalSqs } from '../local/sqs.js';

/** README's prices (us-east-1 list prices), per request or unit. */
export const PRICES = {
  apiGatewayRequest: 1.0 / 1e6,
  lambdaGbSecond: 0.0000133334,
  lambdaRequest: 0.2 / 1e6,
  writeUnit: 0.625 / 1e6,
  readUnit: 0.125 / 1e6,
  sqsRequest: 0.4 / 1e6,
  pipesRequest: 0.4 / 1e6,
  logsGb: 0.5,
};
/** What is not DynamoDB in a decision's cost (README's table): API Gateway, Lambda (1 GB, ~20 ms), logs (~1 KB). */
const fixedPerDecision =
  PRICES.apiGatewayRequest + PRICES.lambdaGbSecond * 0.02 + PRICES.lambdaRequest + (1024 / 1024 ** 3) * PRICES.logsGb;
/**
 * What a webhook owed costs besides its DynamoDB units (measured below): the pipe's event, SQS
 * (send, receive, delete; twice, as a held delivery's first message is sent back until due) and
 * the deliver function's two runs (512 MB; ~100 ms each, most of it the partner's answer).
 */
const perWebhookBesidesDynamo =
  PRICES.pipesRequest + 6 * PRICES.sqsRequest + 2 * (PRICES.lambdaRequest + PRICES.lambdaGbSecond * 0.5 * 0.1);

const SAMPLES = Number(process.env.BENCH_CAPACITY_SAMPLES ?? 20);

const dynamo = await startDynamoDbLocal({ port: await freePort() });
const sqs = await startLocalSqs({ port: 0 });
const prefix = `cap${Date.now()}`;
const tables = Object.fromEntries(Object.keys(TABLES).map((key) => [key, `${prefix}-${key}`])) as Record<
  TableKey,
  string
>;
await createTables(dynamo.endpoint, tables);
const queues = await createQueues(
  sqs.endpoint,
  Object.fromEntries(Object.keys(QUEUES).map((key) => [key, `${prefix}-${key}`])) as Record<QueueKey, string>,
);

/** Capacity and round trips of every call made through this client. */
const meter = { reads: 0, writes: 0, calls: 0, byTable: new Map<string, number>() };
const documentClient = createDocumentClient({ region: 'us-east-1', dynamodbEndpoint: dynamo.endpoint });
documentClient.middlewareStack.add(
  (next, context) => async (args) => {
    (args.input as Record<string, unknown>).ReturnConsumedCapacity = 'INDEXES';
    meter.calls++;
    let result: Awaited<ReturnType<typeof next>>;
    try {
      result = await next(args);
    } catch (error) {
      // A write whose condition fails is billed all the same (at least 1 unit; the item here is
      // under 1 KB) but answers no ConsumedCapacity: counted here.
      if (error instanceof ConditionalCheckFailedException) meter.writes += 1;
      throw error;
    }
    const consumed = (result.output as { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] }).ConsumedCapacity;
    const isRead = /^(Get|BatchGet|Query|Scan|TransactGet)/.test(String(context.commandName));
    for (const entry of [consumed ?? []].flat()) {
      if (process.env.BENCH_CAPACITY_DEBUG) console.error(context.commandName, JSON.stringify(entry));
      const units = entry.CapacityUnits ?? 0;
      if (isRead) meter.reads += units;
      else meter.writes += units;
      meter.byTable.set(String(entry.TableName), (meter.byTable.get(String(entry.TableName)) ?? 0) + units);
    }
    return result;
  },
  { step: 'initialize', name: 'benchConsumedCapacity' },
);
const functionsSqs = createSqs({ region: 'us-east-1', sqsEndpoint: sqs.endpoint });

const variables: Record<string, string> = {
  DYNAMODB_ENDPOINT: dynamo.endpoint,
  SQS_ENDPOINT: sqs.endpoint,
  TOQIO_API_KEY: 'bench-toqio-key-0001',
  LOG_LEVEL: 'ERROR',
};
for (const [key, spec] of Object.entries(TABLES)) variables[spec.envVar] = tables[key as TableKey];
for (const [key, spec] of Object.entries(QUEUES)) {
  variables[spec.envVar] = queues[key as QueueKey].url;
  if ('dlqEnvVar' in spec) variables[spec.dlqEnvVar] = queues[key as QueueKey].dlqUrl;
}

const rules = await loadRulesEngine(fileURLToPath(new URL('../rules/default.yaml', import.meta.url)));
const validateWith = (extra: Record<string, string>) => {
  const config = parseConfigWith(validate.ValidateConfigSchema, { ...variables, ...extra });
  const handler = validate.buildHandler({
    ...validate.validateAdapters(config, documentClient, functionsSqs),
    rules: fixedRules(rules),
  });
  return async (payload: Record<string, unknown>) => {
    const result = await handler(
      httpApiEvent({
        method: 'POST',
        path: '/transaction/validate',
        headers: { 'content-type': 'application/json', 'x-api-key': variables.TOQIO_API_KEY as string },
        body: JSON.stringify(payload),
      }),
      lambdaContext('validate'),
    );
    return JSON.parse(String((result as { body?: string }).body)) as { status: string };
  };
};

/** OnePipe's listener, answering every debit report as OnePipe does when it takes one. */
const onepipeListener = createServer((request, response) => {
  request.resume();
  request.on('end', () =>
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"Successful"}'),
  );
});
await new Promise<void>((resolve) => onepipeListener.listen(0, '127.0.0.1', resolve));
const listenerSettings = {
  ONEPIPE_LISTENER_URL: `http://127.0.0.1:${(onepipeListener.address() as AddressInfo).port}/listener`,
  ONEPIPE_OUTBOUND_API_KEY: 'bench-onepipe-key',
  ONEPIPE_OUTBOUND_CLIENT_SECRET: 'bench-onepipe-secret',
};
const listenerOff = validateWith({});
const listenerOn = validateWith(listenerSettings);

/**
 * The deliver function on the same metered client, with a clock the bench sets: a debit report's
 * first message comes while the record is held (it is sent back), the next once it is due.
 */
let deliverClock = new Date();
const deliverConfig = parseConfigWith(deliver.DeliverConfigSchema, {
  ...variables,
  ...listenerSettings,
  TOQIO_WEBHOOK_BASE_URL: 'https://core.sandbox.toq.io/webhooks/integration/bench',
});
const deliverHandler = deliver.buildHandler({
  ...deliver.deliverDeps(deliverConfig, documentClient, functionsSqs),
  now: () => deliverClock,
});
const deliverOnce = async (deliveryId: string) => {
  const event = sqsEvent([{ deliveryId }], 'arn:aws:sqs:us-east-1:000000000000:deliveries');
  const result = (await deliverHandler(event, lambdaContext('deliver'))) as { batchItemFailures?: unknown[] };
  if (result?.batchItemFailures?.length) throw new Error(`deliver failed ${deliveryId}`);
};
/** Units the webhook a decision owes consumes in DynamoDB: its held first message, then its attempt. */
const deliveryUnits = async (transactionId: string) => {
  const stored = await documentClient.send(
    new GetCommand({ TableName: tables.decisions, Key: { transactionId }, ConsistentRead: true }),
  );
  const [deliveryId] = (stored.Item?.deliveryIds as string[] | undefined) ?? [];
  if (!deliveryId) throw new Error(`${transactionId} owes no webhook`);
  Object.assign(meter, { reads: 0, writes: 0, calls: 0 });
  deliverClock = new Date();
  await deliverOnce(deliveryId);
  deliverClock = new Date(Date.now() + 60_000);
  await deliverOnce(deliveryId);
  const used = { reads: meter.reads, writes: meter.writes };
  const record = await documentClient.send(
    new GetCommand({ TableName: tables.deliveries, Key: { deliveryId }, ConsistentRead: true }),
  );
  if (record.Item?.status !== 'DELIVERED') throw new Error(`${deliveryId} is ${String(record.Item?.status)}`);
  return used;
};

const example = JSON.parse(readFileSync('test/fixtures/seed-example.json', 'utf8')) as Record<string, unknown>;
/** A payment in naira (OnePipe's currency, so an approval owes a debit report) to `beneficiary`. */
const payment = (customer: string, beneficiary: string, amount: number, country = 'NG') => ({
  ...example,
  id: `cap-${randomUUID()}`,
  customer,
  currency: 'NGN',
  baseCurrency: 'NGN',
  total: amount,
  baseTotal: amount,
  destinationAccount: {
    ...(example.destinationAccount as object),
    iban: undefined,
    accountNumber: beneficiary,
    countryCode: country,
  },
});

interface Scenario {
  name: string;
  expect: string;
  listener: boolean;
  /** A fresh payment of sample `i`, and anything that must happen before it (not measured). */
  prepare: (i: number) => Promise<Record<string, unknown>>;
}

const known = async (call: typeof listenerOff, customer: string, beneficiary: string) => {
  await call(payment(customer, beneficiary, 10));
};

const scenarios: Scenario[] = [];
for (const listener of [false, true]) {
  const call = listener ? listenerOn : listenerOff;
  const tag = listener ? 'on' : 'off';
  scenarios.push(
    {
      name: 'approved, known beneficiary',
      expect: 'APPROVED',
      listener,
      prepare: async (i) => {
        await known(call, `c-${tag}-known-${i}`, `b-${i}`);
        return payment(`c-${tag}-known-${i}`, `b-${i}`, 250);
      },
    },
    {
      name: 'approved, first payment to a beneficiary',
      expect: 'APPROVED',
      listener,
      prepare: async (i) => payment(`c-${tag}-new-${i}`, `b-new-${i}`, 250),
    },
    {
      name: 'pending (opens a case)',
      expect: 'PENDING_EXTERNAL_APPROVAL',
      listener,
      prepare: async (i) => {
        await known(call, `c-${tag}-pend-${i}`, `b-${i}`);
        return payment(`c-${tag}-pend-${i}`, `b-${i}`, 15_000);
      },
    },
    {
      name: 'rejected',
      expect: 'REJECTED',
      listener,
      prepare: async (i) => {
        await known(call, `c-${tag}-rej-${i}`, `b-${i}`);
        return payment(`c-${tag}-rej-${i}`, `b-${i}`, 250, 'KP');
      },
    },
  );
}

const rows: Record<string, string | number>[] = [];
const measured: Record<string, { writes: number; reads: number; calls: number }> = {};
try {
  for (const scenario of scenarios) {
    const call = scenario.listener ? listenerOn : listenerOff;
    let writes = 0;
    let reads = 0;
    let calls = 0;
    let replayReads = 0;
    let replayCalls = 0;
    const owesWebhook = scenario.listener && scenario.expect === 'APPROVED';
    let webhookWrites = 0;
    let webhookReads = 0;
    for (let i = 0; i < SAMPLES; i++) {
      const body = await scenario.prepare(i);
      Object.assign(meter, { reads: 0, writes: 0, calls: 0 });
      const answer = await call(body);
      if (answer.status !== scenario.expect) {
        throw new Error(`${scenario.name}: expected ${scenario.expect}, got ${JSON.stringify(answer)}`);
      }
      writes += meter.writes;
      reads += meter.reads;
      calls += meter.calls;
      Object.assign(meter, { reads: 0, writes: 0, calls: 0 });
      await call(body);
      replayReads += meter.reads;
      replayCalls += meter.calls;
      if (owesWebhook) {
        const webhook = await deliveryUnits(String(body.id));
        webhookWrites += webhook.writes;
        webhookReads += webhook.reads;
      }
    }
    const perDecision = { writes: writes / SAMPLES, reads: reads / SAMPLES, calls: calls / SAMPLES };
    measured[`${scenario.name}|${scenario.listener}`] = perDecision;
    const webhook = { writes: webhookWrites / SAMPLES, reads: webhookReads / SAMPLES };
    const cost =
      1000 *
      (fixedPerDecision +
        perDecision.writes * PRICES.writeUnit +
        perDecision.reads * PRICES.readUnit +
        (owesWebhook
          ? perWebhookBesidesDynamo + webhook.writes * PRICES.writeUnit + webhook.reads * PRICES.readUnit
          : 0));
    rows.push({
      decision: scenario.name,
      'OnePipe listener': scenario.listener ? 'on' : 'off',
      'write units': perDecision.writes.toFixed(1),
      'read units': perDecision.reads.toFixed(1),
      'round trips': perDecision.calls.toFixed(1),
      'replay: round trips': (replayCalls / SAMPLES).toFixed(1),
      'replay: read units': (replayReads / SAMPLES).toFixed(1),
      'webhook: write units': owesWebhook ? webhook.writes.toFixed(1) : '-',
      'webhook: read units': owesWebhook ? webhook.reads.toFixed(1) : '-',
      '$ per 1,000': cost.toFixed(4),
    });
  }
  console.log(
    `\nDynamoDB capacity per decision (measured: ReturnConsumedCapacity=INDEXES on DynamoDB Local, mean of ${SAMPLES} each)\n`,
  );
  console.table(rows);
  const approvedOn = measured['approved, known beneficiary|true'];
  const maxRoundTrips = Math.max(...Object.values(measured).map((m) => m.calls));
  const maxReplay = Math.max(...rows.map((row) => Number(row['replay: round trips'])));
  const approvedCost = Number(
    rows.find((row) => row.decision === 'approved, known beneficiary' && row['OnePipe listener'] === 'on')?.[
      '$ per 1,000'
    ],
  );
  // The same approval priced the way the README's first estimate was ($0.022: API Gateway, Lambda,
  // DynamoDB, logs, and about 3 SQS requests per webhook), next to the full figure above (which
  // also counts the pipe's event, six SQS requests and the deliver function's run).
  const likeForLike =
    1000 *
    (fixedPerDecision +
      (approvedOn?.writes ?? 0) * PRICES.writeUnit +
      (approvedOn?.reads ?? 0) * PRICES.readUnit +
      3 * PRICES.sqsRequest);
  console.log(
    `goals: write units per approved decision with the OnePipe listener at most 12 -> ${(approvedOn?.writes ?? 99) <= 12 ? 'MET' : 'NOT MET'} (${approvedOn?.writes.toFixed(1)}); ` +
      `cost per 1,000 at most $0.012 -> ${approvedCost <= 0.012 ? 'MET' : 'NOT MET'} with everything the webhook costs ($${approvedCost.toFixed(4)}), ` +
      `${likeForLike <= 0.012 ? 'MET' : 'NOT MET'} counted as the README's $0.022 estimate was ($${likeForLike.toFixed(4)}); ` +
      `round trips per new decision at most 2 -> ${maxRoundTrips <= 2 ? 'MET' : 'NOT MET'} (${maxRoundTrips}); ` +
      `per replay 1 -> ${maxReplay <= 1 ? 'MET' : 'NOT MET'} (${maxReplay})`,
  );
} finally {
  documentClient.destroy();
  functionsSqs.destroy();
  onepipeListener.close();
  await sqs.stop();
  await dynamo.stop();
}
