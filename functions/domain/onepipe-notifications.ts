import type { DeliveryQueue } from './deliver-webhook.js';
import { type Delivery, newDelivery } from './delivery.js';
import { publishDeliveries } from './delivery-operations.js';
import { minorToMajor } from './money.js';
import {
  type AccountMapping,
  classifyNotification,
  type OnepipeNotification,
  OnepipeNotificationSchema,
  saveTransactionBody,
} from './onepipe.js';
import type { RulesEngine } from './rules.js';
import { normaliseTransaction, TransactionSchema } from './transaction.js';
import { velocityFacts } from './velocity.js';

/** What happened to a notification: registered in Toqio, parked for a mapping, or only stored. */
export type NotificationState = 'REGISTERED' | 'UNMATCHED' | 'INSPECT' | 'STORED';

export interface NotificationRecord {
  requestRef: string;
  receivedAt: string;
  requestType: string;
  requester: string | null;
  mockMode: string | null;
  state: NotificationState;
  why?: string;
  transactionRef: string | null;
  accountNumber?: string;
  amountKobo?: string;
  /** Set only while UNMATCHED: the sparse index the mapping step reads. */
  unmatchedAccount?: string;
  deliveryId?: string;
  rawJson: string;
}

/** An informational case: inbound money already arrived, so analysts look but nothing is blocked. */
export interface InformationalCase {
  transactionId: string;
  status: 'INFORMATIONAL';
  reviewStage: 'FINAL';
  version: 1;
  createdAt: string;
  caseOpenedAt: string;
  customer: string;
  baseAmount: number;
  currency: string;
  reasons: { rule: string; description: string }[];
  hits: unknown[];
  ruleIds: string[];
  ruleSetVersion: string;
  transaction: unknown;
  rawJson: string;
}

export interface NotificationStore {
  /** Stores a notification with what it causes, once per request_ref ('duplicate' changes nothing). */
  record(input: {
    notification: NotificationRecord;
    deliveries: Delivery[];
    informationalCase?: InformationalCase;
  }): Promise<'stored' | 'duplicate'>;
  getMapping(accountNumber: string): Promise<AccountMapping | undefined>;
  listUnmatched(accountNumber: string): Promise<NotificationRecord[]>;
  /** UNMATCHED -> REGISTERED with its delivery, in one transaction; false if it changed meanwhile. */
  registerUnmatched(notification: NotificationRecord, delivery: Delivery): Promise<boolean>;
}

export interface NotificationDeps {
  store: NotificationStore;
  queue: DeliveryQueue;
  inboundRules: RulesEngine;
  onPublishError: (deliveryId: string, error: unknown) => void;
  now?: () => Date;
}

export const SAVE_TRANSACTION = 'SAVE_TRANSACTION';

const saveTransactionDelivery = (
  notification: OnepipeNotification,
  mapping: AccountMapping,
  receivedAt: string,
  now: Date,
) =>
  newDelivery({
    target: 'toqio',
    type: SAVE_TRANSACTION,
    subject: notification.details?.transaction_ref ?? notification.request_ref,
    payload: saveTransactionBody(notification, mapping, receivedAt),
    now,
  });

/** Runs the inbound rules on a credit; any hit opens an informational case. */
const screenCredit = (
  notification: OnepipeNotification,
  accountNumber: string,
  mapping: AccountMapping | undefined,
  engine: RulesEngine,
  now: Date,
): InformationalCase | undefined => {
  const meta = notification.details?.meta ?? {};
  const transactionRef = notification.details?.transaction_ref ?? notification.request_ref;
  const amount = Number(minorToMajor(String(notification.details?.amount ?? 0)));
  const currency = mapping?.currency ?? 'NGN';
  const tx = normaliseTransaction(
    TransactionSchema.parse({
      id: `onepipe:${transactionRef}`,
      type: 'INBOUND',
      payType: 'INBOUND_BANK_TRANSFER',
      customer: mapping?.customer ?? `unmapped:${accountNumber}`,
      currency,
      total: amount,
      baseTotal: amount,
      concept: meta.narration ?? notification.details?.transaction_desc ?? undefined,
      sourceAccount: {
        name: meta.originator_account_name ?? undefined,
        accountNumber: meta.originator_account_number ?? undefined,
        countryCode: 'NG',
      },
      destinationAccount: { accountNumber, countryCode: 'NG', ...(mapping ? { id: mapping.accountId } : {}) },
    }),
  );
  const velocity = velocityFacts({
    hasBeneficiary: false,
    firstTimeBeneficiary: false,
    baseAmountMillis: tx.baseAmountMillis,
    nowSeconds: Math.floor(now.getTime() / 1000),
  });
  const evaluation = engine.evaluate({
    tx: tx as unknown as Record<string, unknown>,
    velocity,
    beneficiary: { key: null, firstTime: false },
  });
  if (evaluation.hits.length === 0 && evaluation.errors.length === 0) return undefined;
  const at = now.toISOString();
  const reasons = [
    ...evaluation.hits.map(({ rule, description }) => ({ rule, description })),
    ...evaluation.errors.map((error) => ({
      rule: error.rule,
      description: `Rule could not be evaluated: ${error.message}`,
    })),
  ];
  return {
    transactionId: tx.id,
    status: 'INFORMATIONAL',
    reviewStage: 'FINAL',
    version: 1,
    createdAt: at,
    caseOpenedAt: at,
    customer: tx.customer,
    baseAmount: tx.baseAmount,
    currency,
    reasons,
    hits: evaluation.hits,
    ruleIds: evaluation.hits.map((hit) => hit.rule),
    ruleSetVersion: evaluation.ruleSetVersion,
    transaction: tx,
    rawJson: JSON.stringify(notification),
  };
};

/**
 * Takes a verified notification: stores it as received, and for a live successful credit
 * registers it in Toqio (SAVE_TRANSACTION through the delivery engine) when its account is
 * mapped, or parks it as UNMATCHED until it is. Inbound rule hits open an informational case.
 */
export const receiveNotification = async (
  notification: OnepipeNotification,
  rawJson: string,
  deps: NotificationDeps,
) => {
  const now = deps.now?.() ?? new Date();
  const receivedAt = now.toISOString();
  const kind = classifyNotification(notification);
  const base = {
    requestRef: notification.request_ref,
    receivedAt,
    requestType: notification.request_type,
    requester: notification.requester ?? null,
    mockMode: notification.mock_mode ?? null,
    transactionRef: notification.details?.transaction_ref ?? null,
    rawJson,
  };
  let record: NotificationRecord;
  const deliveries: Delivery[] = [];
  let informationalCase: InformationalCase | undefined;
  if (kind.kind === 'credit') {
    const mapping = await deps.store.getMapping(kind.accountNumber);
    informationalCase = screenCredit(notification, kind.accountNumber, mapping, deps.inboundRules, now);
    const credit = { accountNumber: kind.accountNumber, amountKobo: kind.amountKobo };
    if (mapping) {
      const delivery = saveTransactionDelivery(notification, mapping, receivedAt, now);
      deliveries.push(delivery);
      record = { ...base, ...credit, state: 'REGISTERED', deliveryId: delivery.deliveryId };
    } else {
      record = {
        ...base,
        ...credit,
        state: 'UNMATCHED',
        unmatchedAccount: kind.accountNumber,
        why: 'no account mapping yet',
      };
    }
  } else if (kind.kind === 'inspect') {
    record = { ...base, state: 'INSPECT', why: 'mock_mode Inspect: stored only' };
  } else {
    record = { ...base, state: 'STORED', why: kind.why };
  }
  const outcome = await deps.store.record({
    notification: record,
    deliveries,
    ...(informationalCase ? { informationalCase } : {}),
  });
  if (outcome === 'stored') await publishDeliveries(deliveries, deps.queue, deps.onPublishError);
  return { outcome, state: record.state };
};

/** Registers every parked credit of an account that has just been mapped. */
export const registerUnmatched = async (mapping: AccountMapping, deps: NotificationDeps) => {
  const parked = await deps.store.listUnmatched(mapping.accountNumber);
  const registered: string[] = [];
  for (const record of parked) {
    const notification = OnepipeNotificationSchema.parse(JSON.parse(record.rawJson));
    const delivery = saveTransactionDelivery(notification, mapping, record.receivedAt, deps.now?.() ?? new Date());
    if (await deps.store.registerUnmatched(record, delivery)) {
      await publishDeliveries([delivery], deps.queue, deps.onPublishError);
      registered.push(record.requestRef);
    }
  }
  return registered;
};
