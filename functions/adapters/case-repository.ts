import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { CaseWorkflowFilter } from '#domain/cases/queries.js';
import { CaseConflictError, type CaseRecord, CaseRecordSchema, type HistoryEntry } from '#domain/cases/transitions.js';
import type { CaseStore } from '#domain/cases/workflow.js';
import { indexedAsCase, unpackDecision } from './decision-items.js';
import { decodeCursor, encodeCursor, type Page } from './delivery-repository.js';
import { cancellationCodes, outboxPuts, type TransactItem } from './outbox.js';

export interface CaseTables {
  decisions: string;
  history: string;
  deliveries: string;
}

/** Decisions without a review stage were decided at validate time: final from the start. */
/** A stored item as a case: parsed with the one record schema (a malformed item is an error, named). */
const parseCase = (item: Record<string, unknown>): CaseRecord => {
  const parsed = CaseRecordSchema.safeParse(item);
  if (!parsed.success) {
    throw new Error(
      `stored decision ${String(item.transactionId)} does not match the case record: ${parsed.error.message}`,
    );
  }
  return parsed.data;
};
/** A stored decision as a case, with what it was decided on unpacked (the OnePipe report reads its transaction). */
const toCase = (item: Record<string, unknown> | undefined): CaseRecord | undefined =>
  item ? parseCase(unpackDecision(item) as Record<string, unknown>) : undefined;

/** Cases (decision records), their append-only history, and the outbox, in DynamoDB. */
export const caseRepository = (client: DynamoDBDocumentClient, tables: CaseTables) => {
  const historyPut = (entry: HistoryEntry): TransactItem => ({
    Put: { TableName: tables.history, Item: entry, ConditionExpression: 'attribute_not_exists(entryId)' },
  });

  const store: CaseStore = {
    async get(transactionId) {
      const result = await client.send(
        new GetCommand({ TableName: tables.decisions, Key: { transactionId }, ConsistentRead: true }),
      );
      return toCase(result.Item);
    },

    async applyChange(record, change, deliveries) {
      const names: Record<string, string> = { '#version': 'version' };
      const values: Record<string, unknown> = { ':expected': record.version, ':one': 1, ':now': change.history.at };
      const sets = ['#version = #version + :one', 'updatedAt = :now'];
      const removes: string[] = [];
      // A case's status is also the case index's key (decision-items.ts indexedAsCase).
      const set =
        record.caseOpenedAt && 'status' in change.set ? { ...change.set, caseStatus: change.set.status } : change.set;
      Object.entries(set).forEach(([attribute, value], index) => {
        names[`#f${index}`] = attribute;
        if (value === null) removes.push(`#f${index}`);
        else {
          values[`:f${index}`] = value;
          sets.push(`#f${index} = :f${index}`);
        }
      });
      const items: TransactItem[] = [
        {
          Update: {
            TableName: tables.decisions,
            Key: { transactionId: record.transactionId },
            UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
            // Cases decided at validate time have no version attribute: they are never open, so never changed here.
            ConditionExpression: '#version = :expected',
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          },
        },
        historyPut(change.history),
        ...outboxPuts(tables.deliveries, deliveries),
      ];
      try {
        await client.send(new TransactWriteCommand({ TransactItems: items }));
      } catch (error) {
        const codes = cancellationCodes(error);
        if (codes?.[0] === 'ConditionalCheckFailed' || codes?.includes('TransactionConflict')) {
          throw new CaseConflictError(`Case ${record.transactionId} changed meanwhile; reload it and try again`);
        }
        throw error;
      }
    },

    async appendHistory(entry) {
      await client.send(
        new PutCommand({
          TableName: tables.history,
          Item: entry,
          ConditionExpression: 'attribute_not_exists(entryId)',
        }),
      );
    },

    async listOpenBefore(before, limit, options = {}) {
      const items: Record<string, unknown>[] = [];
      let startKey: Record<string, unknown> | undefined;
      // A filter applies after a page is read: read on (bounded) until `limit` cases are found.
      for (let page = 0; page < 10 && items.length < limit; page++) {
        const result = await client.send(
          new QueryCommand({
            TableName: tables.decisions,
            IndexName: 'byCaseStatus',
            KeyConditionExpression: '#s = :s AND createdAt < :before',
            // The item's own status too: an index key left stale (an upgrade's window) never surfaces a case.
            FilterExpression: `#status = :s${options.excludeSlaEscalated ? ' AND attribute_not_exists(slaEscalatedAt)' : ''}`,
            // Only what the sweep needs to find a case: it reads each one again, whole, to change it.
            ProjectionExpression: 'transactionId, createdAt',
            ExpressionAttributeNames: { '#s': 'caseStatus', '#status': 'status' },
            ExpressionAttributeValues: { ':s': 'PENDING_EXTERNAL_APPROVAL', ':before': before },
            Limit: limit - items.length,
            ...(startKey ? { ExclusiveStartKey: startKey } : {}),
          }),
        );
        items.push(...(result.Items ?? []));
        startKey = result.LastEvaluatedKey;
        if (!startKey) break;
      }
      return items.map((item) => ({ transactionId: String(item.transactionId), createdAt: String(item.createdAt) }));
    },
  };

  return {
    ...store,

    /** Records a provider's late verdict on the stored decision (an annotation, not a case change). */
    async recordProviderLate(transactionId: string, late: Record<string, unknown>) {
      await client.send(
        new UpdateCommand({
          TableName: tables.decisions,
          Key: { transactionId },
          UpdateExpression: 'SET providerLate = :late',
          ConditionExpression: 'attribute_exists(transactionId)',
          ExpressionAttributeValues: { ':late': late },
        }),
      );
    },

    /**
     * Creates an informational case (never blocks a payment; analysts read it in the queue), only
     * if nothing has that key yet: a redelivered message finds it there and changes nothing.
     */
    async putInformationalCase(item: object) {
      try {
        await client.send(
          new PutCommand({
            TableName: tables.decisions,
            Item: indexedAsCase(item as Record<string, unknown>),
            ConditionExpression: 'attribute_not_exists(transactionId)',
          }),
        );
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    },

    /** Every decision a provider took part in since a time (for the agreement report). */
    async listProviderDecisions(provider: string, since: string, max = 5000) {
      const items: Record<string, unknown>[] = [];
      let startKey: Record<string, unknown> | undefined;
      do {
        const result = await client.send(
          new QueryCommand({
            TableName: tables.decisions,
            IndexName: 'providerAgreement',
            KeyConditionExpression: 'providerName = :p AND createdAt >= :since',
            ExpressionAttributeValues: { ':p': provider, ':since': since },
            ProjectionExpression: 'transactionId, createdAt, rulesStatus, providerStatus',
            ...(startKey ? { ExclusiveStartKey: startKey } : {}),
          }),
        );
        items.push(...(result.Items ?? []));
        startKey = result.LastEvaluatedKey;
      } while (startKey && items.length < max);
      return items;
    },

    /** The full stored decision behind a case (transaction, facts, hits, raw payload). */
    async getFull(transactionId: string) {
      const result = await client.send(
        new GetCommand({ TableName: tables.decisions, Key: { transactionId }, ConsistentRead: true }),
      );
      return unpackDecision(result.Item);
    },

    async history(transactionId: string): Promise<HistoryEntry[]> {
      const result = await client.send(
        new QueryCommand({
          TableName: tables.history,
          KeyConditionExpression: 'transactionId = :t',
          ExpressionAttributeValues: { ':t': transactionId },
          ConsistentRead: true,
        }),
      );
      return (result.Items ?? []) as HistoryEntry[];
    },

    /** The customer's latest decisions, newest first. */
    async recentForCustomer(customer: string, limit = 10) {
      const result = await client.send(
        new QueryCommand({
          TableName: tables.decisions,
          IndexName: 'customerHistory',
          KeyConditionExpression: 'customer = :c',
          ExpressionAttributeValues: { ':c': customer },
          ScanIndexForward: false,
          Limit: limit,
        }),
      );
      return (result.Items ?? []).map((item) => ({
        transactionId: item.transactionId,
        status: item.status,
        baseAmount: item.baseAmount,
        currency: item.currency,
        createdAt: item.createdAt,
        reasons: item.reasons,
      }));
    },

    /**
     * Cases by the queue's filters, oldest first. DynamoDB filters after reading a page, so this
     * reads on (up to 10 pages) until it has `limit` matches; the cursor resumes where it stopped.
     */
    async listCases(filter: CaseWorkflowFilter, limit: number, cursor?: string): Promise<Page<CaseRecord>> {
      const names: Record<string, string> = { '#s': 'caseStatus', '#status': 'status' };
      const values: Record<string, unknown> = { ':s': filter.indexStatus };
      // The item's own status too: an index key left stale (an upgrade's window) never surfaces a case.
      const filters = ['attribute_exists(caseOpenedAt)', '#status = :s'];
      let key = '#s = :s';
      if (filter.createdBefore) {
        key += ' AND createdAt < :before';
        values[':before'] = filter.createdBefore;
      }
      if (filter.reviewStage) {
        filters.push('reviewStage = :stage');
        values[':stage'] = filter.reviewStage;
      }
      if (filter.minAmount !== undefined) {
        filters.push('baseAmount >= :min');
        values[':min'] = filter.minAmount;
      }
      if (filter.customer) {
        filters.push('customer = :customer');
        values[':customer'] = filter.customer;
      }
      if (filter.rule) {
        filters.push('contains(ruleIds, :rule)');
        values[':rule'] = filter.rule;
      }
      const items: CaseRecord[] = [];
      let startKey = decodeCursor(cursor);
      for (let page = 0; page < 10 && items.length < limit; page++) {
        const input: QueryCommandInput = {
          TableName: tables.decisions,
          IndexName: 'byCaseStatus',
          KeyConditionExpression: key,
          FilterExpression: filters.join(' AND '),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ScanIndexForward: true,
          Limit: limit - items.length,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        };
        const result = await client.send(new QueryCommand(input));
        for (const item of result.Items ?? []) items.push(toCase(item) as CaseRecord);
        startKey = result.LastEvaluatedKey;
        if (!startKey) break;
      }
      return { items, nextCursor: encodeCursor(startKey) };
    },
  };
};
export type CaseRepository = ReturnType<typeof caseRepository>;
