import { gunzipSync, gzipSync } from 'node:zlib';
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  type QueryCommandInput,
  ScanCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import {
  BACKTEST_PAGE_ITEMS,
  type BacktestPageDeps,
  type BacktestPageMessage,
  type BacktestSummary,
  type Flip,
  flattenCounts,
  type NextPage,
  type RuleFigures,
  unflattenCounts,
} from '#domain/rules/backtest.js';
import { RuleSetNameSchema } from '#domain/rules/requests.js';
import { unpackDecision } from './decision-items.js';

/**
 * Backtests in the analytics table, under partition keys starting `backtest#` (the rule
 * statistics use other prefixes of the same table):
 *
 * - `backtest#<id>` / `summary`: the parameters (set, version, window: enough to run it again),
 *   the state, and the counts every page ADDs (`count:<name>`, flat: `count:recorded.APPROVED`).
 * - `backtest#<id>` / `page#<segment>#<page>`: one recorded page, put only if absent (so a
 *   redelivered message counts nothing twice): its flips (gzip JSON: up to a few hundred, each with
 *   its rule ids), its per-rule figures and where its segment goes next.
 * - `backtest#by-set#<set>` / `<createdAt>#<id>`: the listing of a set's backtests, newest first.
 *
 * The decisions are read with a parallel Scan (Segment / TotalSegments), filtered on createdAt. A
 * Scan reads the whole table whatever the window (see README, Backtests: what it costs); an index
 * by time would read only the window but cost a write on every decision, which validate's cost
 * target forbids, for a question compliance asks a few times a month.
 */
const summaryKey = (backtestId: string) => ({ pk: `backtest#${backtestId}`, sk: 'summary' });
const pageKey = (message: Pick<BacktestPageMessage, 'backtestId' | 'segment' | 'page'>) => ({
  pk: `backtest#${message.backtestId}`,
  sk: `page#${String(message.segment).padStart(4, '0')}#${String(message.page).padStart(8, '0')}`,
});
const listPk = (ruleSet: string) => `backtest#by-set#${ruleSet}`;
const COUNT_PREFIX = 'count:';
/** The summaries a listing shows: BatchGetItem's own limit per call. */
export const BACKTEST_LIST_LIMIT = 100;

/** The decision attributes evaluation reads (the Scan's projection). */
const DECISION_PROJECTION = {
  // `packed` holds the transaction and facts (with the raw payload) since they are stored packed;
  // `facts` and `transaction` are where decisions stored before that kept them.
  ProjectionExpression:
    '#id, #created, #status, initialStatus, rulesStatus, hits, ruleErrors, decidedBy, facts, #tx, packed',
  names: { '#id': 'transactionId', '#created': 'createdAt', '#status': 'status', '#tx': 'transaction' },
};

// Schemas here are z.lazy: built on their first parse, so a function that never parses them
// does not build them at cold start (npm run bench:cold).
const StoredSummarySchema = z.lazy(() =>
  z.looseObject({
    backtestId: z.string(),
    ruleSet: RuleSetNameSchema,
    version: z.number().int().positive(),
    from: z.string(),
    to: z.string(),
    createdBy: z.string(),
    createdAt: z.string(),
    finishedAt: z.string().optional(),
    status: z.enum(['RUNNING', 'DONE', 'FAILED']),
    error: z.string().optional(),
    segments: z.number().int().positive(),
    segmentsDone: z.number().int().nonnegative().default(0),
    rules: z.array(z.string()),
    readUnits: z.number().nonnegative().default(0),
    lastPageAt: z.string().optional(),
  }),
);

const RuleFiguresSchema = z.lazy(() =>
  z.object({
    hits: z.number().int().nonnegative(),
    analystRejected: z.number().int().nonnegative(),
    analystApproved: z.number().int().nonnegative(),
  }),
);
const FlipSchema = z.lazy(() =>
  z.object({
    transactionId: z.string(),
    createdAt: z.string(),
    from: z.enum(['APPROVED', 'REJECTED', 'PENDING_EXTERNAL_APPROVAL']),
    to: z.enum(['APPROVED', 'REJECTED', 'PENDING_EXTERNAL_APPROVAL']),
    rules: z.array(z.string()),
    analyst: z.enum(['APPROVED', 'REJECTED']).nullable(),
  }),
);
const StoredPageSchema = z.lazy(() =>
  z.looseObject({
    flips: z.instanceof(Uint8Array).optional(),
    perRule: z.record(z.string(), RuleFiguresSchema).default({}),
    nextKey: z.object({ transactionId: z.string() }).optional(),
    last: z.boolean().default(false),
  }),
);

const summaryOf = (item: Record<string, unknown>): BacktestSummary => {
  const stored = StoredSummarySchema.parse(item);
  const flat = Object.fromEntries(
    Object.entries(item)
      .filter(([name]) => name.startsWith(COUNT_PREFIX))
      .map(([name, value]) => [name.slice(COUNT_PREFIX.length), value]),
  );
  return {
    backtestId: stored.backtestId,
    ruleSet: stored.ruleSet,
    version: stored.version,
    from: stored.from,
    to: stored.to,
    createdBy: stored.createdBy,
    createdAt: stored.createdAt,
    ...(stored.finishedAt ? { finishedAt: stored.finishedAt } : {}),
    status: stored.status,
    ...(stored.error ? { error: stored.error } : {}),
    segments: stored.segments,
    segmentsDone: stored.segmentsDone,
    rules: stored.rules,
    readUnits: stored.readUnits,
    ...(stored.lastPageAt ? { lastPageAt: stored.lastPageAt } : {}),
    counts: unflattenCounts(flat),
  };
};

const nextOf = (page: z.infer<typeof StoredPageSchema>): NextPage | undefined =>
  page.nextKey ? { startKey: page.nextKey } : page.last ? { last: true } : undefined;

const cancelledBy = (error: unknown, index: number) =>
  error instanceof TransactionCanceledException &&
  error.CancellationReasons?.[index]?.Code === 'ConditionalCheckFailed';
/** Another page's transaction was writing the summary at the same moment (DynamoDB refuses, it does not wait). */
const conflicted = (error: unknown) =>
  error instanceof TransactionCanceledException &&
  (error.CancellationReasons ?? []).some((reason) => reason.Code === 'TransactionConflict') &&
  !(error.CancellationReasons ?? []).some((reason) => reason.Code === 'ConditionalCheckFailed');
/** Tries for a page's transaction when other segments' pages hold the summary: jittered, growing pauses. */
const CONFLICT_ATTEMPTS = 8;
const pause = (attempt: number) =>
  new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(1000, 25 * 2 ** attempt)));

export const backtestRepository = (
  client: DynamoDBDocumentClient,
  tables: { analytics: string; decisions: string },
) => {
  const queryAll = async (input: Omit<QueryCommandInput, 'TableName'>) => {
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const result = await client.send(
        new QueryCommand({ TableName: tables.analytics, ...input, ExclusiveStartKey: startKey }),
      );
      items.push(...(result.Items ?? []));
      startKey = result.LastEvaluatedKey;
    } while (startKey);
    return items;
  };

  const getSummary = async (backtestId: string): Promise<BacktestSummary | undefined> => {
    const result = await client.send(
      new GetCommand({ TableName: tables.analytics, Key: summaryKey(backtestId), ConsistentRead: true }),
    );
    return result.Item ? summaryOf(result.Item) : undefined;
  };

  const store = {
    getSummary,

    /** A new RUNNING backtest and its place in the set's listing, together. */
    async create(summary: Omit<BacktestSummary, 'counts' | 'segmentsDone' | 'readUnits'>) {
      await client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: tables.analytics,
                Item: {
                  ...summaryKey(summary.backtestId),
                  kind: 'backtest',
                  ...summary,
                  segmentsDone: 0,
                  readUnits: 0,
                },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            {
              Put: {
                TableName: tables.analytics,
                Item: {
                  pk: listPk(summary.ruleSet),
                  sk: `${summary.createdAt}#${summary.backtestId}`,
                  kind: 'backtest-listing',
                  backtestId: summary.backtestId,
                },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
          ],
        }),
      );
    },

    /** A set's backtests, newest first (the latest BACKTEST_LIST_LIMIT). */
    async list(ruleSet: string): Promise<BacktestSummary[]> {
      const listed = await client.send(
        new QueryCommand({
          TableName: tables.analytics,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': listPk(ruleSet) },
          ScanIndexForward: false,
          Limit: BACKTEST_LIST_LIMIT,
        }),
      );
      const ids = (listed.Items ?? []).map((item) => String(item.backtestId));
      if (ids.length === 0) return [];
      const found = new Map<string, BacktestSummary>();
      let keys: Record<string, unknown>[] | undefined = ids.map(summaryKey);
      // BatchGet may leave keys unprocessed under throttling; ask again for those only.
      for (let attempt = 0; keys?.length && attempt < 5; attempt++) {
        const result: BatchGetCommandOutput = await client.send(
          new BatchGetCommand({ RequestItems: { [tables.analytics]: { Keys: keys } } }),
        );
        for (const item of result.Responses?.[tables.analytics] ?? []) {
          const summary = summaryOf(item);
          found.set(summary.backtestId, summary);
        }
        keys = result.UnprocessedKeys?.[tables.analytics]?.Keys;
      }
      if (keys?.length) throw new Error('backtest summaries left unprocessed after 5 attempts');
      return ids.flatMap((id) => found.get(id) ?? []);
    },

    /** Every recorded page's flips and per-rule figures. */
    async pages(backtestId: string): Promise<{ flips: Flip[]; perRule: Record<string, RuleFigures> }[]> {
      const items = await queryAll({
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :page)',
        ExpressionAttributeValues: { ':pk': `backtest#${backtestId}`, ':page': 'page#' },
        ProjectionExpression: 'flips, perRule',
      });
      return items.map((item) => {
        const page = StoredPageSchema.parse(item);
        return {
          flips: page.flips ? z.array(FlipSchema).parse(JSON.parse(gunzipSync(page.flips).toString('utf8'))) : [],
          perRule: page.perRule,
        };
      });
    },

    /** RUNNING -> FAILED, saying why; false when it had ended already. */
    async fail(backtestId: string, error: string, now: Date): Promise<boolean> {
      try {
        await client.send(
          new UpdateCommand({
            TableName: tables.analytics,
            Key: summaryKey(backtestId),
            UpdateExpression: 'SET #status = :failed, #error = :error, finishedAt = :now',
            ConditionExpression: '#status = :running',
            ExpressionAttributeNames: { '#status': 'status', '#error': 'error' },
            ExpressionAttributeValues: {
              ':failed': 'FAILED',
              ':running': 'RUNNING',
              ':error': error.slice(0, 1000),
              ':now': now.toISOString(),
            },
          }),
        );
        return true;
      } catch (caught) {
        if (caught instanceof ConditionalCheckFailedException) return false;
        throw caught;
      }
    },
  };

  const pageDeps: Omit<BacktestPageDeps, 'engineFor' | 'sendPages'> = {
    getSummary,

    async scanPage({ segment, segments, startKey, from, to }) {
      const result = await client.send(
        new ScanCommand({
          TableName: tables.decisions,
          Segment: segment,
          TotalSegments: segments,
          Limit: BACKTEST_PAGE_ITEMS,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
          // Eventually consistent: half the read units, and a past window does not move.
          FilterExpression:
            '#created >= :from AND #created < :to AND NOT begins_with(#id, :onepipe) AND NOT begins_with(#id, :late)',
          ProjectionExpression: DECISION_PROJECTION.ProjectionExpression,
          ExpressionAttributeNames: DECISION_PROJECTION.names,
          ExpressionAttributeValues: { ':from': from, ':to': to, ':onepipe': 'onepipe#', ':late': 'provider-late:' },
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      const last = result.LastEvaluatedKey;
      return {
        // What each was decided on, unpacked (the raw payload is not evaluated).
        items: (result.Items ?? []).map((item) => {
          const { rawJson: _raw, ...open } = unpackDecision(item) as Record<string, unknown>;
          return open;
        }),
        scanned: result.ScannedCount ?? 0,
        next: last ? { startKey: { transactionId: String(last.transactionId) } } : { last: true },
        readUnits: result.ConsumedCapacity?.CapacityUnits ?? 0,
      };
    },

    async recordPage({ message, result, next, readUnits }) {
      const names: Record<string, string> = { '#status': 'status' };
      const values: Record<string, unknown> = { ':running': 'RUNNING', ':readUnits': readUnits };
      const adds = ['readUnits :readUnits'];
      Object.entries(flattenCounts(result.counts))
        .filter(([, value]) => value !== 0)
        .forEach(([name, value], index) => {
          names[`#c${index}`] = `${COUNT_PREFIX}${name}`;
          values[`:c${index}`] = value;
          adds.push(`#c${index} :c${index}`);
        });
      if ('last' in next) {
        values[':one'] = 1;
        adds.push('segmentsDone :one');
      }
      // Progress, so a backtest that stops making any is seen (backtest.ts stalled).
      const recordedAt = new Date().toISOString();
      values[':recordedAt'] = recordedAt;
      const write = new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: tables.analytics,
              Item: {
                ...pageKey(message),
                kind: 'backtest-page',
                segment: message.segment,
                page: message.page,
                scanned: result.counts.scanned,
                processed: result.counts.processed,
                flipCount: result.counts.flipCount,
                ...(result.flips.length ? { flips: gzipSync(JSON.stringify(result.flips)) } : {}),
                perRule: result.perRule,
                ...('startKey' in next ? { nextKey: next.startKey } : { last: true }),
                recordedAt,
              },
              ConditionExpression: 'attribute_not_exists(sk)',
            },
          },
          {
            Update: {
              TableName: tables.analytics,
              Key: summaryKey(message.backtestId),
              UpdateExpression: `SET lastPageAt = :recordedAt ADD ${adds.join(', ')}`,
              ConditionExpression: '#status = :running',
              ExpressionAttributeNames: names,
              ExpressionAttributeValues: values,
            },
          },
        ],
      });
      // Safe to repeat: the page is put only if absent, and the counts ride with it.
      for (let attempt = 1; ; attempt++) {
        try {
          await client.send(write);
          return 'recorded';
        } catch (error) {
          // An ended backtest first: DONE means every page was recorded, FAILED that none should be.
          if (cancelledBy(error, 1)) return 'not-running';
          if (cancelledBy(error, 0)) return 'duplicate';
          if (!conflicted(error) || attempt >= CONFLICT_ATTEMPTS) throw error;
          await pause(attempt);
        }
      }
    },

    async recordedNext(message) {
      const result = await client.send(
        new GetCommand({ TableName: tables.analytics, Key: pageKey(message), ConsistentRead: true }),
      );
      return result.Item ? nextOf(StoredPageSchema.parse(result.Item)) : undefined;
    },

    async finish(backtestId, segments, now) {
      try {
        await client.send(
          new UpdateCommand({
            TableName: tables.analytics,
            Key: summaryKey(backtestId),
            UpdateExpression: 'SET #status = :done, finishedAt = :now',
            ConditionExpression: '#status = :running AND segmentsDone = :segments',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':done': 'DONE',
              ':running': 'RUNNING',
              ':segments': segments,
              ':now': now.toISOString(),
            },
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },
  };

  return { ...store, pageDeps };
};
export type BacktestRepository = ReturnType<typeof backtestRepository>;
