import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { historyEntry } from '#domain/cases.js';
import { toAnswer, type ValidateAnswer } from '#domain/decision.js';
import type { DecisionStore } from '#domain/validate-payment.js';
import type { CounterChange, CounterItem } from '#domain/velocity.js';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

export interface DecisionTables {
  decisions: string;
  counters: string;
  history: string;
  deliveries: string;
}

const customerKey = (customer: string) => `cust#${customer}`;
const beneficiaryKey = (beneficiary: string) => `benef#${beneficiary}`;
const seenKey = (customer: string, beneficiary: string) => `seen#${customer}#${beneficiary}`;

/** Turns a counter change into one atomic UpdateItem: ADD to the current buckets, REMOVE stale ones. */
const counterUpdate = (table: string, pk: string, change: CounterChange): TransactItem => {
  const names: Record<string, string> = { '#exp': 'expiresAt' };
  const values: Record<string, unknown> = { ':exp': change.expiresAt };
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
      UpdateExpression: `SET #exp = :exp ADD ${adds.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    },
  };
};

const MAX_CONFLICT_RETRIES = 3;

/** Decisions and velocity counters in DynamoDB. The only code that knows their item layout. */
export const decisionRepository = (client: DynamoDBDocumentClient, tables: DecisionTables) => {
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

    async loadVelocity(keys, signal) {
      const wanted = [{ pk: customerKey(keys.customer) }];
      if (keys.beneficiary) {
        wanted.push({ pk: beneficiaryKey(keys.beneficiary) }, { pk: seenKey(keys.customer, keys.beneficiary) });
      }
      const items = new Map<string, CounterItem>();
      let request: Record<string, { Keys: Record<string, unknown>[]; ConsistentRead: boolean }> | undefined = {
        [tables.counters]: { Keys: wanted, ConsistentRead: true },
      };
      // BatchGet may leave keys unprocessed under throttling; ask again for those only.
      for (let attempt = 0; request && attempt < 5; attempt++) {
        const result: BatchGetCommandOutput = await client.send(new BatchGetCommand({ RequestItems: request }), {
          abortSignal: signal,
        });
        for (const item of result.Responses?.[tables.counters] ?? []) items.set(String(item.pk), item);
        const unprocessed: Record<string, unknown>[] | undefined = result.UnprocessedKeys?.[tables.counters]?.Keys;
        request = unprocessed?.length ? { [tables.counters]: { Keys: unprocessed, ConsistentRead: true } } : undefined;
      }
      if (request) throw new Error('counter reads left unprocessed after 5 attempts');
      return {
        customerItem: items.get(customerKey(keys.customer)),
        beneficiaryItem: keys.beneficiary ? items.get(beneficiaryKey(keys.beneficiary)) : undefined,
        beneficiarySeen: keys.beneficiary ? items.has(seenKey(keys.customer, keys.beneficiary)) : false,
      };
    },

    async saveDecision(input, signal) {
      const { decision } = input;
      const { tx: _tx, ...facts } = decision.facts;
      const now = decision.decidedAt;
      const isCase = decision.status === 'PENDING_EXTERNAL_APPROVAL';
      const items: TransactItem[] = [
        {
          Put: {
            TableName: tables.decisions,
            Item: {
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
              ruleIds: decision.evaluation.hits.map((hit) => hit.rule),
              version: 1,
              // A pending payment opens a case for the analysts.
              reviewStage: isCase ? 'FIRST' : 'FINAL',
              ...(isCase ? { caseOpenedAt: now } : {}),
              facts,
              transaction: decision.transaction,
              rawJson: input.rawJson,
              timings: input.timings,
              ...(decision.provider
                ? {
                    provider: decision.provider,
                    providerName: decision.provider.name,
                    rulesStatus: decision.provider.rulesStatus,
                    providerStatus: decision.provider.providerStatus,
                  }
                : {}),
            },
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
      if (input.customerChange) items.push(counterUpdate(tables.counters, customerKey(customer), input.customerChange));
      if (input.beneficiaryChange && beneficiary) {
        items.push(counterUpdate(tables.counters, beneficiaryKey(beneficiary), input.beneficiaryChange));
      }
      if (input.markBeneficiarySeen && beneficiary) {
        items.push({
          Put: {
            TableName: tables.counters,
            Item: { pk: seenKey(customer, beneficiary), firstSeenAt: now, firstTransactionId: decision.transactionId },
          },
        });
      }
      for (const delivery of input.deliveries) {
        items.push({
          Put: {
            TableName: tables.deliveries,
            Item: delivery,
            ConditionExpression: 'attribute_not_exists(deliveryId)',
          },
        });
      }
      for (let attempt = 0; ; attempt++) {
        try {
          await client.send(new TransactWriteCommand({ TransactItems: items }), { abortSignal: signal });
          return 'stored';
        } catch (error) {
          if (!(error instanceof TransactionCanceledException)) throw error;
          const codes = error.CancellationReasons?.map((reason) => reason.Code) ?? [];
          if (codes[0] === 'ConditionalCheckFailed') return 'duplicate';
          // Two payments of one customer touched the same counter item at once: try again shortly.
          if (codes.includes('TransactionConflict') && attempt < MAX_CONFLICT_RETRIES) {
            await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20 * (attempt + 1)));
            continue;
          }
          throw error;
        }
      }
    },
  };

  return {
    ...store,
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
