import { fromMillis, minorToMajor, toMillis } from '../../functions/domain/money.js';

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
});
