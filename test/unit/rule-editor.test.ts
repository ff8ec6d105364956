/// <reference lib="dom" />
import { lineAt } from '../../ui/pages/rules/condition.js';

describe('where the draft editor marks a condition’s error', () => {
  it('finds the line and column of an offset, on any line and at the very end', () => {
    const condition = 'tx.baseAmount > 1\n  && tx.destinatio.iban == "x"';
    expect(lineAt(condition, 0)).toEqual({ line: 1, text: 'tx.baseAmount > 1', column: 0 });
    expect(lineAt(condition, 23)).toEqual({ line: 2, text: '  && tx.destinatio.iban == "x"', column: 5 });
    // A parse error at the end (EOF) is just past the last character.
    expect(lineAt('tx.baseAmount ==', 16)).toEqual({ line: 1, text: 'tx.baseAmount ==', column: 16 });
    // Right after a newline is the start of the next line; an offset out of range is clamped.
    expect(lineAt('a\nb', 2)).toEqual({ line: 2, text: 'b', column: 0 });
    expect(lineAt('\nb', 0)).toEqual({ line: 1, text: '', column: 0 });
    expect(lineAt('a\nb', 99)).toEqual({ line: 2, text: 'b', column: 1 });
  });
});
