import { Logger } from '@aws-lambda-powertools/logger';
import { maskSensitive } from '../../functions/shared/log-masking.js';
import { seedExample } from '../fixtures/transactions.js';

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
});
