import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { type Delivery, newDelivery } from './delivery.js';
import { minorToMajor, toMillis } from './money.js';
import type { NormalisedTransaction } from './transaction.js';

/**
 * OnePipe's Transaction Notification, parsed leniently: the samples disagree on types and
 * spellings (see shared/partners/onepipe.md), so unknown fields are kept and amounts may be
 * numbers or numeric strings. Only `request_ref` is needed to verify and store a notification.
 */
const kobo = z.union([z.number(), z.string().regex(/^-?\d+(\.\d+)?$/, 'must be a number of kobo')]);
const text = z.string().nullish();

export const NOTIFICATION_TYPES = [
  'transaction_notification',
  'transaction_info',
  'payment_fulfillment',
  'payment_fulfilment',
] as const;

export const OnepipeNotificationSchema = z.looseObject({
  request_ref: z.string({ error: 'is required' }).trim().min(1).max(200),
  request_type: z.enum(NOTIFICATION_TYPES, { error: `must be one of ${NOTIFICATION_TYPES.join(', ')}` }),
  requester: text,
  mock_mode: text,
  app_info: z.looseObject({}).nullish(),
  details: z
    .looseObject({
      amount: kobo.nullish(),
      status: text,
      provider: text,
      transaction_ref: text,
      transaction_desc: text,
      transaction_type: text,
      customer_ref: text,
      meta: z
        .looseObject({
          event_type: text,
          cr_account: text,
          cr_account_name: text,
          narration: text,
          originator_account_name: text,
          originator_account_number: text,
          originator_bank_name: text,
          originator_cbn_code: text,
          transaction_date: text,
          payment_id: text,
        })
        .nullish(),
    })
    .nullish(),
});
export type OnepipeNotification = z.infer<typeof OnepipeNotificationSchema>;

/** OnePipe's signature: lower-case hex MD5 of `<request_ref>;<client secret>`. */
export const onepipeSignature = (requestRef: string, clientSecret: string): string =>
  createHash('md5').update(`${requestRef};${clientSecret}`).digest('hex');

/** What a notification means for us. */
export type NotificationKind =
  | { kind: 'credit'; accountNumber: string; amountKobo: string }
  | { kind: 'inspect' }
  | { kind: 'other'; why: string };

const isInspect = (notification: OnepipeNotification) => notification.mock_mode?.toLowerCase() === 'inspect';

/** A successful `credit` in live mode is a payment to register in Toqio; everything else is only stored. */
export const classifyNotification = (notification: OnepipeNotification): NotificationKind => {
  if (isInspect(notification)) return { kind: 'inspect' };
  const details = notification.details;
  const event = details?.meta?.event_type?.toLowerCase();
  if (event !== 'credit') return { kind: 'other', why: `event ${event ?? 'none'} is not a credit` };
  if (details?.status?.toLowerCase() !== 'successful')
    return { kind: 'other', why: `credit status ${details?.status ?? 'missing'}` };
  const accountNumber = details.meta?.cr_account?.trim();
  if (!accountNumber) return { kind: 'other', why: 'credit names no credited account (meta.cr_account)' };
  if (details.amount === null || details.amount === undefined) return { kind: 'other', why: 'credit has no amount' };
  return { kind: 'credit', accountNumber, amountKobo: String(details.amount) };
};

/** How a credited virtual account belongs to a Toqio customer. Managed by supervisors. */
export const AccountMappingSchema = z.strictObject({
  company: z.string().trim().min(1),
  customer: z.string().trim().min(1),
  accountId: z.string().trim().min(1),
  clientType: z.enum(['BUSINESS', 'CONSUMER']),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code')
    .default('NGN'),
  accountName: z.string().trim().min(1).optional(),
  bankName: z.string().trim().min(1).optional(),
  bankDescription: z.string().trim().min(1).optional(),
  corePaymentType: z.string().trim().min(1).optional(),
});
export type AccountMapping = z.infer<typeof AccountMappingSchema> & { accountNumber: string };

/** OnePipe's transaction_date is `yyyy-MM-dd-hh-mm-ss` (or shorter); Toqio wants a date. */
export const toqioDate = (onepipeDate: string | null | undefined, receivedAt: string): string => {
  const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(onepipeDate ?? '');
  return match ? `${match[1]}-${match[2]}-${match[3]}` : receivedAt.slice(0, 10);
};

/** A stable UUID for a OnePipe payment, so a re-registration sends Toqio the same id. */
const stableUuid = (seed: string): string => {
  const hex = createHash('sha256').update(seed).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
};

/**
 * The SAVE_TRANSACTION body for a credit (Toqio's INBOUND_BANK_TRANSFER shape). Fields Toqio
 * calls mandatory that OnePipe does not carry come from the mapping; absent ones are left out,
 * never invented (balance, for instance, is not known here).
 */
export const saveTransactionBody = (notification: OnepipeNotification, mapping: AccountMapping, receivedAt: string) => {
  const details = notification.details ?? {};
  const meta = details.meta ?? {};
  const transactionRef = details.transaction_ref ?? notification.request_ref;
  const amount = Number(minorToMajor(String(details.amount ?? 0)));
  const optional = <T>(key: string, value: T | null | undefined) =>
    value === null || value === undefined || value === '' ? {} : { [key]: value };
  return {
    id: stableUuid(`onepipe:${transactionRef}`),
    company: mapping.company,
    customer: mapping.customer,
    clientType: mapping.clientType,
    type: 'INBOUND',
    status: 'ACCEPTED',
    currency: mapping.currency,
    baseCurrency: mapping.currency,
    total: amount,
    baseTotal: amount,
    transactionNumber: transactionRef,
    payType: 'INBOUND_BANK_TRANSFER',
    date: toqioDate(meta.transaction_date, receivedAt),
    sourceAccount: {
      type: mapping.currency,
      ...optional('name', meta.originator_account_name),
      ...optional('accountNumber', meta.originator_account_number),
      // The originator's bank: its CBN code is the Nigerian routing code.
      ...optional('routingNumber', meta.originator_cbn_code),
      ...optional('address', meta.originator_bank_name),
      countryCode: 'NG',
    },
    destinationAccount: {
      id: mapping.accountId,
      type: mapping.currency.toLowerCase(),
      ...optional('name', mapping.accountName ?? meta.cr_account_name),
      accountNumber: mapping.accountNumber,
      countryCode: 'NG',
      bankingProvider: 'OnePipe',
    },
    concept: meta.narration ?? details.transaction_desc ?? '',
    ...optional('bankName', mapping.bankName),
    ...optional('bankDescription', mapping.bankDescription),
    ...optional('corePaymentType', mapping.corePaymentType),
    orderId: transactionRef,
    dynamicFields: [
      { label: { en: 'OnePipe reference' }, valueId: 'onepipe_request_ref', value: notification.request_ref },
      ...(meta.payment_id
        ? [{ label: { en: 'OnePipe payment id' }, valueId: 'onepipe_payment_id', value: meta.payment_id }]
        : []),
      ...(details.provider
        ? [{ label: { en: 'Collected by' }, valueId: 'onepipe_provider', value: details.provider }]
        : []),
    ],
  };
};

/** How an approved outbound payment is reported to OnePipe (settings from configuration). */
export interface DebitReportSettings {
  providerName: string;
  mockMode: 'live' | 'inspect';
}

/**
 * The `transaction_notification` for an approved outbound payment, in OnePipe's request
 * envelope: a new request_ref, the Toqio id as transaction_ref, the amount in minor units.
 */
export const debitNotification = (transaction: NormalisedTransaction, settings: DebitReportSettings) => ({
  request_ref: randomUUID().replaceAll('-', ''),
  request_type: 'transaction_notification',
  auth: { type: null, secure: null, auth_provider: settings.providerName, route_mode: null },
  transaction: {
    mock_mode: settings.mockMode,
    transaction_ref: transaction.id,
    transaction_desc: transaction.concept ?? `Payment ${transaction.id}`,
    transaction_ref_parent: null,
    // Minor units of the payment's currency: thousandths -> hundredths, exactly.
    amount: Math.round(toMillis(transaction.amount) / 10),
    customer: { customer_ref: transaction.customer, firstname: '', surname: '', email: '', mobile_no: '' },
    meta: {
      event_type: 'debit',
      currency: transaction.currency,
      beneficiary_name: transaction.destination.name,
      beneficiary_account: transaction.destination.accountNumber ?? transaction.destination.iban,
    },
    details: null,
  },
});

/** The OnePipe delivery that reports an approved outbound payment (subject: the Toqio id). */
export const debitReportDelivery = (
  transaction: NormalisedTransaction,
  settings: DebitReportSettings,
  now: Date,
): Delivery =>
  newDelivery({
    target: 'onepipe',
    type: 'transaction_notification',
    subject: transaction.id,
    payload: debitNotification(transaction, settings),
    now,
  });
