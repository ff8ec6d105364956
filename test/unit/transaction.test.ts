import { normaliseTransaction, TransactionSchema } from '../../functions/domain/decisions/transaction.js';
import { seedExample } from '../fixtures/transactions.js';

describe('TransactionSchema', () => {
  it('accepts the Save Transaction seed example as-is and keeps unknown fields', () => {
    const parsed = TransactionSchema.parse(seedExample());
    expect(parsed.id).toBe('c14a080d-7bd3-4bab-8e2f-1d71a0123e5f');
    expect(parsed).toMatchObject({ merchant: 'Office Depot', dynamicFields: expect.any(Array) });
    expect(parsed.destinationAccount).toMatchObject({ bsbCode: '987-654', main: true });
  });

  it('requires an id', () => {
    const { id: _id, ...withoutId } = seedExample();
    const result = TransactionSchema.safeParse(withoutId);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toEqual(['id']);
  });

  it('refuses amounts that are not numbers, naming each field', () => {
    const result = TransactionSchema.safeParse({ ...seedExample(), total: '250.75', baseTotal: 'x' });
    expect(result.error?.issues.map((issue) => issue.path.join('.')).sort()).toEqual(['baseTotal', 'total']);
  });

  it('reads null in an optional field as absent, in the payment and in its accounts', () => {
    const result = TransactionSchema.safeParse({
      ...seedExample(),
      concept: null,
      baseTotal: null,
      destinationAccount: null,
      sourceAccount: { ...(seedExample().sourceAccount as object), iban: null, name: null },
      somethingNew: null,
    });
    expect(result.error?.issues).toBeUndefined();
    expect(result.data).not.toHaveProperty('concept');
    expect(result.data).not.toHaveProperty('destinationAccount');
    expect(result.data?.sourceAccount).not.toHaveProperty('iban');
    expect(result.data).toHaveProperty('somethingNew', null);
  });

  it('still requires an id (null is not an id) and refuses ids in the OnePipe key space', () => {
    expect(TransactionSchema.safeParse({ ...seedExample(), id: null }).error?.issues[0]?.path).toEqual(['id']);
    expect(TransactionSchema.safeParse({ ...seedExample(), id: 'onepipe#123' }).error?.issues[0]?.path).toEqual(['id']);
    // Nor the key of a late provider disagreement (an informational case of its own).
    expect(TransactionSchema.safeParse({ ...seedExample(), id: 'provider-late:123' }).error?.issues[0]?.path).toEqual([
      'id',
    ]);
  });

  it('refuses a negative amount unless the transaction is a refund', () => {
    expect(TransactionSchema.safeParse({ ...seedExample(), total: -5 }).error?.issues[0]?.path).toEqual(['total']);
    expect(TransactionSchema.safeParse({ ...seedExample(), total: -5, baseTotal: -5, type: 'REFUND' }).success).toBe(
      true,
    );
  });
});

describe('normaliseTransaction', () => {
  it('derives direction, amounts, parties and the countries a payment touches', () => {
    const tx = normaliseTransaction(TransactionSchema.parse(seedExample()));
    expect(tx).toMatchObject({
      direction: 'OUTBOUND',
      customer: 'Jane Smith',
      baseAmount: 250.75,
      baseAmountMillis: 250750,
      hasAmount: true,
      isRefund: false,
    });
    expect(tx.source).toMatchObject({ iban: 'GB29NWBK60161331926819', ibanValid: true, bicValid: true });
    // The seed's destination IBAN is not a valid IBAN (the US has none): it does not add a country.
    expect(tx.destination).toMatchObject({ ibanValid: false, country: 'GB', nameKey: 'BUSINESS ACCOUNT' });
    expect(tx.countries.sort()).toEqual(['GB']);
    expect(tx.beneficiaryKey).toBe('iban:US98765432109876543210');
  });

  it('identifies a beneficiary by account number and bank code when there is no IBAN', () => {
    const { destinationAccount, ...rest } = seedExample();
    const dest = {
      ...(destinationAccount as object),
      iban: undefined,
      accountNumber: '123 456',
      ukSortCode: '20-00-00',
    };
    const tx = normaliseTransaction(TransactionSchema.parse({ ...rest, destinationAccount: dest }));
    expect(tx.beneficiaryKey).toBe('acct:123456:20-00-00');
  });

  it('falls back to the Toqio account id, then to no beneficiary', () => {
    const base = seedExample();
    const onlyId = normaliseTransaction(TransactionSchema.parse({ ...base, destinationAccount: { id: 'acc-1' } }));
    expect(onlyId.beneficiaryKey).toBe('toqio:acc-1');
    const none = normaliseTransaction(TransactionSchema.parse({ id: 'x' }));
    expect(none).toMatchObject({ beneficiaryKey: null, hasAmount: false, customer: 'unknown', direction: 'OTHER' });
  });

  it('adds IBAN and BIC countries and maps the UK alias to GB', () => {
    const tx = normaliseTransaction(
      TransactionSchema.parse({
        id: 'x',
        country: 'UK',
        destinationAccount: { iban: 'DE89 3704 0044 0532 0130 00', bicSwift: 'BPUNITRRXXX' },
      }),
    );
    expect(tx.destination.iban).toBe('DE89370400440532013000');
    expect(tx.countries.sort()).toEqual(['DE', 'GB', 'IT']);
  });
});
