import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { historyEntry } from '#domain/cases/transitions.js';
import { type Decision, SERVICE_DEGRADED, toAnswer, type ValidateAnswer } from '#domain/decisions/decision.js';
import type { DegradedAnswerMessage } from '#domain/decisions/degraded-reconciliation.js';
import {
  type CounterWrite,
  type DecisionStore,
  type LineState,
  lineReach,
  type VelocityInputs,
} from '#domain/decisions/validate-payment.js';
import type { CounterChange, CounterItem } from '#domain/decisions/velocity.js';
import { indexedAsCase, packDecision } from './decision-items.js';
import { outboxPuts, type TransactItem } from './outbox.js';

export interface DecisionTables {
  decisions: string;
  counters: string;
  history: string;
  deliveries: string;
}

const customerKey = (customer: string) => `cust#${customer}`;
const beneficiaryKey = (beneficiary: string) => `benef#${beneficiary}`;
const seenKey = (customer: string, beneficiary: string) => `seen#${customer}#${beneficiary}`;
/** The line of payments waiting for their turn on a contended counter item (see validate-payment.ts). */
const lineKey = (keys: { customer: string; beneficiary: string | null }, line: 'customer' | 'beneficiary') =>
  line === 'beneficiary' && keys.beneficiary
    ? `line#${beneficiaryKey(keys.beneficiary)}`
    : `line#${customerKey(keys.customer)}`;
/** A line item as a line state: the last ticket served and the tickets left by their holders. */
const lineState = (item: Record<string, unknown> | undefined): LineState => ({
  served: Number(item?.served ?? 0),
  gone: item?.gone instanceof Set ? [...(item.gone as Set<unknown>)].map(Number) : [],
});
/** The line is still where it was read (a new line has no `served` yet). */
const servedCondition = (served: number) =>
  served === 0 ? 'attribute_not_exists(served) OR served = :served' : 'served = :served';
/** A line item outlives any burst by far; it expires by TTL when quiet. */
const LINE_TTL_SECONDS = 24 * 60 * 60;

/** The condition that a counter item is still at the version a decision was made on. */
const versionCondition = (expectedVersion: number) =>
  expectedVersion === 0
    ? { expression: 'attribute_not_exists(#ver)', values: {} }
    : { expression: '#ver = :ver', values: { ':ver': expectedVersion } };

/**
 * Turns a counter change into one UpdateItem: ADD to the current buckets, REMOVE stale ones, and
 * bump the version, only if the item is still at the version the decision read.
 */
const counterUpdate = (table: string, pk: string, change: CounterChange): TransactItem => {
  const condition = versionCondition(change.expectedVersion);
  const names: Record<string, string> = { '#exp': 'expiresAt', '#ver': 'ver' };
  const values: Record<string, unknown> = {
    ':exp': change.expiresAt,
    ':next': change.expectedVersion + 1,
    ...condition.values,
  };
  const adds = Object.entries(change.add).map(([attribute, value], index) => {
    names[`#a${index}`] = attribute;
    values[`:a${index}`] = value;
    return `#a${index} :a${index}`;
  });
  const removes = change.remove.map((attribute, index) => {
    names[`#r${index}`] = attribute;
    return `#r${index}`;
  });
  return {
    Update: {
      TableName: table,
      Key: { pk },
      UpdateExpression: `SET #exp = :exp, #ver = :next ADD ${adds.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
      ConditionExpression: condition.expression,
      // On a conflict the item comes back as it is now, so the payment is decided again without a read.
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    },
  };
};

/** A decision that changes no counter still holds only on the counters it read. */
const counterCheck = (table: string, pk: string, expectedVersion: number): TransactItem => {
  const condition = versionCondition(expectedVersion);
  return {
    ConditionCheck: {
      TableName: table,
      Key: { pk },
      ConditionExpression: condition.expression,
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      ExpressionAttributeNames: { '#ver': 'ver' },
      ...(Object.keys(condition.values).length ? { ExpressionAttributeValues: condition.values } : {}),
    },
  };
};

/** The counter items a decision reads, as velocity inputs. */
const velocityInputs = (
  keys: { customer: string; beneficiary: string | null },
  items: Map<string, CounterItem>,
  line?: 'customer' | 'beneficiary',
): VelocityInputs => ({
  customerItem: items.get(customerKey(keys.customer)),
  beneficiaryItem: keys.beneficiary ? items.get(beneficiaryKey(keys.beneficiary)) : undefined,
  beneficiarySeen: keys.beneficiary ? items.has(seenKey(keys.customer, keys.beneficiary)) : false,
  ...(line ? { line: lineState(items.get(lineKey(keys, line))) } : {}),
});

type BatchRequest = NonNullable<ConstructorParameters<typeof BatchGetCommand>[0]['RequestItems']>;

/**
 * A validate decision as the decisions table stores it: the one shape, written by saveDecision (and
 * by the backtest bench, which seeds history exactly as validate leaves it).
 */
export const decisionItem = (
  decision: Decision,
  written: { attemptId: string; rawJson: string; deliveryIds?: readonly string[] },
) => {
  const { tx: _tx, ...facts } = decision.facts;
  const now = decision.decidedAt;
  const isCase = decision.status === 'PENDING_EXTERNAL_APPROVAL';
  return indexedAsCase({
    transactionId: decision.transactionId,
    status: decision.status,
    initialStatus: decision.status,
    createdAt: now,
    updatedAt: now,
    customer: decision.transaction.customer,
    baseAmount: decision.transaction.baseAmount,
    currency: decision.transaction.currency,
    reasons: decision.reasons,
    hits: decision.evaluation.hits,
    ruleErrors: decision.evaluation.errors,
    ruleSetVersion: decision.evaluation.ruleSetVersion,
    // A shadowed version's outcome on the same facts (rule statistics read it; nothing else does).
    ...(decision.shadow ? { shadow: decision.shadow } : {}),
    // Which validate call wrote it: a degraded answer's reconciliation acts only on its own write.
    attemptId: written.attemptId,
    // Only the case queue filters on rule ids.
    ...(isCase ? { ruleIds: decision.evaluation.hits.map((hit) => hit.rule) } : {}),
    version: 1,
    // A pending payment opens a case for the analysts.
    reviewStage: isCase ? 'FIRST' : 'FINAL',
    ...(isCase ? { caseOpenedAt: now } : {}),
    // What it was decided on (transaction, facts, raw payload), packed: read back by unpackDecision.
    packed: packDecision({ transaction: decision.transaction, facts, rawJson: written.rawJson }),
    // The webhooks it owes (kept out of the deliveries' subject index): the case page reads them by id.
    ...(written.deliveryIds?.length ? { deliveryIds: [...written.deliveryIds] } : {}),
    ...(decision.provider
      ? {
          provider: decision.provider,
          providerName: decision.provider.name,
          rulesStatus: decision.provider.rulesStatus,
          providerStatus: decision.provider.providerStatus,
        }
      : {}),
  });
};

/** Decisions and velocity counters in DynamoDB. The only code that knows their item layout. */
export const decisionRepository = (client: DynamoDBDocumentClient, tables: DecisionTables) => {
  /**
   * One BatchGetItem, strongly consistent: the counter items of a payment (and a line's item), and
   * with `transactionId` the stored answer for it (only what replaying it needs).
   */
  const readBatch = async (
    keys: { customer: string; beneficiary: string | null },
    signal: AbortSignal,
    line?: 'customer' | 'beneficiary',
    transactionId?: string,
  ) => {
    const wanted: Record<string, unknown>[] = [{ pk: customerKey(keys.customer) }];
    if (keys.beneficiary) {
      wanted.push({ pk: beneficiaryKey(keys.beneficiary) }, { pk: seenKey(keys.customer, keys.beneficiary) });
    }
    if (line) wanted.push({ pk: lineKey(keys, line) });
    let request: BatchRequest | undefined = {
      [tables.counters]: { Keys: wanted, ConsistentRead: true },
      ...(transactionId
        ? {
            [tables.decisions]: {
              Keys: [{ transactionId }],
              ConsistentRead: true,
              ProjectionExpression: '#s, reasons, transactionId',
              ExpressionAttributeNames: { '#s': 'status' },
            },
          }
        : {}),
    };
    const counters = new Map<string, CounterItem>();
    let decision: Record<string, unknown> | undefined;
    // BatchGet may leave keys unprocessed under throttling; ask again for those only.
    for (let attempt = 0; request && attempt < 5; attempt++) {
      const result: BatchGetCommandOutput = await client.send(new BatchGetCommand({ RequestItems: request }), {
        abortSignal: signal,
      });
      for (const item of result.Responses?.[tables.counters] ?? []) counters.set(String(item.pk), item);
      decision ??= result.Responses?.[tables.decisions]?.[0];
      const unprocessed = result.UnprocessedKeys;
      request = unprocessed && Object.keys(unprocessed).length ? (unprocessed as BatchRequest) : undefined;
    }
    if (request) throw new Error('reads left unprocessed after 5 attempts');
    return { counters, decision };
  };

  const store: DecisionStore = {
    async findAnswer(transactionId, signal) {
      const result = await client.send(
        new GetCommand({
          TableName: tables.decisions,
          Key: { transactionId },
          ConsistentRead: true,
          ProjectionExpression: '#s, reasons, transactionId',
          ExpressionAttributeNames: { '#s': 'status' },
        }),
        { abortSignal: signal },
      );
      return result.Item ? toAnswer(result.Item as ValidateAnswer) : undefined;
    },

    async loadInputs(transactionId, keys, signal) {
      const { counters, decision } = await readBatch(keys, signal, undefined, transactionId);
      return [decision ? toAnswer(decision as unknown as ValidateAnswer) : undefined, velocityInputs(keys, counters)];
    },

    async loadVelocity(keys, signal, line) {
      const { counters: items } = await readBatch(keys, signal, line);
      return velocityInputs(keys, items, line);
    },

    async takeTicket(keys, line, signal) {
      const result = await client.send(
        new UpdateCommand({
          TableName: tables.counters,
          Key: { pk: lineKey(keys, line) },
          UpdateExpression: 'ADD issued :one SET expiresAt = :exp',
          ExpressionAttributeValues: { ':one': 1, ':exp': Math.floor(Date.now() / 1000) + LINE_TTL_SECONDS },
          ReturnValues: 'ALL_NEW',
        }),
        { abortSignal: signal },
      );
      return { ticket: Number(result.Attributes?.issued), line: lineState(result.Attributes) };
    },

    async skipTurn(keys, line, state, signal) {
      try {
        await client.send(
          new UpdateCommand({
            TableName: tables.counters,
            Key: { pk: lineKey(keys, line) },
            UpdateExpression: 'SET served = :next',
            ConditionExpression: servedCondition(state.served),
            ExpressionAttributeValues: { ':next': lineReach(state) + 1, ':served': state.served },
          }),
          { abortSignal: signal },
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },

    async leaveLine(keys, line, ticket, signal) {
      await client.send(
        new UpdateCommand({
          TableName: tables.counters,
          Key: { pk: lineKey(keys, line) },
          UpdateExpression: 'ADD gone :ticket',
          ExpressionAttributeValues: { ':ticket': new Set([ticket]) },
        }),
        { abortSignal: signal },
      );
    },

    async saveDecision(input, signal) {
      const { decision } = input;
      const now = decision.decidedAt;
      const isCase = decision.status === 'PENDING_EXTERNAL_APPROVAL';
      const items: TransactItem[] = [
        {
          Put: {
            TableName: tables.decisions,
            Item: decisionItem(decision, {
              attemptId: input.attemptId,
              rawJson: input.rawJson,
              deliveryIds: input.deliveries.map((delivery) => delivery.deliveryId),
            }),
            ConditionExpression: 'attribute_not_exists(transactionId)',
          },
        },
      ];
      if (isCase) {
        const created = historyEntry(decision, {
          action: 'CREATED',
          actor: 'system:rules',
          now: new Date(now),
          after: { status: decision.status, reviewStage: 'FIRST', claimedBy: null },
          details: { reasons: decision.reasons, ruleSetVersion: decision.evaluation.ruleSetVersion },
        });
        // Append-only: an entry is written once, never over another (IAM cannot check this; the code does).
        items.push({
          Put: { TableName: tables.history, Item: created, ConditionExpression: 'attribute_not_exists(entryId)' },
        });
      }
      const customer = decision.transaction.customer;
      const beneficiary = decision.transaction.beneficiaryKey;
      const { velocity } = input;
      const counterWrite = (pk: string, write: CounterWrite) =>
        write.change
          ? counterUpdate(tables.counters, pk, write.change)
          : counterCheck(tables.counters, pk, write.expectedVersion);
      items.push(counterWrite(customerKey(customer), velocity.customer));
      if (velocity.beneficiary && beneficiary) {
        items.push(counterWrite(beneficiaryKey(beneficiary), velocity.beneficiary));
      }
      if (velocity.firstTimeBeneficiary && beneficiary) {
        // First time is a fact the decision read: it holds only while no other payment marked it.
        const pk = seenKey(customer, beneficiary);
        items.push(
          velocity.markBeneficiarySeen
            ? {
                Put: {
                  TableName: tables.counters,
                  Item: { pk, firstSeenAt: now, firstTransactionId: decision.transactionId },
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              }
            : {
                ConditionCheck: {
                  TableName: tables.counters,
                  Key: { pk },
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
        );
      }
      const turnIndex = input.turn ? items.length : -1;
      if (input.turn) {
        // Holding a turn in the line: the turn passes to the next ticket in the same transaction,
        // only while the line is as read (nobody passed this ticket over meanwhile).
        const { ticket, line, state } = input.turn;
        const passed = state.gone.filter((gone) => gone <= ticket);
        items.push({
          Update: {
            TableName: tables.counters,
            Key: { pk: lineKey({ customer, beneficiary }, line) },
            UpdateExpression: `SET served = :ticket${passed.length ? ' DELETE gone :passed' : ''}`,
            ConditionExpression: servedCondition(state.served),
            ExpressionAttributeValues: {
              ':ticket': ticket,
              ':served': state.served,
              ...(passed.length ? { ':passed': new Set(passed) } : {}),
            },
          },
        });
      }
      // The decision keeps its deliveries' ids, so they stay out of the subject index (outbox.ts).
      items.push(...outboxPuts(tables.deliveries, input.deliveries, { bySubject: false }));
      for (const note of input.notes ?? []) {
        items.push({
          Put: { TableName: tables.history, Item: note, ConditionExpression: 'attribute_not_exists(entryId)' },
        });
      }
      try {
        await client.send(new TransactWriteCommand({ TransactItems: items }), { abortSignal: signal });
        return { kind: 'stored' };
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        const reasons = error.CancellationReasons ?? [];
        if (reasons[0]?.Code === 'ConditionalCheckFailed') return { kind: 'duplicate' };
        if (!reasons.some(({ Code }) => Code === 'ConditionalCheckFailed' || Code === 'TransactionConflict'))
          throw error;
        // Another payment of the same customer or beneficiary changed the counters this decision
        // was made on (or is changing them right now): the caller decides again. Items that failed
        // their version check came back as they are now; a conflict in progress must be read.
        if (turnIndex >= 0 && reasons[turnIndex]?.Code === 'ConditionalCheckFailed') {
          return { kind: 'conflict', turnLost: true };
        }
        const fresh: Record<string, CounterItem> = {};
        let complete = true;
        let on: 'customer' | 'beneficiary' | undefined;
        reasons.forEach((reason, index) => {
          const item = items[index];
          const key = item?.Update?.Key ?? item?.ConditionCheck?.Key ?? item?.Put?.Item;
          const pk = typeof key?.pk === 'string' ? key.pk : undefined;
          if (reason.Code === 'TransactionConflict') complete = false;
          if ((reason.Code === 'ConditionalCheckFailed' || reason.Code === 'TransactionConflict') && pk && !on) {
            if (pk === customerKey(customer)) on = 'customer';
            else if (beneficiary && pk === beneficiaryKey(beneficiary)) on = 'beneficiary';
          }
          if (reason.Code !== 'ConditionalCheckFailed' || !pk) return;
          if (pk.startsWith('seen#')) fresh[pk] = { pk };
          else if (reason.Item) fresh[pk] = unmarshall(reason.Item);
          else complete = false;
        });
        const line = on ?? 'customer';
        if (!complete) return { kind: 'conflict', line };
        const refreshed: Partial<VelocityInputs> = {};
        const customerItem = fresh[customerKey(customer)];
        if (customerItem) refreshed.customerItem = customerItem;
        const beneficiaryItem = beneficiary ? fresh[beneficiaryKey(beneficiary)] : undefined;
        if (beneficiaryItem) refreshed.beneficiaryItem = beneficiaryItem;
        if (beneficiary && fresh[seenKey(customer, beneficiary)]) refreshed.beneficiarySeen = true;
        return { kind: 'conflict', line, refreshed };
      }
    },
  };

  return {
    ...store,

    /**
     * Stores the rejection a degraded answer gave, for a transaction with no stored decision. The
     * condition makes it race-safe with a late write of the same call: whichever lands second fails.
     */
    async putRejection(message: DegradedAnswerMessage, now: Date): Promise<boolean> {
      const at = now.toISOString();
      try {
        await client.send(
          new PutCommand({
            TableName: tables.decisions,
            Item: {
              transactionId: message.transactionId,
              status: 'REJECTED',
              initialStatus: 'REJECTED',
              createdAt: message.answeredAt,
              updatedAt: at,
              customer: message.customer ?? 'unknown',
              ...(message.baseAmount !== undefined ? { baseAmount: message.baseAmount } : {}),
              ...(message.currency ? { currency: message.currency } : {}),
              reasons: [SERVICE_DEGRADED],
              hits: [],
              ruleIds: [],
              version: 1,
              reviewStage: 'FINAL',
              attemptId: message.attemptId,
              degradedReconciledAt: at,
            },
            ConditionExpression: 'attribute_not_exists(transactionId)',
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },

    /**
     * Remembers a key once (a replay guard), for `ttlSeconds`: true the first time, false after.
     * Stored in the counters table, which already expires items by TTL.
     */
    async rememberOnce(key: string, ttlSeconds: number): Promise<boolean> {
      try {
        await client.send(
          new PutCommand({
            TableName: tables.counters,
            Item: { pk: key, expiresAt: Math.floor(Date.now() / 1000) + ttlSeconds },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },
  };
};
export type DecisionRepository = ReturnType<typeof decisionRepository>;
