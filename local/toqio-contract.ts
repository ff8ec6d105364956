import * as z from 'zod';

/**
 * Toqio's SAVE_TRANSACTION for an INBOUND_BANK_TRANSFER, as the seed publishes it
 * (shared/seeds/002_…): every field it marks mandatory is required, its enums are enforced, and a
 * field the seed does not name is refused, so a message that drifts fails here before it fails at
 * Toqio. Written from the seed independently of the code that builds the message.
 * `extraCurrency` admits the configured OnePipe currency (NGN) in the account-type enums, which
 * do not list it: the one documented exception, pending confirmation by Toqio's delivery team.
 */
const CORE_PAYMENT_TYPES =
  'payment-type-Global-SWIFT | payment-type-UK-BACS | payment-type-EU-SEPA-Target2 | payment-type-UK-Chaps | payment-type-EU-SEPA-Step2 | payment-type-virtual-debit-card-debit | payment-type-inter-ledger | payment-type-UK-FasterPayments | payment-type-fx | payment-type-card | payment-type-card-reserve | payment-type-EU-SEPA-Instant | payment-type-AU-NPP | payment-type-EU-Target2 | payment-type-AU-DE | payment-type-US-ACH | payment-type-SG-FAST | payment-type-US-Wires | SPEI | AUS-PAY-NET | EFT | NCS | CERTIS | STRAKSCLEARING-Instant | INTRADAGCLEARING | CHATS | GIRO_ZRT | IMPS | NEFT | SKN | IBG | NORWEGIAN-INTERBANK-CLEARING-SYSTEM | PESONET | ELIXIR | TRANSFOND_SENT_ACH | FAST | INTERNAL-TRANSFER | RIX | FEDACH | FEDWIRE | CHIPS | SEPA | TARGET2 | DIRECT_DEBIT_OUTBOUND'.split(
    ' | ',
  );
const SOURCE_TYPES =
  'AUD | CHF | CAD | SEK | GOLDBLOC | USD | NOK | WHISKY | JPY | NZD | GOLD | GBP | EUR | CZK | DKK | HUF | PLN | RON | ILS | RUB | BHD | SAR | BGN | KES | SGD | KWD | ZAR | CNY | MYR | HRK | MXN | THB | TRY | OMR | UGX | HKD | PHP | AED | INR | QAR | IDR | POINTS'.split(
    ' | ',
  );
const DESTINATION_TYPES =
  'gbp | eur | aud | chf | cad | sek | usd | points | nok | jpy | sgd | nzd | czk | dkk | huf | pln | ron | ils | rub | bhd | sar | bgn | kes | kwd | zar | cny | myr | hrk | mxn | thb | try | omr | ugx | hkd | php | aed | inr | qar | idr'.split(
    ' | ',
  );

const text = z.string();
const mandatory = z.string().min(1, 'is mandatory');
const oneOf = (values: string[]) =>
  z.string().refine((value) => values.includes(value), `must be one of the seed's values`);

export const inboundBankTransferSchema = (extraCurrency = 'NGN') =>
  z.strictObject({
    id: text.optional(),
    user: text.optional(),
    company: mandatory,
    customer: mandatory,
    clientType: z.enum(['BUSINESS', 'CONSUMER']),
    type: z.enum(['EXPENSE', 'PAYMENT', 'INBOUND', 'REFUND']),
    status: z.enum(['FAILED', 'PENDING', 'ACCEPTED', 'CANCELLED']),
    currency: mandatory,
    baseCurrency: mandatory,
    total: z.number(),
    baseTotal: z.number(),
    transactionNumber: mandatory,
    merchant: text.optional(),
    address: text.optional(),
    payType: z.enum(['CARD', 'INBOUND_BANK_TRANSFER', 'OUTBOUND_BANK_TRANSFER']),
    date: z.string().regex(/^\d{4}-\d{2}-\d{2}/, 'must be a date'),
    sourceAccount: z.strictObject({
      id: text.optional(),
      type: oneOf([...SOURCE_TYPES, extraCurrency.toUpperCase()]).optional(),
      name: text.optional(),
      iban: text.optional(),
      bicSwift: text.optional(),
      ukAccountNumber: text.optional(),
      ukSortCode: text.optional(),
      accountNumber: text.optional(),
      routingNumber: text.optional(),
      caRoutingNumber: text.optional(),
      address: text.optional(),
      address2: text.optional(),
      city: text.optional(),
      postalCode: text.optional(),
      countryCode: text.optional(),
    }),
    balance: z.number(),
    country: text.optional(),
    corePaymentType: oneOf(CORE_PAYMENT_TYPES),
    bankName: mandatory,
    bankLogo: text.optional(),
    bankDescription: mandatory,
    failureReason: text.optional(),
    finalTxNumber: text.optional(),
    cardId: text.optional(),
    orderId: text.optional(),
    ledgerType: text.optional(),
    dynamicFields: z
      .array(
        z.strictObject({
          label: z.strictObject({ en: text.optional(), es: text.optional(), xh: text.optional() }),
          valueId: text,
          value: text,
        }),
      )
      .optional(),
    emails: z.array(text).optional(),
    advancedInvoiceId: text.optional(),
    transactionTitle: text.optional(),
    destinationAccount: z.strictObject({
      id: text.optional(),
      type: oneOf([...DESTINATION_TYPES, extraCurrency.toLowerCase()]).optional(),
      name: text.optional(),
      iban: text.optional(),
      bicSwift: text.optional(),
      ukAccountNumber: text.optional(),
      ukSortCode: text.optional(),
      routingNumber: text.optional(),
      caRoutingNumber: text.optional(),
      accountNumber: text.optional(),
      bsbCode: text.optional(),
      address: text.optional(),
      address2: text.optional(),
      city: text.optional(),
      postalCode: text.optional(),
      countryCode: text.optional(),
      main: z.boolean().optional(),
      bankingProvider: text.optional(),
      ledgerType: text.optional(),
    }),
    concept: mandatory,
  });

/** The problems Toqio would answer a SAVE_TRANSACTION body with (empty when it conforms). */
export const saveTransactionProblems = (body: unknown, extraCurrency?: string): string[] => {
  const result = inboundBankTransferSchema(extraCurrency).safeParse(body);
  return result.success
    ? []
    : result.error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`);
};
