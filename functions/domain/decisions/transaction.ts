import { isValidBIC, isValidIBAN } from 'ibantools';
import * as z from 'zod';
import { toMillis } from '../shared/money.js';

/**
 * Toqio's account shape (Save Transaction seed). Every field is optional because Toqio's
 * TM payload is not published; unknown fields are kept (looseObject).
 */
/**
 * Toqio may send `null` for a field it has no value for: a null in a known optional field is read
 * as absent (issue 11), while unknown fields are kept as sent. `id` stays required.
 */
const nullAsAbsent =
  (keys: readonly string[]) =>
  (value: unknown): unknown =>
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value).filter(([key, field]) => !(field === null && keys.includes(key))))
      : value;

/**
 * Sizes of the known fields. The stored decision holds the raw body (at most 256 KB) plus
 * normalised copies of these fields, and must stay under DynamoDB's 400 KB item limit; identifiers
 * also become parts of keys (2,048 bytes at most). Unknown fields are kept in the raw body only.
 */
export const FIELD_LIMITS = { identifier: 200, name: 500, text: 2000 } as const;
const identifier = z.string().max(FIELD_LIMITS.identifier, `must be at most ${FIELD_LIMITS.identifier} characters`);
const partyName = z.string().max(FIELD_LIMITS.name, `must be at most ${FIELD_LIMITS.name} characters`);
const freeText = z.string().max(FIELD_LIMITS.text, `must be at most ${FIELD_LIMITS.text} characters`);

const AccountShape = z.looseObject({
  id: identifier.optional(),
  type: identifier.optional(),
  name: partyName.optional(),
  iban: identifier.optional(),
  bicSwift: identifier.optional(),
  ukAccountNumber: identifier.optional(),
  ukSortCode: identifier.optional(),
  accountNumber: identifier.optional(),
  routingNumber: identifier.optional(),
  caRoutingNumber: identifier.optional(),
  bsbCode: identifier.optional(),
  city: freeText.optional(),
  postalCode: identifier.optional(),
  countryCode: identifier.optional(),
});
export const AccountSchema = z.preprocess(nullAsAbsent(Object.keys(AccountShape.shape)), AccountShape);
export type Account = z.infer<typeof AccountSchema>;

/** Key prefix of OnePipe credits in the decisions table (their informational cases). */
export const ONEPIPE_KEY_PREFIX = 'onepipe#';
/** Key prefix of the informational case a provider's late disagreement opens. */
export const PROVIDER_LATE_KEY_PREFIX = 'provider-late:';
/** Key spaces of the decisions table that are not Toqio payments: no Toqio id may take them. */
export const RESERVED_KEY_PREFIXES = [ONEPIPE_KEY_PREFIX, PROVIDER_LATE_KEY_PREFIX] as const;

/** No payment is this large; a bound also keeps amounts (x1000) exact and storable in DynamoDB. */
export const MAX_AMOUNT = 1e12;
const amount = z
  .number({ error: 'must be a number' })
  .refine(Number.isFinite, 'must be a finite number')
  .refine((value) => Math.abs(value) <= MAX_AMOUNT, `must be between -${MAX_AMOUNT} and ${MAX_AMOUNT}`)
  // DynamoDB stores no number closer to zero than 1e-130 (nor is it any currency's amount).
  .refine((value) => value === 0 || Math.abs(value) >= 1e-130, 'must be 0 or at least 1e-130 in size');

/**
 * A negative amount is allowed only on a REFUND. `when` makes the check run even when another
 * field already failed, so one answer names every bad field.
 */
const noNegative = (
  key: 'total' | 'baseTotal',
): [(tx: Record<string, unknown>) => boolean, z.core.$ZodCustomParams] => [
  (tx: Record<string, unknown>) => {
    const value = tx[key];
    return typeof value !== 'number' || value >= 0 || String(tx.type).toUpperCase() === 'REFUND';
  },
  {
    path: [key],
    message: 'must not be negative unless type is REFUND',
    when: (payload) => typeof payload.value === 'object' && payload.value !== null,
  },
];

/**
 * The transaction Toqio sends to `POST /transaction/validate`: the Save Transaction model.
 * Only `id` is required; amounts are numbers; a negative amount is allowed only on a REFUND.
 */
const TransactionShape = z.looseObject({
  id: z
    .string({ error: 'is required and must be a string' })
    .trim()
    .min(1, 'must not be empty')
    .max(200)
    // OnePipe credits and late provider disagreements have keys of their own (`onepipe#<ref>`,
    // `provider-late:<id>`): a Toqio id can never take them, so nothing else overwrites a payment.
    .refine(
      (id) => !RESERVED_KEY_PREFIXES.some((prefix) => id.startsWith(prefix)),
      `must not start with ${RESERVED_KEY_PREFIXES.join(' or ')}`,
    ),
  user: identifier.optional(),
  company: identifier.optional(),
  customer: identifier.optional(),
  clientType: identifier.optional(),
  type: identifier.optional(),
  status: identifier.optional(),
  currency: identifier.optional(),
  baseCurrency: identifier.optional(),
  total: amount.optional(),
  baseTotal: amount.optional(),
  balance: amount.optional(),
  transactionNumber: identifier.optional(),
  payType: identifier.optional(),
  date: identifier.optional(),
  country: identifier.optional(),
  corePaymentType: identifier.optional(),
  concept: freeText.optional(),
  reference: freeText.optional(),
  sourceAccount: AccountSchema.optional(),
  destinationAccount: AccountSchema.optional(),
});
export const TransactionSchema = z.preprocess(
  nullAsAbsent(Object.keys(TransactionShape.shape).filter((key) => key !== 'id')),
  TransactionShape.refine(...noNegative('total')).refine(...noNegative('baseTotal')),
);
export type Transaction = z.infer<typeof TransactionSchema>;

/** One party of a payment as the rules see it. */
export interface Party {
  id: string | null;
  name: string | null;
  /** Upper-case, accent-free, single-spaced name, for list matching. */
  nameKey: string | null;
  iban: string | null;
  ibanValid: boolean;
  bic: string | null;
  bicValid: boolean;
  accountNumber: string | null;
  country: string | null;
  /** Every country the account points at: its country code, its IBAN's and its BIC's. */
  countries: string[];
}

/** The transaction in the form the rules engine reads: plain values, decimal-safe amounts. */
export interface NormalisedTransaction {
  id: string;
  direction: 'OUTBOUND' | 'INBOUND' | 'CARD' | 'OTHER';
  payType: string | null;
  type: string | null;
  customer: string;
  company: string | null;
  clientType: string | null;
  currency: string | null;
  baseCurrency: string | null;
  amount: number;
  baseAmount: number;
  /** The base amount in thousandths of the base currency: an integer, safe to add up. */
  baseAmountMillis: number;
  hasAmount: boolean;
  isRefund: boolean;
  concept: string | null;
  source: Party;
  destination: Party;
  /** Stable identity of the beneficiary (IBAN, else account number + bank code, else Toqio id). */
  beneficiaryKey: string | null;
  /** Every country the payment touches (both parties and the top-level country). */
  countries: string[];
}

const clean = (value: string | undefined): string | null => {
  const trimmed = value?.trim();
  return trimmed ? trimmed : null;
};

const compact = (value: string | undefined): string | null => clean(value)?.replace(/\s+/g, '').toUpperCase() ?? null;

/** Name key for block-list matching: case, accents, punctuation and spacing do not matter. */
export const nameKey = (name: string | null | undefined): string | null => {
  if (!name) return null;
  const key = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toUpperCase()
    .replace(/[^A-Z0-9 ]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return key || null;
};

/** Two-letter ISO country code, or null (Toqio samples also carry "UK"). */
const countryCode = (value: string | null | undefined): string | null => {
  const code = value?.trim().toUpperCase();
  if (!code || !/^[A-Z]{2}$/.test(code)) return null;
  return code === 'UK' ? 'GB' : code;
};

const normaliseParty = (account: Account | undefined): Party => {
  const iban = compact(account?.iban);
  const bic = compact(account?.bicSwift);
  const ibanValid = iban !== null && isValidIBAN(iban);
  const bicValid = bic !== null && isValidBIC(bic);
  const country = countryCode(account?.countryCode);
  const countries = new Set<string>();
  if (country) countries.add(country);
  if (ibanValid && iban) countries.add(iban.slice(0, 2));
  if (bicValid && bic) countries.add(bic.slice(4, 6));
  const name = clean(account?.name);
  return {
    id: clean(account?.id),
    name,
    nameKey: nameKey(name),
    iban,
    ibanValid,
    bic,
    bicValid,
    accountNumber: compact(account?.accountNumber) ?? compact(account?.ukAccountNumber),
    country,
    countries: [...countries],
  };
};

const beneficiaryKeyOf = (account: Account | undefined, party: Party): string | null => {
  if (party.iban) return `iban:${party.iban}`;
  const bankCode =
    compact(account?.ukSortCode) ??
    compact(account?.routingNumber) ??
    compact(account?.bsbCode) ??
    compact(account?.caRoutingNumber) ??
    party.bic;
  if (party.accountNumber) return `acct:${party.accountNumber}:${bankCode ?? ''}`;
  return party.id ? `toqio:${party.id}` : null;
};

const directionOf = (payType: string | null): NormalisedTransaction['direction'] => {
  switch (payType) {
    case 'OUTBOUND_BANK_TRANSFER':
    case 'OUTBOUND_BANK_TRANSFER_DIRECT_DEBIT':
      return 'OUTBOUND';
    case 'INBOUND_BANK_TRANSFER':
      return 'INBOUND';
    case 'CARD':
      return 'CARD';
    default:
      return 'OTHER';
  }
};

/**
 * Turns Toqio's payload into the facts the rules read. The base amount is `baseTotal`, else
 * `total` (Toqio sends both; a payload with neither is flagged by `hasAmount`).
 */
export const normaliseTransaction = (tx: Transaction): NormalisedTransaction => {
  const source = normaliseParty(tx.sourceAccount);
  const destination = normaliseParty(tx.destinationAccount);
  const payType = clean(tx.payType)?.toUpperCase() ?? null;
  const type = clean(tx.type)?.toUpperCase() ?? null;
  const base = tx.baseTotal ?? tx.total;
  const baseAmountMillis = base === undefined ? 0 : toMillis(base);
  const countries = new Set([...source.countries, ...destination.countries]);
  const topCountry = countryCode(tx.country);
  if (topCountry) countries.add(topCountry);
  return {
    id: tx.id,
    direction: directionOf(payType),
    payType,
    type,
    customer: clean(tx.customer) ?? clean(tx.company) ?? source.id ?? 'unknown',
    company: clean(tx.company),
    clientType: clean(tx.clientType),
    currency: compact(tx.currency),
    baseCurrency: compact(tx.baseCurrency) ?? compact(tx.currency),
    amount: tx.total ?? tx.baseTotal ?? 0,
    baseAmount: baseAmountMillis / 1000,
    baseAmountMillis,
    hasAmount: base !== undefined,
    isRefund: type === 'REFUND',
    concept: clean(tx.concept),
    source,
    destination,
    beneficiaryKey: beneficiaryKeyOf(tx.destinationAccount, destination),
    countries: [...countries],
  };
};
