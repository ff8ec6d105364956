import {
  currencyExponent,
  fromMillis,
  majorToMinor,
  minorToMajor,
  toMillis,
} from '../../functions/domain/shared/money.js';

describe('money', () => {
  it('keeps decimal amounts exact', () => {
    expect(toMillis(0.1) + toMillis(0.2)).toBe(toMillis(0.3));
    expect(fromMillis(toMillis(250.75) * 3)).toBe(752.25);
    expect(toMillis('12.3456')).toBe(12346);
  });

  it('converts kobo to naira without float error', () => {
    expect(minorToMajor(1250050)).toBe('12500.50');
    expect(minorToMajor('1')).toBe('0.01');
  });

  it('uses the ISO 4217 exponent of each currency for minor units', () => {
    expect([
      currencyExponent('NGN'),
      currencyExponent('JPY'),
      currencyExponent('KWD'),
      currencyExponent('IDR'),
    ]).toEqual([2, 0, 3, 2]);
    expect(currencyExponent('XYZ')).toBeUndefined();
    expect(majorToMinor(250.75, 'NGN')).toBe(25075);
    expect(majorToMinor(1200, 'JPY')).toBe(1200);
    expect(majorToMinor('1.234', 'KWD')).toBe(1234);
    expect(majorToMinor(0.001, 'NGN')).toBeUndefined();
  });
});
