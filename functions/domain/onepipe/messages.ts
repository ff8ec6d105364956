import { createHash, createHmac, randomBytes } from 'node:crypto';
import { Decimal } from 'decimal.js';
import * as z from 'zod';
import type { NormalisedTransaction } from '../decisions/transaction.js';
import { majorToMinor } from '../shared/money.js';
import { type Delivery, newDelivery } from '../webhooks/delivery.js';

/**
 * OnePipe's Transaction Notification, parsed leniently: the samples disagree on types and
 * spellings (see shared/partners/onepipe.md), so unknown fields are kept, `request_type` is read in
 * any letter case and amounts may be numbers or numeric strings. What storage or money cannot hold
 * is refused here (and, once the signature is good, parked for a person, never a 500): amounts
 * must be whole, non-negative kobo within 15 digits; keys and references are bounded.
 */
const MAX_KOBO_DIGITS = 15;
const koboSchema = () =>
  z.union([
    z
      .number()
      .int('must be whole kobo')
      .nonnegative('must not be negative')
      .max(10 ** MAX_KOBO_DIGITS - 1, `must be at most ${MAX_KOBO_DIGITS} digits of kobo`),
    z
      .string()
      .regex(
        new RegExp(`^\\d{1,${MAX_KOBO_DIGITS}}$`),
        `must be whole, non-negative kobo (at most ${MAX_KOBO_DIGITS} digits)`,
      ),
  ]);
/** `value` of a key-like field: DynamoDB keys and index keys must stay far below 2,048 bytes. */
const shortText = (max: number) => z.string().max(max, `must be at most ${max} characters`).nullish();

export const NOTIFICATION_TYPES = [
  'transaction_notification',
  'transaction_info',
  'payment_fulfillment',
  'payment_fulfilment',
] as const;

/** A request_ref must be usable as a key: bounded, and not in the key spaces we keep for ourselves. */
// Schemas here are z.lazy: built on their first parse, so a function that never parses them
// (validate imports this module for the debit reports it queues) does not build them at cold start
// (npm run bench:cold).
const requestRefSchema = () =>
  z.preprocess(
    // OnePipe's samples send it as a string; a whole number is read as its digits (what was signed).
    (ref) => (typeof ref === 'number' && Number.isSafeInteger(ref) ? String(ref) : ref),
    z
      .string({ error: (issue) => (issue.input == null ? 'is required' : 'must be a string or a whole number') })
      .trim()
      .min(1, 'must not be empty')
      .max(200, 'must be at most 200 characters')
      .refine((ref) => !/^(txref|burn|mapping|proposal)#/.test(ref), 'uses a reserved prefix'),
  );
export const RequestRefSchema = z.lazy(requestRefSchema);

export const OnepipeNotificationSchema = z.lazy(() => {
  const text = z.string().max(4096).nullish();
  const kobo = koboSchema();
  return z.looseObject({
    // Built here, not through the lazy RequestRefSchema: JSON Schema output (docs/openapi.json)
    // counts a lazy member as optional, and request_ref is required.
    request_ref: requestRefSchema(),
    request_type: z
      .string({ error: 'is required' })
      .transform((value) => value.trim().toLowerCase())
      .pipe(z.enum(NOTIFICATION_TYPES, { error: `must be one of ${NOTIFICATION_TYPES.join(', ')}` })),
    requester: text,
    mock_mode: text,
    app_info: z.looseObject({}).nullish(),
    details: z
      .looseObject({
        amount: kobo.nullish(),
        status: text,
        provider: text,
        // A key of ours (the credit's claim, its informational case): never empty, never in our key spaces.
        transaction_ref: z
          .string()
          .trim()
          .min(1, 'must not be empty')
          .max(128, 'must be at most 128 characters')
          .refine(
            (ref) => !/^(onepipe|txref|burn|mapping|proposal)#|^provider-late:/.test(ref),
            'uses a reserved prefix',
          )
          .nullish(),
        transaction_desc: text,
        transaction_type: text,
        customer_ref: text,
        meta: z
          .looseObject({
            event_type: text,
            cr_account: shortText(64),
            cr_account_name: text,
            narration: text,
            originator_account_name: text,
            originator_account_number: text,
            originator_bank_name: text,
            originator_cbn_code: text,
            transaction_date: text,
            payment_id: z.union([z.string().max(200), z.number()]).nullish(),
          })
          .nullish(),
      })
      .nullish(),
  });
});
export type OnepipeNotification = z.infer<typeof OnepipeNotificationSchema>;

/** OnePipe's documented acknowledgement (PaywithAccount collection, "Payment Notifications"). */
export const ONEPIPE_ACK = { status: 'Successful', message: 'Transaction processed successfully' } as const;

/** OnePipe's signature: lower-case hex MD5 of `<request_ref>;<client secret>`. */
export const onepipeSignature = (requestRef: string, clientSecret: string): string =>
  createHash('md5').update(`${requestRef};${clientSecret}`).digest('hex');

/**
 * Our own request_refs (debit reports, queries) carry a tag only our outbound secret can make:
 * 24 random hex digits and the first 8 hex digits of their HMAC. A notification that comes back
 * with one of them is one of our own messages replayed at us, and is refused.
 */
const refTag = (random: string, secret: string) =>
  createHmac('sha256', secret).update(`tm-proxy-request-ref:${random}`).digest('hex').slice(0, 8);

export const ourRequestRef = (outboundSecret: string): string => {
  const random = randomBytes(12).toString('hex');
  return `${random}${refTag(random, outboundSecret)}`;
};

/**
 * The request_ref with the tag of this outbound secret, keeping its random part: the same ref
 * each time, so every retry of a report carries one request_ref. The deliver function tags the
 * reports that functions without the outbound secret queued (validate, case decisions).
 */
export const tagRequestRef = (requestRef: string, outboundSecret: string): string =>
  /^[0-9a-f]{32}$/.test(requestRef)
    ? `${requestRef.slice(0, 24)}${refTag(requestRef.slice(0, 24), outboundSecret)}`
    : requestRef;

export const isOurRequestRef = (requestRef: string, outboundSecret: string | undefined): boolean => {
  if (!outboundSecret || !/^[0-9a-f]{32}$/.test(requestRef)) return false;
  return refTag(requestRef.slice(0, 24), outboundSecret) === requestRef.slice(24);
};

/** What a notification means for us. */
export type NotificationKind =
  | { kind: 'credit'; accountNumber: string; amountKobo: string }
  | { kind: 'inspect' }
  /** Money-bearing, but not something we can register: parked for a person. */
  | { kind: 'parked'; why: string }
  | { kind: 'other'; why: string };

const isInspect = (notification: OnepipeNotification) => notification.mock_mode?.toLowerCase() === 'inspect';

/** Lifecycle events that move no money (mandate activation and status changes, biller approval). */
const NON_MONEY_TRANSACTION_TYPES = new Set(['activate_mandate']);
const NON_MONEY_EVENTS = new Set(['biller_approved', 'active', 'inactive', 'expired']);

/**
 * Classifies from what the message carries. A successful live `credit` (or a successful payment
 * into a named virtual account without `event_type`, as in OnePipe's FidelityVirtual sample) is a
 * credit to register; any other successful notification that carries money (a direct-debit
 * collection, a collection naming no account, a credit of zero) is parked for a person; failed
 * payments, lifecycle events and messages without money are only stored.
 */
export const classifyNotification = (notification: OnepipeNotification): NotificationKind => {
  if (isInspect(notification)) return { kind: 'inspect' };
  const details = notification.details;
  const event = details?.meta?.event_type?.trim().toLowerCase() || undefined;
  const status = details?.status?.trim().toLowerCase();
  const knownFailure = status === 'failed' || status === 'failure' || status === 'declined' || status === 'reversed';
  const moneyBearing =
    (event === 'credit' || details?.meta?.cr_account) && details?.amount !== null && details?.amount !== undefined;
  if (status !== 'successful') {
    // A credit whose outcome we cannot read (no status, or a word we do not know) may be money
    // that arrived: a person looks at it. Known failures are only stored.
    if (moneyBearing && !knownFailure)
      return { kind: 'parked', why: `credit with status ${details?.status ?? 'missing'}` };
    return { kind: 'other', why: `status ${details?.status ?? 'missing'}` };
  }
  const transactionType = details?.transaction_type?.trim().toLowerCase();
  const amount = details?.amount === null || details?.amount === undefined ? undefined : String(details.amount);
  const accountNumber = details?.meta?.cr_account?.trim() || undefined;
  const isCredit = event === 'credit' || (event === undefined && accountNumber !== undefined);
  if (isCredit) {
    if (!accountNumber) return { kind: 'parked', why: 'credit names no credited account (meta.cr_account)' };
    if (amount === undefined) return { kind: 'parked', why: 'credit has no amount' };
    if (new Decimal(amount).lte(0)) return { kind: 'parked', why: 'credit of zero is not registered' };
    return { kind: 'credit', accountNumber, amountKobo: new Decimal(amount).toFixed(0) };
  }
  if ((transactionType && NON_MONEY_TRANSACTION_TYPES.has(transactionType)) || (event && NON_MONEY_EVENTS.has(event)))
    return { kind: 'other', why: `${event ?? transactionType} moves no money` };
  if (amount === undefined || new Decimal(amount).lte(0)) return { kind: 'other', why: 'no money moved' };
  return {
    kind: 'parked',
    why: event
      ? `successful ${event} of ${amount} kobo is not registered automatically`
      : `successful payment of ${amount} kobo names no event_type and no credited account`,
  };
};

/** How an approved outbound payment is reported to OnePipe (settings from configuration). */
export interface DebitReportSettings {
  providerName: string;
  mockMode: 'live' | 'inspect';
  /** The only currency OnePipe handles (ONEPIPE_CURRENCY): amounts are its minor units (kobo). */
  currency: string;
  /**
   * Tags our request_refs so a replay of them is recognised inbound. Absent where the report is
   * queued by a function without the outbound secret: the deliver function tags it before signing.
   */
  outboundSecret?: string | undefined;
}

/**
 * The `transaction_notification` for an approved outbound payment, in OnePipe's request
 * envelope: a new (tagged) request_ref, the Toqio id as transaction_ref, the amount in minor
 * units of the currency's ISO 4217 exponent. Only for payments in OnePipe's currency: a USD
 * payment reported as kobo would be a wrong amount, so it is not reported (undefined).
 */
export const debitNotification = (transaction: NormalisedTransaction, settings: DebitReportSettings) => {
  const currency = transaction.currency ?? undefined;
  if (currency !== settings.currency) return undefined;
  const amount = majorToMinor(transaction.amount, currency);
  if (amount === undefined || amount <= 0) return undefined;
  return {
    request_ref: ourRequestRef(settings.outboundSecret ?? ''),
    request_type: 'transaction_notification',
    auth: { type: null, secure: null, auth_provider: settings.providerName, route_mode: null },
    transaction: {
      mock_mode: settings.mockMode,
      transaction_ref: transaction.id,
      transaction_desc: transaction.concept ?? `Payment ${transaction.id}`,
      transaction_ref_parent: null,
      amount,
      customer: { customer_ref: transaction.customer, firstname: '', surname: '', email: '', mobile_no: '' },
      meta: {
        event_type: 'debit',
        currency,
        beneficiary_name: transaction.destination.name,
        beneficiary_account: transaction.destination.accountNumber ?? transaction.destination.iban,
      },
      details: null,
    },
  };
};

/**
 * The OnePipe delivery that reports an approved outbound payment (subject: the Toqio id), or
 * none when the payment is not in OnePipe's currency (see debitNotification).
 */
export const debitReportDelivery = (
  transaction: NormalisedTransaction,
  settings: DebitReportSettings,
  now: Date,
): Delivery | undefined => {
  const payload = debitNotification(transaction, settings);
  return payload
    ? newDelivery({ target: 'onepipe', type: 'transaction_notification', subject: transaction.id, payload, now })
    : undefined;
};

/**
 * Why an approved payment gets no OnePipe debit report, said in its case: OnePipe's reports carry
 * amounts in its own currency's minor units (kobo), so a payment in another currency is not sent.
 */
export const unreportedPaymentNote = (transaction: NormalisedTransaction, onepipeCurrency: string) =>
  `Not reported to OnePipe: the payment is in ${transaction.currency ?? 'no currency'}; ` +
  `OnePipe's debit reports carry ${onepipeCurrency} minor units only`;

/** The `/v2/transact/query` request that asks OnePipe whether a credit happened. */
export const creditQuery = (notification: OnepipeNotification, outboundSecret: string) => ({
  request_ref: ourRequestRef(outboundSecret),
  request_type: notification.request_type,
  transaction: { transaction_ref: notification.details?.transaction_ref ?? notification.request_ref },
});

/** OnePipe's answer to a query, as far as a confirmation needs it (its standard response envelope). */
export const QueryAnswerSchema = z.lazy(() =>
  z.looseObject({
    status: z.string(),
    message: z.string().nullish(),
    data: z
      .looseObject({
        provider_response: z
          .looseObject({
            transaction_final_amount: z.union([z.number(), z.string()]).nullish(),
            amount: z.union([z.number(), z.string()]).nullish(),
          })
          .nullish(),
      })
      .nullish(),
  }),
);

/**
 * A credit is confirmed when OnePipe answers `Successful` and, where its answer names an amount
 * (kobo), that amount equals the notification's. Anything else is unconfirmed, with the reason.
 */
export const confirmation = (
  answer: unknown,
  amountKobo: string,
): { confirmed: true } | { confirmed: false; why: string } => {
  const parsed = QueryAnswerSchema.safeParse(answer);
  if (!parsed.success) return { confirmed: false, why: 'OnePipe query answer unreadable' };
  if (parsed.data.status.toLowerCase() !== 'successful')
    return {
      confirmed: false,
      why: `OnePipe query answered ${parsed.data.status}${parsed.data.message ? `: ${parsed.data.message}` : ''}`,
    };
  const response = parsed.data.data?.provider_response;
  const stated = response?.transaction_final_amount ?? response?.amount;
  if (stated !== null && stated !== undefined && !/^\d+$/.test(String(stated)))
    return { confirmed: false, why: `OnePipe query amount ${stated} is not kobo` };
  if (stated !== null && stated !== undefined && !new Decimal(String(stated)).eq(amountKobo))
    return { confirmed: false, why: `OnePipe confirms ${stated} kobo, the notification says ${amountKobo}` };
  return { confirmed: true };
};
