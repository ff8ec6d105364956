import { type AttributeValue, ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  PutCommand,
  type QueryCommandInput,
  ScanCommand,
  type ScanCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import * as z from 'zod';
import {
  CASES_PARTITION,
  type CaseRow,
  type HitRow,
  hitsPartition,
  type ShadowRow,
  type StatsDecision,
  StatsDecisionSchema,
  type StatsRow,
  shadowPartition,
  statsRows,
} from '#domain/rules/rule-stats.js';
import { queryAll } from './query-all.js';

/**
 * Rule statistics in the analytics table (pk `hits#…`, `cases#…`, `shadow#…`; the backtests' rows
 * use `backtest#`, never written here). Each row is put whole, conditioned on it holding no newer
 * image's data (`imageAt`): a stream batch delivered twice, or a backfill run over rows the stream
 * wrote, leaves every row as the latest image of its decision made it.
 */
const Status = z.enum(['APPROVED', 'REJECTED', 'PENDING_EXTERNAL_APPROVAL']);
// Schemas here are z.lazy: built on their first parse, so a function that never parses them
// does not build them at cold start (npm run bench:cold).
const HitRowSchema = z.lazy(() =>
  z.object({
    pk: z.string(),
    sk: z.string(),
    kind: z.literal('hit'),
    rule: z.string(),
    transactionId: z.string(),
    createdAt: z.string(),
    status: z.string(),
    caseOpenedAt: z.string().optional(),
    decidedAt: z.string().optional(),
    decidedBy: z.string().optional(),
    byPerson: z.boolean(),
    imageAt: z.string(),
  }),
);
const CaseRowSchema = z.lazy(() =>
  z.object({
    pk: z.string(),
    sk: z.string(),
    kind: z.literal('case'),
    transactionId: z.string(),
    openedAt: z.string(),
    status: z.string(),
    closedAt: z.string().optional(),
    imageAt: z.string(),
  }),
);
const ShadowRowSchema = z.lazy(() =>
  z.object({
    pk: z.string(),
    sk: z.string(),
    kind: z.literal('shadow'),
    transactionId: z.string(),
    createdAt: z.string(),
    version: z.number(),
    live: Status,
    shadow: Status,
    liveHits: z.array(z.string()),
    shadowHits: z.array(z.string()),
    imageAt: z.string(),
  }),
);

/** A decisions-table image as a stream record carries it (AttributeValue form), as the mapping reads it. */
export const decisionFromImage = (image: Record<string, AttributeValue> | undefined): StatsDecision | undefined => {
  if (!image) return undefined;
  const parsed = StatsDecisionSchema.safeParse(unmarshall(image));
  return parsed.success ? parsed.data : undefined;
};

/** What the mapping reads of a decision: the scan of the backfill projects only these. */
const DECISION_ATTRIBUTES = [
  'transactionId',
  'status',
  'createdAt',
  'updatedAt',
  'hits',
  'ruleErrors',
  'caseOpenedAt',
  'decidedAt',
  'decidedBy',
  'shadow',
];

export const ruleStatsRepository = (client: DynamoDBDocumentClient, table: string) => {
  const query = (input: Omit<QueryCommandInput, 'TableName'>) => queryAll(client, { ...input, TableName: table });
  /** Rows of one partition whose sort key lies in [from, to). */
  const between = (pk: string, from: string, to: string) =>
    query({
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': pk, ':from': from, ':to': to },
    });

  const writeRow = async (row: StatsRow) => {
    try {
      await client.send(
        new PutCommand({
          TableName: table,
          Item: row,
          ConditionExpression: 'attribute_not_exists(sk) OR imageAt <= :at',
          ExpressionAttributeValues: { ':at': row.imageAt },
        }),
      );
    } catch (error) {
      // A newer image's row is already there: this older image has nothing to add.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  };

  return {
    /** Writes the rows of one decision image; returns how many it derived. */
    async record(decision: StatsDecision): Promise<number> {
      const rows = statsRows(decision);
      await Promise.all(rows.map(writeRow));
      return rows.length;
    },

    /** Hit rows of a rule created in [from, to). */
    hitRows: async (rule: string, from: string, to: string): Promise<HitRow[]> =>
      (await between(hitsPartition(rule), from, to)).map((item) => HitRowSchema.parse(item) as HitRow),

    /** Case rows opened in [since, to): the window's, and those before it that may still be open in it. */
    caseRows: async (since: string, to: string): Promise<CaseRow[]> =>
      (await between(CASES_PARTITION, since, to)).map((item) => CaseRowSchema.parse(item) as CaseRow),

    /** Shadow rows of a version for decisions created in [since, until). */
    shadowRows: async (version: number, since: string, until: string): Promise<ShadowRow[]> =>
      (await between(shadowPartition(version), since, until)).map((item) => ShadowRowSchema.parse(item) as ShadowRow),
  };
};
export type RuleStatsRepository = ReturnType<typeof ruleStatsRepository>;

/**
 * The backfill (`npm run backfill:rule-stats`): every stored decision through the same mapping, a
 * scan page at a time (only the attributes the mapping reads). Safe to run while the stream runs,
 * and again: rows only ever move to a newer image.
 */
export const backfillRuleStats = async (
  client: DynamoDBDocumentClient,
  tables: { decisions: string; analytics: string },
  onPage?: (progress: { scanned: number; rows: number }) => void,
) => {
  const repository = ruleStatsRepository(client, tables.analytics);
  let scanned = 0;
  let rows = 0;
  let start: ScanCommandInput['ExclusiveStartKey'];
  do {
    const page = await client.send(
      new ScanCommand({
        TableName: tables.decisions,
        ProjectionExpression: DECISION_ATTRIBUTES.map((_, index) => `#a${index}`).join(', '),
        ExpressionAttributeNames: Object.fromEntries(DECISION_ATTRIBUTES.map((name, index) => [`#a${index}`, name])),
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) {
      scanned++;
      const parsed = StatsDecisionSchema.safeParse(item);
      if (parsed.success) rows += await repository.record(parsed.data);
    }
    onPage?.({ scanned, rows });
    start = page.LastEvaluatedKey;
  } while (start);
  return { scanned, rows };
};
