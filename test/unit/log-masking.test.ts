import { Logger } from '@aws-lambda-powertools/logger';
import { MAX_LOGGED_CHARS, maskEmails, maskSensitive } from '../../functions/shared/log-masking.js';
import { seedExample } from '../fixtures/transactions.js';

/** Runs `log` with a masking Powertools logger and returns what it printed. */
const captured = (log: (logger: Logger) => void): string => {
  const lines: string[] = [];
  const capture = (chunk: unknown) => {
    lines.push(String(chunk));
    return true;
  };
  const write = process.stdout.write;
  const writeError = process.stderr.write;
  const info = console.info;
  const error = console.error;
  process.stdout.write = capture as typeof process.stdout.write;
  process.stderr.write = capture as typeof process.stderr.write;
  console.info = (...args: unknown[]) => capture(args.join(' '));
  console.error = (...args: unknown[]) => capture(args.join(' '));
  try {
    log(new Logger({ serviceName: 'test', jsonReplacerFn: maskSensitive }));
  } finally {
    process.stdout.write = write;
    process.stderr.write = writeError;
    console.info = info;
    console.error = error;
  }
  return lines.join('\n');
};

describe('log masking', () => {
  it('masks IBANs, account numbers, names and secrets in every log line, at any depth', () => {
    const lines: string[] = [];
    const capture = (chunk: unknown) => {
      lines.push(String(chunk));
      return true;
    };
    // Powertools writes through its own Console on stdout, or through console.info in dev mode.
    const write = process.stdout.write;
    const info = console.info;
    process.stdout.write = capture as typeof process.stdout.write;
    console.info = (...args: unknown[]) => capture(args.join(' '));
    try {
      const logger = new Logger({ serviceName: 'test', jsonReplacerFn: maskSensitive });
      logger.info('decision', {
        // The seed's own e-mail is an obfuscated placeholder; a real address tests the masking.
        payload: { ...seedExample(), emails: ['jane.smith@example.com'] },
        headers: { 'x-api-key': 'local-toqio-api-key-change-me', authorization: 'Bearer local-analyst-token-0001' },
        note: 'paid to GB29NWBK60161331926819 yesterday',
      });
    } finally {
      process.stdout.write = write;
      console.info = info;
    }
    const output = lines.join('\n');
    expect(output).toContain('"decision"');
    for (const secret of [
      'GB29NWBK60161331926819',
      'US98765432109876543210',
      '1234567890',
      '41495926',
      'Primary Account',
      'Business Account',
      'John Doe',
      'Jane Smith',
      'local-toqio-api-key-change-me',
      'local-analyst-token-0001',
      'jane.smith@example.com',
    ]) {
      expect(output).not.toContain(secret);
    }
    expect(output).toContain('****6819');
    expect(output).toContain('GB29****6819'); // the IBAN inside free text
    expect(output).toContain('Office Supplies Payment'); // ordinary fields stay readable
  });

  it('masks hostile 250 KB strings in linear time (the quadratic e-mail pattern took 104 s)', () => {
    // Ten times the input must cost about ten times the work, not a hundred (a quadratic pattern):
    // measured as a ratio in the same run, so a busy machine does not decide the outcome.
    const patterns: ((size: number) => string)[] = [
      (n) => 'x'.repeat(n),
      (n) => 'a@'.repeat(n / 2),
      (n) => `${'a'.repeat(n / 2)}@${'b.'.repeat(n / 4)}`,
      (n) => `${'.'.repeat(n / 2)}@x`,
      (n) => 'GB29'.repeat(n / 4),
      (n) => '@.'.repeat(n / 2),
    ];
    const cost = (text: string) => {
      let best = Number.POSITIVE_INFINITY;
      for (let run = 0; run < 5; run++) {
        const started = performance.now();
        maskEmails(text);
        best = Math.min(best, performance.now() - started);
      }
      return best;
    };
    // Summed over the patterns, so one pattern too fast to time at 25 KB cannot swing the ratio.
    const small = patterns.reduce((total, pattern) => total + cost(pattern(25_000)), 0);
    const large = patterns.reduce((total, pattern) => total + cost(pattern(250_000)), 0);
    expect(large / Math.max(small, 0.5)).toBeLessThan(40);
    for (const pattern of patterns) {
      const text = pattern(250_000);
      const output = captured((logger) => logger.error('degraded', { payload: { note: text, nested: [text] } }));
      expect(output).toContain('"degraded"');
      expect(output.length).toBeLessThan(3 * MAX_LOGGED_CHARS + 2000);
    }
  });

  it('cuts every logged string to MAX_LOGGED_CHARS and says how much was cut', () => {
    const output = captured((logger) => logger.info('long', { concept: 'y'.repeat(MAX_LOGGED_CHARS + 10) }));
    expect(output).toContain('…[10 more chars]');
    expect(output).not.toContain('y'.repeat(MAX_LOGGED_CHARS + 1));
  });

  it('masks an e-mail straddling the cut, and e-mails next to punctuation', () => {
    const straddling = `${'z'.repeat(MAX_LOGGED_CHARS - 5)} jane.smith@example.com`;
    expect(captured((logger) => logger.info('cut', { text: straddling }))).not.toContain('jane.smi');
    expect(maskEmails('write to jane@example.com. or "bob@mail.example.org"')).toBe('write to [email]. or "[email]"');
  });

  it("keeps an error's name and its stack frames readable, and masks its message", () => {
    const error = new TypeError('could not store jane.smith@example.com');
    error.stack = [
      'TypeError: could not store jane.smith@example.com',
      '    at send (file:///var/task/node_modules/@aws-sdk/client-dynamodb/dist-es/index.js:12:34)',
      '    at main (file:///var/task/index.mjs:5:6)',
    ].join('\n');
    const output = captured((logger) => logger.error('request failed', { error }));
    const line = JSON.parse(output.slice(output.indexOf('{'))) as {
      error: { name: string; message: string; stack: string; location: string };
    };
    expect(line.error.name).toBe('TypeError');
    expect(line.error.message).toBe('could not store [email]');
    expect(line.error.stack).toContain('node_modules/@aws-sdk/client-dynamodb/dist-es/index.js:12:34');
    expect(line.error.stack).not.toContain('jane.smith');
    expect(line.error.location).toBe('file:///var/task/node_modules/@aws-sdk/client-dynamodb/dist-es/index.js:12');
  });
});
