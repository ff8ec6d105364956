import { ConfigError, parseConfig } from '../../functions/shared/config.js';

const valid = {
  DECISIONS_TABLE: 'decisions',
  COUNTERS_TABLE: 'counters',
  DELIVERIES_TABLE: 'deliveries',
  HISTORY_TABLE: 'history',
  NOTIFICATIONS_TABLE: 'notifications',
  MAPPINGS_TABLE: 'mappings',
  RULE_SETS_TABLE: 'rule-sets',
  ANALYTICS_TABLE: 'analytics',
  BACKTEST_PAGES_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/backtest-pages',
  DELIVERIES_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/deliveries',
  DELIVERIES_DLQ_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/deliveries-dlq',
  PROVIDER_CHECKS_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/provider-checks',
  DEGRADED_ANSWERS_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/degraded-answers',
  TOQIO_API_KEY: 'a-key-of-sixteen-chars',
  TOQIO_WEBHOOK_BASE_URL: 'https://core.sandbox.toq.io/webhooks/integration/acme',
};

describe('configuration', () => {
  it('applies defaults for everything optional', () => {
    const config = parseConfig(valid);
    expect(config).toMatchObject({
      TOQIO_API_KEY_HEADER: 'x-api-key',
      VALIDATE_BUDGET_MS: 2000,
      FAIL_MODE: 'REJECTED',
      MAX_BODY_BYTES: 262144,
    });
    expect(config.DELIVERY_RETRY_DELAYS.length).toBeGreaterThanOrEqual(8);
  });

  it('names every missing or malformed variable in one error', () => {
    let error: unknown;
    try {
      parseConfig({
        TOQIO_API_KEY: 'short',
        VALIDATE_BUDGET_MS: 'soon',
        DELIVERY_RETRY_DELAYS: '1,x',
        FAIL_MODE: 'APPROVED',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    for (const name of [
      'DECISIONS_TABLE',
      'COUNTERS_TABLE',
      'TOQIO_API_KEY',
      'TOQIO_WEBHOOK_BASE_URL',
      'VALIDATE_BUDGET_MS',
      'DELIVERY_RETRY_DELAYS',
      'FAIL_MODE',
    ]) {
      expect(message).toContain(name);
    }
  });

  it('parses admin tokens and refuses unknown roles and short tokens', () => {
    const config = parseConfig({
      ...valid,
      ADMIN_TOKENS: 'ana:analyst:0123456789abcdef, sam:supervisor:fedcba9876543210',
    });
    expect(config.ADMIN_TOKENS).toEqual([
      { name: 'ana', role: 'analyst', token: '0123456789abcdef' },
      { name: 'sam', role: 'supervisor', token: 'fedcba9876543210' },
    ]);
    expect(() => parseConfig({ ...valid, ADMIN_TOKENS: 'eve:root:0123456789abcdef' })).toThrow(/ADMIN_TOKENS/);
    expect(() => parseConfig({ ...valid, ADMIN_TOKENS: 'eve:analyst:short' })).toThrow(/16\+/);
  });

  it('checks provider settings together with the provider chosen', () => {
    expect(() => parseConfig({ ...valid, TM_PROVIDER: 'flagright' })).toThrow(/FLAGRIGHT_API_URL/);
    expect(() => parseConfig({ ...valid, TM_PROVIDER: 'http' })).toThrow(/HTTP_PROVIDER_CONFIG: is required/);
    expect(() => parseConfig({ ...valid, TM_PROVIDER: 'http', HTTP_PROVIDER_CONFIG: '{nope' })).toThrow(/must be JSON/);
    const flagright = {
      ...valid,
      TM_PROVIDER: 'flagright',
      FLAGRIGHT_API_URL: 'https://api.flagright.com',
      FLAGRIGHT_API_KEY: 'key-12345678',
    };
    expect(() => parseConfig({ ...flagright, VALIDATE_BUDGET_MS: '1000' })).toThrow(/below VALIDATE_BUDGET_MS/);
    expect(parseConfig(flagright).PROVIDER_TIMEOUT_MS).toBe(1500);
    // Without an external provider a short budget is fine.
    expect(parseConfig({ ...valid, VALIDATE_BUDGET_MS: '1000' }).VALIDATE_BUDGET_MS).toBe(1000);
  });

  it('reads retry delays as seconds', () => {
    expect(parseConfig({ ...valid, DELIVERY_RETRY_DELAYS: '1, 1,2' }).DELIVERY_RETRY_DELAYS).toEqual([1, 1, 2]);
  });
});

describe('the provider report without the provider secret', () => {
  it('names the provider from the settings alone, as its decisions are recorded', async () => {
    const { providerNameFor } = await import('../../functions/shared/provider.js');
    const { AdminConfigSchema } = await import('../../functions/handlers/admin.js');
    const { parseConfigWith } = await import('../../functions/shared/config.js');
    const mapping = {
      name: 'acme-tm',
      url: 'https://tm.example.com/screen',
      auth: { type: 'apiKey' },
      request: { amount: 'tx.baseAmount' },
      response: { statusPath: 'decision', statusMap: { OK: 'APPROVED' } },
    };
    const adminEnv = {
      ...valid,
      ADMIN_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:admin',
      ADMIN_TOKENS: 'ana:analyst:analyst-token-0000000001',
    };
    const http = parseConfigWith(AdminConfigSchema, {
      ...adminEnv,
      TM_PROVIDER: 'http',
      HTTP_PROVIDER_CONFIG: JSON.stringify(mapping),
    });
    expect(providerNameFor(http)).toBe('acme-tm');
    // Flagright's key is in the provider secret, which the admin function does not hold.
    expect(providerNameFor(parseConfigWith(AdminConfigSchema, { ...adminEnv, TM_PROVIDER: 'flagright' }))).toBe(
      'flagright',
    );
    expect(providerNameFor(parseConfigWith(AdminConfigSchema, adminEnv))).toBeUndefined();
  });

  it('requires the HTTP provider key where the provider is called, from the secret or inline', () => {
    const mapping = {
      url: 'https://tm.example.com/screen',
      auth: { type: 'hmac' },
      request: {},
      response: { statusPath: 'decision', statusMap: { OK: 'APPROVED' } },
    };
    const env = { ...valid, TM_PROVIDER: 'http', HTTP_PROVIDER_CONFIG: JSON.stringify(mapping) };
    expect(() => parseConfig(env)).toThrow(/HTTP_PROVIDER_KEY: is required when TM_PROVIDER=http/);
    expect(parseConfig({ ...env, HTTP_PROVIDER_KEY: 'hmac-secret-of-16-chars' }).HTTP_PROVIDER_KEY).toBeDefined();
  });
});
