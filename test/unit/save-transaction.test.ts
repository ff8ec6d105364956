import { type OnepipeNotification, OnepipeNotificationSchema } from '../../functions/domain/onepipe/messages.js';
import {
  type AccountMapping,
  type InboundSettings,
  saveTransactionBody,
  toqioDate,
} from '../../functions/domain/onepipe/save-transaction.js';
import { inboundBankTransferSchema, saveTransactionProblems } from '../../local/toqio-contract.js';
import { MAPPING as ACCOUNT_MAPPING } from '../fixtures/onepipe-credits.js';

// biome-ignore lint/suspicious/noExplicitAny: the body is read as the JSON Toqio receives.
type Json = Record<string, any>;

const RECEIVED_AT = '2026-11-21T08:30:00.000Z';
const SETTINGS: InboundSettings = { currency: 'NGN', balance: 'zero' };

/** OnePipe's seed-style credit notification (shared/partners/onepipe.md §2.4 A), parsed as the handler parses it. */
const aCredit = (change: (raw: Json) => void = () => {}): OnepipeNotification => {
  const raw: Json = {
    request_ref: 'c0ffee00-0000-4000-8000-000000000001',
    request_type: 'transaction_notification',
    requester: 'FidelityVirtual',
    mock_mode: 'Live',
    app_info: { app_code: 'PAYP924039' },
    details: {
      amount: 1250050,
      status: 'Successful',
      provider: 'FidelityVirtual',
      transaction_ref: '100017000000000001',
      transaction_desc: 'Transfer from OLUWADUROTIMI B',
      transaction_type: 'collect',
      customer_ref: '2348101590442_000042',
      meta: {
        event_type: 'credit',
        cr_account: '4565564003',
        cr_account_name: 'PWT - Java Biller',
        narration: '4565564003/PWT - Jav/Transfer from OLUWADUROTIMI B',
        originator_account_name: 'OLUWADUROTIMI BOLAJI IDOWU',
        originator_account_number: '8101590442',
        originator_bank_name: 'Paycom',
        originator_cbn_code: '305',
        transaction_date: '2026-11-20-09-15-00',
        payment_id: '0093003',
      },
    },
  };
  change(raw);
  return OnepipeNotificationSchema.parse(raw);
};

const MAPPING: AccountMapping = { ...ACCOUNT_MAPPING, accountNumber: '4565564003' };

const bodyFor = (notification = aCredit(), mapping = MAPPING, settings = SETTINGS): Json =>
  saveTransactionBody(notification, mapping, RECEIVED_AT, settings);

/** The fields the seed marks mandatory, read from the contract itself (those that refuse `undefined`). */
const MANDATORY = Object.entries(inboundBankTransferSchema().shape)
  .filter(([, field]) => !field.safeParse(undefined).success)
  .map(([name]) => name)
  .sort();

describe('saveTransactionBody', () => {
  it("conforms to the seed's INBOUND_BANK_TRANSFER contract", () => {
    expect(saveTransactionProblems(bodyFor())).toEqual([]);
  });

  it('carries every field the seed marks mandatory, none of them empty', () => {
    // The contract's own list, so a field it adds is checked here too.
    expect(MANDATORY).toEqual([
      'balance',
      'bankDescription',
      'bankName',
      'baseCurrency',
      'baseTotal',
      'clientType',
      'company',
      'concept',
      'corePaymentType',
      'currency',
      'customer',
      'date',
      'destinationAccount',
      'payType',
      'sourceAccount',
      'status',
      'total',
      'transactionNumber',
      'type',
    ]);
    const body = bodyFor();
    for (const name of MANDATORY) {
      expect({ name, value: body[name] }).toEqual({ name, value: expect.anything() });
      if (typeof body[name] === 'string')
        expect({ name, length: body[name].trim().length > 0 }).toEqual({ name, length: true });
      // Without it Toqio refuses the message.
      const { [name]: _dropped, ...without } = body;
      expect(saveTransactionProblems(without)).toEqual([expect.stringMatching(new RegExp(`^${name}: `))]);
    }
  });

  it('describes the credit as Toqio asks for an inbound transfer, from the notification and the mapping', () => {
    expect(bodyFor()).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/),
      company: 'company-7f3a',
      customer: 'customer-19bc',
      clientType: 'BUSINESS',
      type: 'INBOUND',
      status: 'ACCEPTED',
      currency: 'NGN',
      baseCurrency: 'NGN',
      total: 12500.5,
      baseTotal: 12500.5,
      transactionNumber: '100017000000000001',
      payType: 'INBOUND_BANK_TRANSFER',
      date: '2026-11-20',
      sourceAccount: {
        type: 'NGN',
        name: 'OLUWADUROTIMI BOLAJI IDOWU',
        accountNumber: '8101590442',
        routingNumber: '305',
        countryCode: 'NG',
      },
      balance: 0,
      corePaymentType: 'INTERNAL-TRANSFER',
      bankName: 'Fidelity Bank',
      bankDescription: 'Virtual account via OnePipe',
      orderId: '100017000000000001',
      transactionTitle: 'OLUWADUROTIMI BOLAJI IDOWU',
      destinationAccount: {
        id: 'acc-5521',
        type: 'ngn',
        name: 'Java Biller Ltd',
        accountNumber: '4565564003',
        countryCode: 'NG',
        bankingProvider: 'OnePipe',
      },
      concept: '4565564003/PWT - Jav/Transfer from OLUWADUROTIMI B',
      dynamicFields: [
        {
          label: { en: 'OnePipe reference' },
          valueId: 'onepipe_request_ref',
          value: 'c0ffee00-0000-4000-8000-000000000001',
        },
        { label: { en: 'OnePipe payment id' }, valueId: 'onepipe_payment_id', value: '0093003' },
        { label: { en: 'Collected by' }, valueId: 'onepipe_provider', value: 'FidelityVirtual' },
        { label: { en: 'Payer bank' }, valueId: 'onepipe_payer_bank', value: 'Paycom' },
        { label: { en: 'Balance' }, valueId: 'balance_not_reported', value: 'Not reported by OnePipe (sent as 0)' },
      ],
    });
  });

  it('gives the same credit the same id, under any request_ref, and another credit another id', () => {
    const again = aCredit((raw) => {
      raw.request_ref = 'c0ffee00-0000-4000-8000-000000000002';
    });
    const other = aCredit((raw) => {
      raw.details.transaction_ref = '100017000000000002';
    });
    expect(bodyFor(again).id).toBe(bodyFor().id);
    expect(bodyFor(other).id).not.toBe(bodyFor().id);
  });

  it('reads kobo exactly, as a number or a numeric string', () => {
    const asString = aCredit((raw) => {
      raw.details.amount = '1000000001';
    });
    expect(bodyFor(asString)).toMatchObject({ total: 10000000.01, baseTotal: 10000000.01 });
    const largest = aCredit((raw) => {
      raw.details.amount = '999999999999999';
    });
    expect(bodyFor(largest).total).toBe(9999999999999.99);
  });

  it('leaves the balance out with TOQIO_INBOUND_BALANCE=omit, which the seed does not allow yet', () => {
    const body = bodyFor(aCredit(), MAPPING, { currency: 'NGN', balance: 'omit' });
    expect(body).not.toHaveProperty('balance');
    expect(body.dynamicFields.map((field: Json) => field.valueId)).not.toContain('balance_not_reported');
    expect(saveTransactionProblems(body)).toEqual(['balance: Invalid input: expected number, received undefined']);
  });

  it('falls back from the narration to the description to the payer, never sending an empty concept', () => {
    const noNarration = aCredit((raw) => {
      raw.details.meta.narration = '  ';
    });
    expect(bodyFor(noNarration).concept).toBe('Transfer from OLUWADUROTIMI B');
    const noDescription = aCredit((raw) => {
      raw.details.meta.narration = null;
      raw.details.transaction_desc = '';
    });
    expect(bodyFor(noDescription).concept).toBe('Transfer from OLUWADUROTIMI BOLAJI IDOWU');
    const nothing = aCredit((raw) => {
      raw.details.meta = { cr_account: '4565564003', event_type: 'credit' };
      raw.details.transaction_desc = null;
    });
    const body = bodyFor(nothing);
    expect(body.concept).toBe('OnePipe credit 100017000000000001');
    expect(saveTransactionProblems(body)).toEqual([]);
  });

  it('leaves out what OnePipe did not carry instead of sending empty values, and still conforms', () => {
    const bare = aCredit((raw) => {
      raw.details.meta = { cr_account: '4565564003', event_type: 'credit', originator_account_name: '' };
      raw.details.provider = null;
    });
    const { accountName: _name, ...unnamed } = MAPPING;
    const body = bodyFor(bare, unnamed);
    expect(body.sourceAccount).toEqual({ type: 'NGN', countryCode: 'NG' });
    expect(body).not.toHaveProperty('transactionTitle');
    expect(body.destinationAccount).not.toHaveProperty('name');
    expect(body.dynamicFields).toEqual([
      {
        label: { en: 'OnePipe reference' },
        valueId: 'onepipe_request_ref',
        value: 'c0ffee00-0000-4000-8000-000000000001',
      },
      { label: { en: 'Balance' }, valueId: 'balance_not_reported', value: 'Not reported by OnePipe (sent as 0)' },
    ]);
    expect(saveTransactionProblems(body)).toEqual([]);
  });

  it("names the destination after OnePipe's credited account when the mapping has no name", () => {
    const { accountName: _name, ...unnamed } = MAPPING;
    expect(bodyFor(aCredit(), unnamed).destinationAccount.name).toBe('PWT - Java Biller');
  });

  it('uses the transaction_ref for the numbers and falls back to the request_ref without one', () => {
    const noRef = aCredit((raw) => {
      delete raw.details.transaction_ref;
    });
    expect(bodyFor(noRef)).toMatchObject({
      transactionNumber: 'c0ffee00-0000-4000-8000-000000000001',
      orderId: 'c0ffee00-0000-4000-8000-000000000001',
    });
  });

  it("writes the account type in each account's letter case, whatever the mapping's", () => {
    const upper = bodyFor(aCredit(), { ...MAPPING, accountType: 'EUR' });
    expect(upper.sourceAccount.type).toBe('EUR');
    expect(upper.destinationAccount.type).toBe('eur');
    expect(saveTransactionProblems(upper)).toEqual([]);
  });
});

describe('toqioDate', () => {
  it("takes the day of OnePipe's yyyy-MM-dd-hh-mm-ss", () => {
    expect(toqioDate('2026-11-20-09-15-00', RECEIVED_AT)).toBe('2026-11-20');
    expect(toqioDate('2026-11-20', RECEIVED_AT)).toBe('2026-11-20');
  });

  it.each([undefined, null, '', '20/11/2026'])('falls back to the day it was received for %p', (date) => {
    expect(toqioDate(date, RECEIVED_AT)).toBe('2026-11-21');
  });
});
