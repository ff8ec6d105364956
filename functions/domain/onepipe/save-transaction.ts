import { createHash } from 'node:crypto';
import * as z from 'zod';
import { currencyExponent, minorToMajor } from '../shared/money.js';
import type { OnepipeNotification } from './messages.js';

/**
 * Toqio's SAVE_TRANSACTION webhook for an inbound bank transfer, written strictly from the seed
 * (shared/seeds/002_…, INBOUND_BANK_TRANSFER). The enums below are the seed's, verbatim.
 */
export const TOQIO_CORE_PAYMENT_TYPES = [
  'payment-type-Global-SWIFT',
  'payment-type-UK-BACS',
  'payment-type-EU-SEPA-Target2',
  'payment-type-UK-Chaps',
  'payment-type-EU-SEPA-Step2',
  'payment-type-virtual-debit-card-debit',
  'payment-type-inter-ledger',
  'payment-type-UK-FasterPayments',
  'payment-type-fx',
  'payment-type-card',
  'payment-type-card-reserve',
  'payment-type-EU-SEPA-Instant',
  'payment-type-AU-NPP',
  'payment-type-EU-Target2',
  'payment-type-AU-DE',
  'payment-type-US-ACH',
  'payment-type-SG-FAST',
  'payment-type-US-Wires',
  'SPEI',
  'AUS-PAY-NET',
  'EFT',
  'NCS',
  'CERTIS',
  'STRAKSCLEARING-Instant',
  'INTRADAGCLEARING',
  'CHATS',
  'GIRO_ZRT',
  'IMPS',
  'NEFT',
  'SKN',
  'IBG',
  'NORWEGIAN-INTERBANK-CLEARING-SYSTEM',
  'PESONET',
  'ELIXIR',
  'TRANSFOND_SENT_ACH',
  'FAST',
  'INTERNAL-TRANSFER',
  'RIX',
  'FEDACH',
  'FEDWIRE',
  'CHIPS',
  'SEPA',
  'TARGET2',
  'DIRECT_DEBIT_OUTBOUND',
] as const;

/** `destinationAccount.type` in the seed (lower case); `sourceAccount.type` is the same list upper-cased. */
export const TOQIO_ACCOUNT_TYPES = [
  'gbp',
  'eur',
  'aud',
  'chf',
  'cad',
  'sek',
  'usd',
  'points',
  'nok',
  'jpy',
  'sgd',
  'nzd',
  'czk',
  'dkk',
  'huf',
  'pln',
  'ron',
  'ils',
  'rub',
  'bhd',
  'sar',
  'bgn',
  'kes',
  'kwd',
  'zar',
  'cny',
  'myr',
  'hrk',
  'mxn',
  'thb',
  'try',
  'omr',
  'ugx',
  'hkd',
  'php',
  'aed',
  'inr',
  'qar',
  'idr',
] as const;

/** Settings of inbound registrations (from configuration). */
export interface InboundSettings {
  /** ONEPIPE_CURRENCY: the currency of OnePipe credits (NGN unless Toqio says otherwise). */
  currency: string;
  /** TOQIO_INBOUND_BALANCE: Toqio requires `balance`, OnePipe does not report one. */
  balance: 'zero' | 'omit';
}

const required = (what: string) =>
  z
    .string({ error: `is required (${what})` })
    .trim()
    .min(1, 'must not be empty');

/**
 * How a credited virtual account belongs to a Toqio customer, managed by supervisors. Every field
 * Toqio requires that OnePipe does not carry is required here, so a saved mapping is complete.
 * `currency` may be given but must be the configured one; `accountType` is Toqio's account-type
 * value, one of the seed's or the configured currency (NGN is in neither seed enum).
 */
export const accountMappingSchema = (settings: Pick<InboundSettings, 'currency'>) =>
  z.strictObject({
    company: required('Toqio company'),
    customer: required('Toqio customer'),
    accountId: required('Toqio account id'),
    clientType: z.enum(['BUSINESS', 'CONSUMER'], { error: 'must be BUSINESS or CONSUMER' }),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code')
      .refine((code) => code === settings.currency, `must be ${settings.currency} (ONEPIPE_CURRENCY)`)
      .optional(),
    accountType: z
      .string({ error: 'is required (Toqio account type)' })
      .trim()
      .toLowerCase()
      .refine(
        (type) => (TOQIO_ACCOUNT_TYPES as readonly string[]).includes(type) || type === settings.currency.toLowerCase(),
        `must be one of Toqio's account types or ${settings.currency.toLowerCase()}`,
      ),
    accountName: z.string().trim().min(1).max(200).optional(),
    bankName: required('Toqio bankName').max(200),
    bankDescription: required('Toqio bankDescription').max(500),
    corePaymentType: z.enum(TOQIO_CORE_PAYMENT_TYPES, { error: "must be one of Toqio's corePaymentType values" }),
  });
export type AccountMappingInput = z.infer<ReturnType<typeof accountMappingSchema>>;
export type AccountMapping = AccountMappingInput & { accountNumber: string };

/** A stored mapping may predate the required fields: it is complete only if it passes today's schema. */
export const completeMapping = (
  stored: Record<string, unknown>,
  settings: Pick<InboundSettings, 'currency'>,
): { mapping: AccountMapping } | { problems: string[] } => {
  const { accountNumber, updatedAt: _u, updatedBy: _b, version: _v, ...fields } = stored;
  const result = accountMappingSchema(settings).safeParse(fields);
  if (!result.success)
    return { problems: result.error.issues.map((issue) => `${issue.path.join('.') || '(mapping)'}: ${issue.message}`) };
  return { mapping: { ...result.data, accountNumber: String(accountNumber) } };
};

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

const present = (value: string | number | null | undefined): string | undefined => {
  const trimmed = value === null || value === undefined ? undefined : String(value).trim();
  return trimmed ? trimmed : undefined;
};

/**
 * The SAVE_TRANSACTION body for a credit, with every field the seed marks mandatory. What OnePipe
 * does not carry comes from the mapping (bankName, bankDescription, corePaymentType, account type)
 * or from configuration (currency, the balance policy), never from a guess:
 * - `balance`: OnePipe reports none; TOQIO_INBOUND_BALANCE=zero sends 0 and says so in a dynamic
 *   field, `omit` leaves it out (only once Toqio confirms it may be absent).
 * - `transactionTitle`: the seed's rule for inbound transfers, the source account's name.
 * - `concept`: the narration, else the description, else a sentence naming the payer or reference.
 * - `sourceAccount.address` is left out: OnePipe carries the payer's bank, not an address.
 */
export const saveTransactionBody = (
  notification: OnepipeNotification,
  mapping: AccountMapping,
  receivedAt: string,
  settings: InboundSettings,
) => {
  const details = notification.details ?? {};
  const meta = details.meta ?? {};
  const transactionRef = details.transaction_ref ?? notification.request_ref;
  const amount = Number(minorToMajor(String(details.amount ?? 0), currencyExponent(settings.currency) ?? 2));
  const optional = <T>(key: string, value: T | null | undefined) =>
    value === null || value === undefined || value === '' ? {} : { [key]: value };
  const payer = present(meta.originator_account_name);
  const concept =
    present(meta.narration) ??
    present(details.transaction_desc) ??
    (payer ? `Transfer from ${payer}` : `OnePipe credit ${transactionRef}`);
  const accountType = mapping.accountType.toLowerCase();
  return {
    id: stableUuid(`onepipe:${transactionRef}`),
    company: mapping.company,
    customer: mapping.customer,
    clientType: mapping.clientType,
    type: 'INBOUND',
    status: 'ACCEPTED',
    currency: settings.currency,
    baseCurrency: settings.currency,
    total: amount,
    baseTotal: amount,
    transactionNumber: transactionRef,
    payType: 'INBOUND_BANK_TRANSFER',
    date: toqioDate(meta.transaction_date, receivedAt),
    sourceAccount: {
      type: accountType.toUpperCase(),
      ...optional('name', payer),
      ...optional('accountNumber', present(meta.originator_account_number)),
      // The originator's bank: its CBN code is the Nigerian routing code.
      ...optional('routingNumber', present(meta.originator_cbn_code)),
      countryCode: 'NG',
    },
    ...(settings.balance === 'zero' ? { balance: 0 } : {}),
    corePaymentType: mapping.corePaymentType,
    bankName: mapping.bankName,
    bankDescription: mapping.bankDescription,
    orderId: transactionRef,
    ...optional('transactionTitle', payer),
    destinationAccount: {
      id: mapping.accountId,
      type: accountType,
      ...optional('name', mapping.accountName ?? present(meta.cr_account_name)),
      accountNumber: mapping.accountNumber,
      countryCode: 'NG',
      bankingProvider: 'OnePipe',
    },
    concept,
    dynamicFields: [
      { label: { en: 'OnePipe reference' }, valueId: 'onepipe_request_ref', value: notification.request_ref },
      ...(present(meta.payment_id)
        ? [{ label: { en: 'OnePipe payment id' }, valueId: 'onepipe_payment_id', value: String(meta.payment_id) }]
        : []),
      ...(present(details.provider)
        ? [{ label: { en: 'Collected by' }, valueId: 'onepipe_provider', value: String(details.provider) }]
        : []),
      ...(present(meta.originator_bank_name)
        ? [{ label: { en: 'Payer bank' }, valueId: 'onepipe_payer_bank', value: String(meta.originator_bank_name) }]
        : []),
      ...(settings.balance === 'zero'
        ? [{ label: { en: 'Balance' }, valueId: 'balance_not_reported', value: 'Not reported by OnePipe (sent as 0)' }]
        : []),
    ],
  };
};
