import { ConfigError, getConfig, parseConfig } from '../../functions/shared/config.js';
import { SECRETS } from '../../lib/secrets.js';

const valid = {
  DECISIONS_TABLE: 'decisions',
  COUNTERS_TABLE: 'counters',
  DELIVERIES_TABLE: 'deliveries',
  HISTORY_TABLE: 'history',
  NOTIFICATIONS_TABLE: 'notifications',
  MAPPINGS_TABLE: 'mappings',
  DELIVERIES_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/deliveries',
  DELIVERIES_DLQ_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/deliveries-dlq',
  PROVIDER_CHECKS_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/provider-checks',
  DEGRADED_ANSWERS_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/degraded-answers',
  TOQIO_API_KEY: 'a-key-of-sixteen-chars',
  TOQIO_WEBHOOK_BASE_URL: 'https://core.sandbox.toq.io/webhooks/integration/acme',
};
const problems = (env: Record<string, string>) => {
  try {
    parseConfig(env);
    return '';
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
};

describe('configuration of secrets and limits', () => {
  it('refuses a repeated name or token in ADMIN_TOKENS', () => {
    expect(
      problems({ ...valid, ADMIN_TOKENS: 'ana:analyst:0123456789abcdef,ana:supervisor:fedcba9876543210' }),
    ).toMatch(/ADMIN_TOKENS: entry 2 repeats the name ana/);
    expect(
      problems({ ...valid, ADMIN_TOKENS: 'ana:analyst:0123456789abcdef,sam:supervisor:0123456789abcdef' }),
    ).toMatch(/ADMIN_TOKENS: entry 2 repeats the token/);
  });

  it("takes each person's previous token during a rotation, only for a person with the same role", () => {
    const rotating = {
      ...valid,
      ADMIN_TOKENS: 'ana:analyst:new-token-of-ana-0001,sam:supervisor:new-token-of-sam-0001',
      ADMIN_TOKENS_PREVIOUS: 'ana:analyst:old-token-of-ana-0001',
    };
    expect(parseConfig(rotating).ADMIN_TOKENS_PREVIOUS).toEqual([
      { name: 'ana', role: 'analyst', token: 'old-token-of-ana-0001' },
    ]);
    expect(problems({ ...rotating, ADMIN_TOKENS_PREVIOUS: 'ana:supervisor:old-token-of-ana-0001' })).toMatch(
      /ana must also be in ADMIN_TOKENS, with the same role/,
    );
    expect(problems({ ...rotating, ADMIN_TOKENS_PREVIOUS: 'eve:analyst:old-token-of-eve-0001' })).toMatch(/eve/);
    expect(problems({ ...rotating, ADMIN_TOKENS_PREVIOUS: 'ana:analyst:new-token-of-sam-0001' })).toMatch(
      /token of ana is also in ADMIN_TOKENS/,
    );
  });

  it('takes a previous Toqio key of the same minimum length, different from the current one', () => {
    expect(parseConfig({ ...valid, TOQIO_API_KEY_PREVIOUS: 'the-old-toqio-key-0001' }).TOQIO_API_KEY_PREVIOUS).toBe(
      'the-old-toqio-key-0001',
    );
    expect(problems({ ...valid, TOQIO_API_KEY_PREVIOUS: 'short' })).toMatch(
      /TOQIO_API_KEY_PREVIOUS: must be at least 16/,
    );
    expect(problems({ ...valid, TOQIO_API_KEY_PREVIOUS: valid.TOQIO_API_KEY })).toMatch(/must differ/);
    expect(problems({ ...valid, TOQIO_API_KEY: 'fifteen-chars!!' })).toMatch(/TOQIO_API_KEY: must be at least 16/);
  });

  it("refuses a delivery timeout that does not fit inside the deliver function's timeout", () => {
    expect(parseConfig({ ...valid, DELIVERY_TIMEOUT_MS: '10000' }).DELIVERY_TIMEOUT_MS).toBe(10000);
    expect(problems({ ...valid, DELIVERY_TIMEOUT_MS: '14000' })).toMatch(
      /DELIVERY_TIMEOUT_MS: must be at most 10000 \(the deliver function stops after 15000 ms\)/,
    );
  });

  it('refuses OnePipe credentials without the Bearer key, rather than skipping its check', () => {
    expect(problems({ ...valid, ONEPIPE_CLIENT_SECRET: 'onepipe-client-secret', ONEPIPE_API_KEY: '' })).toMatch(
      /ONEPIPE_API_KEY: is required with ONEPIPE_CLIENT_SECRET/,
    );
  });

  it('refuses an inbound OnePipe secret short enough to find from one signed notification', () => {
    expect(problems({ ...valid, ONEPIPE_CLIENT_SECRET: 'short-secret', ONEPIPE_API_KEY: 'onepipe-key-1' })).toMatch(
      /ONEPIPE_CLIENT_SECRET: must be at least 16 characters/,
    );
  });

  it('refuses a body limit the stored decision is not sized for', () => {
    expect(problems({ ...valid, MAX_BODY_BYTES: String(512 * 1024) })).toMatch(
      /MAX_BODY_BYTES: must be at most 262144/,
    );
  });

  it('requires the values of the secrets bound to the function, and only those', () => {
    const { TOQIO_API_KEY: _key, ...withoutKey } = valid;
    // The health function (no secret bound) starts without any secret value.
    expect(() =>
      parseConfig({ ...withoutKey, ADMIN_SECRET_ARN: 'arn:admin', ADMIN_TOKENS: 'ana:analyst:0123456789abcdef' }),
    ).not.toThrow();
    expect(problems({ ...withoutKey, ADMIN_SECRET_ARN: 'arn:admin' })).toMatch(
      /ADMIN_TOKENS: is required \(fill the admin secret\)/,
    );
    expect(problems({ ...withoutKey, TOQIO_SECRET_ARN: 'arn:toqio' })).toMatch(
      /TOQIO_API_KEY: is required \(fill the toqio secret\)/,
    );
    // Locally (no secret bound) the Toqio key is required, as it always was.
    expect(problems(withoutKey)).toMatch(/TOQIO_API_KEY: is required/);
  });
});

describe('getConfig', () => {
  it("merges only the bound secret's own fields", async () => {
    for (const [name, value] of Object.entries(valid)) process.env[name] = value;
    delete process.env.TOQIO_API_KEY;
    process.env[SECRETS.toqio.envVar] = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:toqio';
    const asked: string[] = [];
    const config = await getConfig(async (arn) => {
      asked.push(arn);
      // A secret holding more than its group: the extra value must not reach the configuration.
      return { TOQIO_API_KEY: 'the-toqio-key-from-aws', ADMIN_TOKENS: 'eve:supervisor:smuggled-token-0001' };
    });
    expect(asked).toEqual(['arn:aws:secretsmanager:eu-west-1:123456789012:secret:toqio']);
    expect(config.TOQIO_API_KEY).toBe('the-toqio-key-from-aws');
    expect(config.ADMIN_TOKENS).toBeUndefined();
  });
});
