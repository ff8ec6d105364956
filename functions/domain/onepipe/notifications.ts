import { createHash } from 'node:crypto';
import { normaliseTransaction, ONEPIPE_KEY_PREFIX, TransactionSchema } from '../decisions/transaction.js';
import { velocityFacts } from '../decisions/velocity.js';
import type { RuleSource } from '../rules/active-rules.js';
import type { RulesEngine } from '../rules/engine.js';
import { currencyExponent, minorToMajor } from '../shared/money.js';
import { type Delivery, newDelivery } from '../webhooks/delivery.js';
import { classifyNotification, type OnepipeNotification, OnepipeNotificationSchema } from './messages.js';
import { type AccountMapping, completeMapping, type InboundSettings, saveTransactionBody } from './save-transaction.js';

/**
 * What happened to a notification:
 * - RECEIVED: its request_ref is burnt (signature accepted) and it is being handled;
 * - REGISTERED: sent to Toqio; UNMATCHED: a credit waiting for a (complete) account mapping;
 * - PARKED: carries money but cannot be classified or registered; REFUSED: signed, but the schema
 *   refused it; UNCONFIRMED: OnePipe did not confirm it (ONEPIPE_CONFIRM_CREDITS): all three wait
 *   for a person, listed beside the unmatched credits;
 * - DUPLICATE: the same transaction_ref as an earlier request_ref; INSPECT, STORED: kept only.
 */
export type NotificationState =
  | 'RECEIVED'
  | 'REGISTERED'
  | 'UNMATCHED'
  | 'PARKED'
  | 'REFUSED'
  | 'UNCONFIRMED'
  | 'DUPLICATE'
  | 'INSPECT'
  | 'STORED';

/** Parked records share the sparse index of unmatched credits under a key no account number can take. */
export const parkedKey = (state: 'PARKED' | 'REFUSED' | 'UNCONFIRMED') => `#${state}`;

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
  /** Set only while waiting for a person: an account number (UNMATCHED) or a parkedKey. */
  unmatchedAccount?: string;
  deliveryId?: string;
  /** SHA-256 of the raw body: a burnt request_ref is only ever taken again with the same body. */
  bodySha256: string;
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

export type BurnOutcome = { outcome: 'new' } | { outcome: 'seen'; record: NotificationRecord };
export type FinishOutcome = 'stored' | 'transaction-taken' | 'already-finished';

export interface NotificationStore {
  /** Stores the request_ref as RECEIVED (conditional put): once burnt it is never taken with another body. */
  burn(record: NotificationRecord): Promise<BurnOutcome>;
  /**
   * RECEIVED -> the record's final state, with its deliveries, its informational case and the
   * claim of its transaction_ref, in one transaction. 'transaction-taken' when an earlier
   * request_ref already claimed the transaction; 'already-finished' when it is no longer RECEIVED.
   */
  finish(input: {
    record: NotificationRecord;
    deliveries: Delivery[];
    informationalCase?: InformationalCase;
    claimTransactionRef?: string;
  }): Promise<FinishOutcome>;
  getMapping(accountNumber: string): Promise<Record<string, unknown> | undefined>;
  listUnmatched(accountNumber: string): Promise<NotificationRecord[]>;
  /** UNMATCHED -> REGISTERED with its delivery, in one transaction; false if it changed meanwhile. */
  registerUnmatched(notification: NotificationRecord, delivery: Delivery): Promise<boolean>;
}

/** Asks OnePipe whether a credit happened (`/v2/transact/query`); absent when confirmation is off. */
export type CreditConfirmer = (
  notification: OnepipeNotification,
  amountKobo: string,
) => Promise<{ confirmed: true } | { confirmed: false; why: string }>;

export interface NotificationDeps {
  store: NotificationStore;
  /** The inbound rules: the ACTIVE version of the `inbound` set, cached (rules/active-rules.ts). */
  inboundRules: RuleSource;
  settings: InboundSettings;
  confirmCredit?: CreditConfirmer;
  now?: () => Date;
}

export const SAVE_TRANSACTION = 'SAVE_TRANSACTION';

/** The stored copy of a body is bounded (the route refuses bodies over MAX_BODY_BYTES before this). */
const MAX_STORED_BYTES = 256 * 1024;
const bounded = (raw: string) =>
  Buffer.byteLength(raw, 'utf8') <= MAX_STORED_BYTES
    ? raw
    : Buffer.from(raw, 'utf8').subarray(0, MAX_STORED_BYTES).toString('utf8');

export const bodySha256 = (raw: string) => createHash('sha256').update(raw).digest('hex');

/** The RECEIVED record that burns a request_ref, written before the body is even parsed. */
export const receivedRecord = (requestRef: string, raw: string, now: Date): NotificationRecord => ({
  requestRef,
  receivedAt: now.toISOString(),
  requestType: 'unknown',
  requester: null,
  mockMode: null,
  state: 'RECEIVED',
  transactionRef: null,
  bodySha256: bodySha256(raw),
  rawJson: bounded(raw),
});

const saveTransactionDelivery = (
  notification: OnepipeNotification,
  mapping: AccountMapping,
  receivedAt: string,
  settings: InboundSettings,
  now: Date,
) =>
  newDelivery({
    target: 'toqio',
    type: SAVE_TRANSACTION,
    subject: notification.details?.transaction_ref ?? notification.request_ref,
    payload: saveTransactionBody(notification, mapping, receivedAt, settings),
    now,
  });

/** Runs the inbound rules on a credit; any hit opens an informational case (key `onepipe#<ref>`). */
const screenCredit = (
  notification: OnepipeNotification,
  accountNumber: string,
  mapping: AccountMapping | undefined,
  engine: RulesEngine,
  settings: InboundSettings,
  now: Date,
): InformationalCase | undefined => {
  const meta = notification.details?.meta ?? {};
  const transactionRef = notification.details?.transaction_ref ?? notification.request_ref;
  const amount = Number(
    minorToMajor(String(notification.details?.amount ?? 0), currencyExponent(settings.currency) ?? 2),
  );
  // What OnePipe may send is longer than a payment's text fields: screening reads their start.
  const cut = (value: string | null | undefined, max: number) => (value ? value.slice(0, max) : undefined);
  const candidate = TransactionSchema.safeParse({
    id: transactionRef,
    type: 'INBOUND',
    payType: 'INBOUND_BANK_TRANSFER',
    customer: mapping?.customer ?? `unmapped:${accountNumber}`,
    currency: settings.currency,
    total: amount,
    baseTotal: amount,
    concept: cut(meta.narration ?? notification.details?.transaction_desc, 2000),
    sourceAccount: {
      name: cut(meta.originator_account_name, 500),
      accountNumber: cut(meta.originator_account_number, 200),
      countryCode: 'NG',
    },
    destinationAccount: { accountNumber, countryCode: 'NG', ...(mapping ? { id: mapping.accountId } : {}) },
  });
  if (!candidate.success) {
    // Never a 500 for a credit OnePipe signed: one the rules cannot read goes to a person instead.
    const at = now.toISOString();
    return {
      transactionId: `${ONEPIPE_KEY_PREFIX}${transactionRef}`,
      status: 'INFORMATIONAL',
      reviewStage: 'FINAL',
      version: 1,
      createdAt: at,
      caseOpenedAt: at,
      customer: mapping?.customer ?? `unmapped:${accountNumber}`,
      baseAmount: Number.isFinite(amount) ? amount : 0,
      currency: settings.currency,
      reasons: [
        {
          rule: 'INBOUND_NOT_SCREENED',
          description: `The inbound rules could not read this credit: ${candidate.error.issues
            .map((issue) => `${issue.path.join('.')} ${issue.message}`)
            .join('; ')}`,
        },
      ],
      hits: [],
      ruleIds: ['INBOUND_NOT_SCREENED'],
      ruleSetVersion: '',
      transaction: null,
      rawJson: JSON.stringify(notification),
    };
  }
  const parsed = normaliseTransaction(candidate.data);
  // Its own key space: a OnePipe reference can never name (or overwrite) a Toqio payment.
  const tx = { ...parsed, id: `${ONEPIPE_KEY_PREFIX}${transactionRef}` };
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
    currency: settings.currency,
    reasons,
    hits: evaluation.hits,
    ruleIds: evaluation.hits.map((hit) => hit.rule),
    ruleSetVersion: evaluation.ruleSetVersion,
    transaction: tx,
    rawJson: JSON.stringify(notification),
  };
};

/**
 * A signed notification the schema refused (a negative amount, 400 nines, a key too long to
 * store): stored as received and parked for a person, so OnePipe is answered and stops retrying.
 */
export const refuseNotification = async (
  received: NotificationRecord,
  why: string,
  store: NotificationStore,
): Promise<FinishOutcome> =>
  store.finish({
    record: { ...received, state: 'REFUSED', why: why.slice(0, 2000), unmatchedAccount: parkedKey('REFUSED') },
    deliveries: [],
  });

/**
 * Takes a verified notification whose request_ref is burnt (RECEIVED): registers a live
 * successful credit to a completely mapped account in Toqio (SAVE_TRANSACTION through the
 * delivery engine), parks what a person must see, and stores the rest. A transaction_ref already
 * claimed by an earlier request_ref is a DUPLICATE and causes nothing. Inbound rule hits open an
 * informational case. Everything is one transaction with the stored notification.
 */
export const receiveNotification = async (
  notification: OnepipeNotification,
  received: NotificationRecord,
  deps: NotificationDeps,
): Promise<{ outcome: FinishOutcome; state: NotificationState }> => {
  const now = deps.now?.() ?? new Date();
  const kind = classifyNotification(notification);
  const base: NotificationRecord = {
    ...received,
    requestType: notification.request_type,
    requester: notification.requester ?? null,
    mockMode: notification.mock_mode ?? null,
    transactionRef: notification.details?.transaction_ref ?? null,
  };
  const transactionRef = notification.details?.transaction_ref ?? notification.request_ref;
  let record: NotificationRecord;
  const deliveries: Delivery[] = [];
  let informationalCase: InformationalCase | undefined;
  let claimTransactionRef: string | undefined;
  if (kind.kind === 'credit') {
    const credit = { accountNumber: kind.accountNumber, amountKobo: kind.amountKobo };
    const confirmation = deps.confirmCredit
      ? await deps.confirmCredit(notification, kind.amountKobo).catch((error: unknown) => ({
          confirmed: false as const,
          why: `OnePipe query failed: ${error instanceof Error ? error.message : String(error)}`,
        }))
      : ({ confirmed: true } as const);
    if (!confirmation.confirmed) {
      record = {
        ...base,
        ...credit,
        state: 'UNCONFIRMED',
        why: confirmation.why,
        unmatchedAccount: parkedKey('UNCONFIRMED'),
      };
    } else {
      const stored = await deps.store.getMapping(kind.accountNumber);
      const complete = stored ? completeMapping(stored, deps.settings) : undefined;
      const mapping = complete && 'mapping' in complete ? complete.mapping : undefined;
      informationalCase = screenCredit(
        notification,
        kind.accountNumber,
        mapping,
        await deps.inboundRules.current(),
        deps.settings,
        now,
      );
      claimTransactionRef = transactionRef;
      if (mapping) {
        const delivery = saveTransactionDelivery(notification, mapping, received.receivedAt, deps.settings, now);
        deliveries.push(delivery);
        record = { ...base, ...credit, state: 'REGISTERED', deliveryId: delivery.deliveryId };
      } else {
        record = {
          ...base,
          ...credit,
          state: 'UNMATCHED',
          unmatchedAccount: kind.accountNumber,
          why:
            complete && 'problems' in complete
              ? `account mapping incomplete: ${complete.problems.join('; ')}`
              : 'no account mapping yet',
        };
      }
    }
  } else if (kind.kind === 'inspect') {
    record = { ...base, state: 'INSPECT', why: 'mock_mode Inspect: stored only' };
  } else if (kind.kind === 'parked') {
    record = { ...base, state: 'PARKED', why: kind.why, unmatchedAccount: parkedKey('PARKED') };
  } else {
    record = { ...base, state: 'STORED', why: kind.why };
  }
  let outcome = await deps.store.finish({
    record,
    deliveries,
    ...(informationalCase ? { informationalCase } : {}),
    ...(claimTransactionRef ? { claimTransactionRef } : {}),
  });
  if (outcome === 'transaction-taken') {
    // OnePipe sent the same credit again under a new request_ref: it is registered (or parked) once.
    const { unmatchedAccount: _u, deliveryId: _d, ...rest } = record;
    record = { ...rest, state: 'DUPLICATE', why: `transaction_ref ${transactionRef} was received before` };
    outcome = await deps.store.finish({ record, deliveries: [] });
    deliveries.length = 0;
  }
  return { outcome, state: record.state };
};

/** Registers every parked credit of an account that has just been (completely) mapped. */
export const registerUnmatched = async (
  mapping: AccountMapping,
  deps: Omit<NotificationDeps, 'inboundRules' | 'confirmCredit'>,
) => {
  const parked = await deps.store.listUnmatched(mapping.accountNumber);
  const registered: string[] = [];
  for (const record of parked) {
    if (record.state !== 'UNMATCHED') continue;
    const notification = OnepipeNotificationSchema.parse(JSON.parse(record.rawJson));
    const delivery = saveTransactionDelivery(
      notification,
      mapping,
      record.receivedAt,
      deps.settings,
      deps.now?.() ?? new Date(),
    );
    // Its SAVE_TRANSACTION reaches the queue through the deliveries table's stream.
    if (await deps.store.registerUnmatched(record, delivery)) registered.push(record.requestRef);
  }
  return registered;
};
