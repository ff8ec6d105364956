import { gunzipSync, gzipSync } from 'node:zlib';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import type { RuleSetName } from '#domain/rules/requests.js';
import {
  RuleSetConflictError,
  type RuleSetHistoryEntry,
  type RuleSetVersion,
  RuleSetVersionSchema,
  type ShadowRun,
  ShadowRunSchema,
  type VersionState,
  type VersionSummary,
} from '#domain/rules/rule-set-versions.js';
import { queryAll } from './query-all.js';

/**
 * Rule set versions in one DynamoDB table, one partition per set (`ruleSet`), sorted by `sk`:
 *
 * - `SET`: the set's pointer: `activeVersion`, `latestVersion` (the last number given out) and
 *   `shadow` (the version shadowed, when one is): what the decision functions poll, in one GetItem.
 * - `V#0000000003`: version 3 without its lists' entries (`listIndex` says how many and in how many parts).
 * - `V#0000000003#L#<list>#0000`: a list's entries as gzip-compressed JSON, cut in parts below the
 *   item size limit (400 KB): 50,000 IBANs are about 1.3 MB as JSON and a few hundred KB compressed.
 *   They sort right after their version, so one query (`begins_with V#0000000003`) reads it all.
 * - `H#<time>#<id>`: history entries, written in the same transaction as the change they record.
 *
 * Every change of state is one transaction conditioned on the states it was planned from; an
 * approval also retires the previous ACTIVE version and moves the pointer, conditioned on the
 * pointer still naming it, so of two parallel approvals one wins and the other gets a 409.
 */
const POINTER = 'SET';
/** Below DynamoDB's 400 KB item limit with room for the key and attribute names. */
export const CHUNK_BYTES = 350_000;
const versionKey = (version: number) => `V#${String(version).padStart(10, '0')}`;
const chunkKey = (version: number, list: string, part: number) =>
  `${versionKey(version)}#L#${list}#${String(part).padStart(4, '0')}`;

const PointerSchema = z.object({
  latestVersion: z.number().int().nonnegative(),
  activeVersion: z.number().int().positive().nullable().default(null),
  /** The version validate also evaluates, beside the active one, on every decision (absent: none). */
  shadow: ShadowRunSchema.optional(),
});
export type RuleSetPointer = z.infer<typeof PointerSchema>;

const ListIndexSchema = z.record(z.string(), z.object({ count: z.number().int(), parts: z.number().int() }));
const StoredVersionSchema = RuleSetVersionSchema.omit({ lists: true }).extend({ listIndex: ListIndexSchema });
const StoredChunkSchema = z.object({
  list: z.string(),
  part: z.number().int(),
  data: z.instanceof(Uint8Array),
});
const HistorySchema = z.looseObject({
  entryId: z.string(),
  at: z.string(),
  actor: z.string(),
  action: z.string(),
  version: z.number(),
});

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** A list cut into its stored parts: gzip of the JSON array, sliced below the item size limit. */
const listParts = (entries: readonly string[]): Uint8Array[] => {
  if (entries.length === 0) return [];
  const packed = gzipSync(JSON.stringify(entries));
  const parts: Uint8Array[] = [];
  for (let offset = 0; offset < packed.length; offset += CHUNK_BYTES)
    parts.push(packed.subarray(offset, offset + CHUNK_BYTES));
  return parts;
};

const summaryOf = ({
  listIndex: _lists,
  rules: _rules,
  ...summary
}: z.infer<typeof StoredVersionSchema>): VersionSummary => summary;

/** True when DynamoDB refused a transaction because a condition no longer held (someone else changed it first). */
const conditionFailed = (error: unknown) =>
  error instanceof TransactionCanceledException &&
  (error.CancellationReasons ?? []).some((reason) =>
    ['ConditionalCheckFailed', 'TransactionConflict'].includes(reason.Code ?? ''),
  );

export const ruleSetRepository = (client: DynamoDBDocumentClient, table: string) => {
  const historyPut = (entry: RuleSetHistoryEntry): TransactItem => ({
    Put: {
      TableName: table,
      Item: { ...entry, sk: `H#${entry.entryId}`, kind: 'history' },
      ConditionExpression: 'attribute_not_exists(sk)',
    },
  });

  /** A version's item and its lists' parts; parts go in the transaction or before it (see `create`). */
  const versionItems = (version: RuleSetVersion) => {
    const { lists, ...rest } = version;
    const chunks: Record<string, unknown>[] = [];
    const listIndex: Record<string, { count: number; parts: number }> = {};
    for (const [name, entries] of Object.entries(lists)) {
      const parts = listParts(entries);
      listIndex[name] = { count: entries.length, parts: parts.length };
      parts.forEach((data, part) => {
        chunks.push({
          ruleSet: version.ruleSet,
          sk: chunkKey(version.version, name, part),
          kind: 'chunk',
          list: name,
          part,
          data,
        });
      });
    }
    const item = { ...rest, sk: versionKey(version.version), kind: 'version', listIndex };
    return { item, chunks };
  };

  const write = async (items: TransactItem[], conflict: string) => {
    try {
      await client.send(new TransactWriteCommand({ TransactItems: items }));
    } catch (error) {
      if (conditionFailed(error)) throw new RuleSetConflictError(conflict);
      throw error;
    }
  };

  const query = (input: Omit<QueryCommandInput, 'TableName'>) => queryAll(client, { ...input, TableName: table });

  const stateUpdate = (
    ruleSet: RuleSetName,
    version: number,
    expected: VersionState,
    changes: Record<string, unknown>,
  ): TransactItem => {
    const names = Object.keys(changes);
    return {
      Update: {
        TableName: table,
        Key: { ruleSet, sk: versionKey(version) },
        UpdateExpression: `SET ${names.map((_, i) => `#c${i} = :c${i}`).join(', ')}`,
        ConditionExpression: '#state = :expected',
        ExpressionAttributeNames: {
          '#state': 'state',
          ...Object.fromEntries(names.map((name, i) => [`#c${i}`, name])),
        },
        ExpressionAttributeValues: {
          ':expected': expected,
          ...Object.fromEntries(names.map((name, i) => [`:c${i}`, changes[name]])),
        },
      },
    };
  };

  return {
    /** The set's pointer, or undefined before version 1 was seeded. One GetItem: what the decision functions poll. */
    async pointer(ruleSet: RuleSetName, consistent = false): Promise<RuleSetPointer | undefined> {
      const result = await client.send(
        new GetCommand({ TableName: table, Key: { ruleSet, sk: POINTER }, ConsistentRead: consistent }),
      );
      return result.Item ? PointerSchema.parse(result.Item) : undefined;
    },

    /**
     * Puts version 1 ACTIVE with the pointer, in one transaction conditioned on there being no
     * pointer yet: of any number of starts seeding at once, one seeds and the others change nothing.
     * Returns whether this call seeded.
     */
    async seed(version: RuleSetVersion, history: RuleSetHistoryEntry): Promise<boolean> {
      const { item, chunks } = versionItems(version);
      try {
        await client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: table,
                  Item: {
                    ruleSet: version.ruleSet,
                    sk: POINTER,
                    latestVersion: version.version,
                    activeVersion: version.version,
                  },
                  ConditionExpression: 'attribute_not_exists(sk)',
                },
              },
              { Put: { TableName: table, Item: item, ConditionExpression: 'attribute_not_exists(sk)' } },
              ...chunks.map((chunk) => ({ Put: { TableName: table, Item: chunk } })),
              historyPut(history),
            ],
          }),
        );
        return true;
      } catch (error) {
        if (conditionFailed(error)) return false;
        throw error;
      }
    },

    /** A whole version with its lists (one query, paged by DynamoDB past 1 MB), or undefined. */
    async version(ruleSet: RuleSetName, version: number): Promise<RuleSetVersion | undefined> {
      const items = await query({
        KeyConditionExpression: 'ruleSet = :s AND begins_with(sk, :v)',
        ExpressionAttributeValues: { ':s': ruleSet, ':v': versionKey(version) },
        ConsistentRead: true,
      });
      const head = items.find((entry) => entry.kind === 'version');
      if (!head) return undefined;
      const stored = StoredVersionSchema.parse(head);
      const chunks = items.filter((entry) => entry.kind === 'chunk').map((entry) => StoredChunkSchema.parse(entry));
      const lists: Record<string, string[]> = {};
      for (const [name, index] of Object.entries(stored.listIndex)) {
        const parts = chunks.filter((chunk) => chunk.list === name).sort((a, b) => a.part - b.part);
        if (parts.length !== index.parts) {
          throw new Error(
            `rule set ${ruleSet} version ${version}: list ${name} has ${parts.length} of ${index.parts} parts`,
          );
        }
        lists[name] =
          index.parts === 0
            ? []
            : z
                .array(z.string())
                .parse(JSON.parse(gunzipSync(Buffer.concat(parts.map((p) => p.data))).toString('utf8')));
      }
      const { listIndex: _index, ...rest } = stored;
      return { ...rest, lists };
    },

    /** Every version of a set without rules or lists, newest first. */
    async versions(
      ruleSet: RuleSetName,
    ): Promise<(VersionSummary & { ruleCount: number; listCounts: Record<string, number> })[]> {
      const items = await query({
        KeyConditionExpression: 'ruleSet = :s AND begins_with(sk, :v)',
        // The lists' parts are skipped by the filter; their bytes are still read (see the README).
        FilterExpression: 'kind = :version',
        ExpressionAttributeValues: { ':s': ruleSet, ':v': 'V#', ':version': 'version' },
        ScanIndexForward: false,
      });
      return items.map((item) => {
        const stored = StoredVersionSchema.parse(item);
        return {
          ...summaryOf(stored),
          ruleCount: stored.rules.length,
          listCounts: Object.fromEntries(Object.entries(stored.listIndex).map(([name, index]) => [name, index.count])),
        };
      });
    },

    /** Every rule id any version of the set holds, sorted (the version items only; lists are skipped). */
    async ruleIds(ruleSet: RuleSetName): Promise<string[]> {
      const items = await query({
        KeyConditionExpression: 'ruleSet = :s AND begins_with(sk, :v)',
        FilterExpression: 'kind = :version',
        // `rules` is a reserved word in expressions.
        ProjectionExpression: '#rules',
        ExpressionAttributeNames: { '#rules': 'rules' },
        ExpressionAttributeValues: { ':s': ruleSet, ':v': 'V#', ':version': 'version' },
      });
      const ids = new Set<string>();
      for (const item of items) {
        for (const rule of z.array(z.looseObject({ id: z.string() })).parse(item.rules)) ids.add(rule.id);
      }
      return [...ids].sort();
    },

    /** The set's history, oldest first. */
    async history(ruleSet: RuleSetName): Promise<Record<string, unknown>[]> {
      const items = await query({
        KeyConditionExpression: 'ruleSet = :s AND begins_with(sk, :h)',
        ExpressionAttributeValues: { ':s': ruleSet, ':h': 'H#' },
      });
      return items.map((item) => {
        const { sk: _sk, kind: _kind, ...entry } = HistorySchema.parse(item);
        return entry;
      });
    },

    /**
     * Stores a new version under the next number. The number is taken first (an atomic counter on
     * the pointer), then the lists' parts are written, then the version item and its history entry
     * together: a reader never sees a version whose lists are incomplete. A save that fails midway
     * leaves a gap in the numbering and unreferenced parts, never a half version.
     */
    async create(
      version: Omit<RuleSetVersion, 'version'>,
      history: (version: number) => RuleSetHistoryEntry,
    ): Promise<number> {
      const taken = await client
        .send(
          new UpdateCommand({
            TableName: table,
            Key: { ruleSet: version.ruleSet, sk: POINTER },
            UpdateExpression: 'ADD latestVersion :one',
            ConditionExpression: 'attribute_exists(sk)',
            ExpressionAttributeValues: { ':one': 1 },
            ReturnValues: 'UPDATED_NEW',
          }),
        )
        .then((result) => z.number().int().positive().parse(result.Attributes?.latestVersion));
      const { item, chunks } = versionItems({ ...version, version: taken });
      // Parts one by one: a transaction holds at most 4 MB, and several 50,000-entry lists can exceed it.
      for (const chunk of chunks) {
        await client.send(
          new PutCommand({ TableName: table, Item: chunk, ConditionExpression: 'attribute_not_exists(sk)' }),
        );
      }
      await write(
        [
          { Put: { TableName: table, Item: item, ConditionExpression: 'attribute_not_exists(sk)' } },
          historyPut(history(taken)),
        ],
        `version ${taken} of ${version.ruleSet} already exists`,
      );
      return taken;
    },

    /** A change of one version's state, conditioned on the state it was planned from, with its history entry. */
    async changeState(
      ruleSet: RuleSetName,
      version: number,
      expected: VersionState,
      changes: Record<string, unknown>,
      history: RuleSetHistoryEntry,
    ): Promise<void> {
      await write(
        [stateUpdate(ruleSet, version, expected, changes), historyPut(history)],
        `version ${version} of ${ruleSet} is no longer ${expected}`,
      );
    },

    /**
     * Names a version the set's shadow (replacing any other), conditioned on the version still
     * being in the state it was checked in, with its history entry: one transaction.
     */
    async startShadow(
      ruleSet: RuleSetName,
      run: ShadowRun,
      expected: VersionState,
      history: RuleSetHistoryEntry,
    ): Promise<void> {
      await write(
        [
          {
            ConditionCheck: {
              TableName: table,
              Key: { ruleSet, sk: versionKey(run.version) },
              ConditionExpression: '#state = :expected',
              ExpressionAttributeNames: { '#state': 'state' },
              ExpressionAttributeValues: { ':expected': expected },
            },
          },
          {
            Update: {
              TableName: table,
              Key: { ruleSet, sk: POINTER },
              UpdateExpression: 'SET shadow = :run',
              ConditionExpression: 'attribute_exists(sk)',
              ExpressionAttributeValues: { ':run': run },
            },
          },
          historyPut(history),
        ],
        `version ${run.version} of ${ruleSet} is no longer ${expected}`,
      );
    },

    /** Stops the shadow run of a version, only while it is the one shadowed, with its history entry. */
    async stopShadow(ruleSet: RuleSetName, version: number, history: RuleSetHistoryEntry): Promise<void> {
      await write(
        [
          {
            Update: {
              TableName: table,
              Key: { ruleSet, sk: POINTER },
              UpdateExpression: 'REMOVE shadow',
              ConditionExpression: 'shadow.version = :version',
              ExpressionAttributeValues: { ':version': version },
            },
          },
          historyPut(history),
        ],
        `version ${version} of ${ruleSet} is not being shadowed`,
      );
    },

    /**
     * Makes a PROPOSED version ACTIVE, retires the version that was ACTIVE and moves the pointer:
     * one transaction, conditioned on the proposal still being PROPOSED, the previous version still
     * ACTIVE and the pointer still naming it.
     */
    async activate(
      ruleSet: RuleSetName,
      version: number,
      previous: number | null,
      changes: Record<string, unknown>,
      history: RuleSetHistoryEntry,
      options: { endShadow?: boolean } = {},
    ): Promise<void> {
      const at = history.at;
      // Ending the version's shadow run only while it is still the one shadowed.
      const endShadow = options.endShadow === true;
      await write(
        [
          stateUpdate(ruleSet, version, 'PROPOSED', changes),
          ...(previous === null ? [] : [stateUpdate(ruleSet, previous, 'ACTIVE', { state: 'RETIRED', retiredAt: at })]),
          {
            Update: {
              TableName: table,
              Key: { ruleSet, sk: POINTER },
              UpdateExpression: `SET activeVersion = :next${endShadow ? ' REMOVE shadow' : ''}`,
              ConditionExpression:
                (previous === null ? 'attribute_not_exists(activeVersion)' : 'activeVersion = :previous') +
                (endShadow ? ' AND shadow.version = :next' : ''),
              ExpressionAttributeValues: { ':next': version, ...(previous === null ? {} : { ':previous': previous }) },
            },
          },
          historyPut(history),
        ],
        `${ruleSet}: another change was approved first, or version ${version} is no longer PROPOSED`,
      );
    },
  };
};

export type RuleSetRepository = ReturnType<typeof ruleSetRepository>;
