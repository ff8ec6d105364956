import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type * as z from 'zod';
import { AdminConfigSchema } from '../../functions/handlers/admin.js';
import { BacktestConfigSchema } from '../../functions/handlers/backtest.js';
import { DeliverConfigSchema } from '../../functions/handlers/deliver.js';
import { ExpireCasesConfigSchema } from '../../functions/handlers/expire-cases.js';
import { HealthConfigSchema } from '../../functions/handlers/health.js';
import { OnepipeNotificationsConfigSchema } from '../../functions/handlers/onepipe-notifications.js';
import { ProviderRecheckConfigSchema } from '../../functions/handlers/provider-recheck.js';
import { ProviderWebhookConfigSchema } from '../../functions/handlers/provider-webhook.js';
import { ReconcileDegradedConfigSchema } from '../../functions/handlers/reconcile-degraded.js';
import { RuleStatsConfigSchema } from '../../functions/handlers/rule-stats.js';
import { SweeperConfigSchema } from '../../functions/handlers/sweeper.js';
import { ValidateConfigSchema } from '../../functions/handlers/validate.js';
import { parseConfigWith } from '../../functions/shared/config.js';
import { FUNCTIONS, type FunctionName } from '../../lib/routes.js';
import { SECRETS, type SecretKey } from '../../lib/secrets.js';
import { STAGE_SETTINGS, type StageSetting, stageConfigFromContext, stageEnvironment } from '../../lib/stage-config.js';
import { TmProxyStack } from '../../lib/tm-proxy-stack.js';

const TOQIO_URL = 'https://core.sandbox.toq.io/webhooks/integration/acme';

/** A stage that sets every setting, each to something other than its default. */
const EVERYTHING = {
  toqioWebhookBaseUrl: TOQIO_URL,
  toqioApiKeyHeader: 'x-toqio-key',
  validateBudgetMs: 1800,
  failMode: 'REJECTED',
  fourEyesThreshold: 50_000,
  pendingSla: '12h',
  pendingSlaPolicy: 'APPROVED',
  pendingSlaWarning: '2h',
  logLevel: 'WARN',
  provider: {
    name: 'http',
    mode: 'shadow',
    timeoutMs: 1200,
    fallback: 'REJECTED',
    breakerErrorPercent: 40,
    breakerResetMs: 20_000,
    lateTimeoutMs: 8000,
    flagrightApiUrl: 'https://api.flagright.com',
    flagrightValidateUsers: true,
    webhookToleranceSeconds: 120,
    http: {
      name: 'acme-tm',
      url: 'https://tm.example.com/screen',
      auth: { type: 'apiKey', header: 'x-acme-key' },
      request: { amount: 'tx.baseAmount', id: 'payload.id' },
      response: { statusPath: 'decision', statusMap: { OK: 'APPROVED', NO: 'REJECTED' } },
    },
  },
  onepipe: {
    listenerUrl: 'https://api.onepipe.io/v2/transact',
    mockMode: 'inspect',
    providerName: 'AcmePay',
    currency: 'NGN',
    confirmCredits: true,
    queryUrl: 'https://api.onepipe.io/v2/transact/query',
    allowedIps: ['41.58.0.0/16', '102.89.1.2'],
    inboundBalance: 'omit',
  },
  delivery: { retryDelaysSeconds: [10, 60, 300], timeoutMs: 8000 },
};

const config = stageConfigFromContext('full', { full: EVERYTHING });
const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
const template = Template.fromStack(new TmProxyStack(app, 'TmProxy-full', { config }));
const names = Object.keys(FUNCTIONS) as FunctionName[];
const settingNames = Object.keys(STAGE_SETTINGS) as StageSetting[];

/** Each function's configuration schema, as its handler module exports it. */
const schemas: Record<FunctionName, z.ZodObject> = {
  validate: ValidateConfigSchema,
  reconcileDegraded: ReconcileDegradedConfigSchema,
  providerWebhook: ProviderWebhookConfigSchema,
  providerRecheck: ProviderRecheckConfigSchema,
  onepipeNotifications: OnepipeNotificationsConfigSchema,
  health: HealthConfigSchema,
  deliver: DeliverConfigSchema,
  sweeper: SweeperConfigSchema,
  ruleStats: RuleStatsConfigSchema,
  admin: AdminConfigSchema,
  expireCases: ExpireCasesConfigSchema,
  backtest: BacktestConfigSchema,
};

/** The environment variables of a function in the synthesised template. */
const environmentOf = (name: FunctionName): Record<string, unknown> => {
  const prefix = `${name[0]?.toUpperCase()}${name.slice(1)}Function`;
  const [fn] = Object.entries(template.findResources('AWS::Lambda::Function'))
    .filter(([id]) => new RegExp(`^${prefix}[0-9A-F]{8}$`).test(id))
    .map(([, resource]) => resource);
  return fn?.Properties.Environment.Variables ?? {};
};

/** Valid values of every secret field, as a filled secret would give them. */
const SECRET_VALUES: Record<string, string> = {
  TOQIO_API_KEY: 'toqio-key-of-twenty-chars',
  ADMIN_TOKENS: 'ana:analyst:analyst-token-0000000001',
  ONEPIPE_CLIENT_SECRET: 'onepipe-inbound-secret-1',
  ONEPIPE_API_KEY: 'onepipe-inbound-key',
  ONEPIPE_OUTBOUND_CLIENT_SECRET: 'onepipe-outbound-secret-1',
  ONEPIPE_OUTBOUND_API_KEY: 'onepipe-outbound-key',
  WEBHOOK_SIGNING_SECRET: 'whsec-generated-by-secrets-manager-0001',
  FLAGRIGHT_API_KEY: 'flagright-key-0001',
  FLAGRIGHT_WEBHOOK_SECRET: 'flagright-webhook-secret-1',
  HTTP_PROVIDER_KEY: 'acme-provider-key-0001',
  PROVIDER_WEBHOOK_SECRET: 'provider-webhook-secret-0000001',
};

describe('stage configuration reaching the functions', () => {
  it('gives each function exactly the stage settings its configuration schema reads', () => {
    for (const name of names) {
      const reads = settingNames.filter((setting) => setting in schemas[name].shape).sort();
      expect({ name, listed: [...FUNCTIONS[name].settings].sort() }).toEqual({ name, listed: reads });
      const given = Object.keys(environmentOf(name)).filter((variable) => settingNames.includes(variable as never));
      expect({ name, given: given.sort() }).toEqual({ name, given: reads });
    }
  });

  it('passes every setting of the stage, with the value cdk.json gives, to the functions that read it', () => {
    const expected = stageEnvironment(config);
    expect(Object.keys(expected).sort()).toEqual([...settingNames].sort());
    for (const name of names) {
      const environment = environmentOf(name);
      for (const setting of FUNCTIONS[name].settings) expect(environment[setting]).toBe(expected[setting]);
    }
    expect(environmentOf('validate')).toMatchObject({
      TM_PROVIDER: 'http',
      TM_PROVIDER_MODE: 'shadow',
      PROVIDER_TIMEOUT_MS: '1200',
      PROVIDER_FALLBACK: 'REJECTED',
      FLAGRIGHT_VALIDATE_USERS: 'true',
      VALIDATE_BUDGET_MS: '1800',
      FAIL_MODE: 'REJECTED',
      ONEPIPE_LISTENER_URL: 'https://api.onepipe.io/v2/transact',
      ONEPIPE_MOCK_MODE: 'inspect',
      LOG_LEVEL: 'WARN',
    });
    expect(JSON.parse(String(environmentOf('admin').HTTP_PROVIDER_CONFIG))).toMatchObject({ name: 'acme-tm' });
    expect(environmentOf('deliver')).toMatchObject({
      DELIVERY_RETRY_DELAYS: '10,60,300',
      DELIVERY_TIMEOUT_MS: '8000',
      TOQIO_WEBHOOK_BASE_URL: TOQIO_URL,
    });
    expect(environmentOf('onepipeNotifications')).toMatchObject({
      ONEPIPE_ALLOWED_IPS: '41.58.0.0/16,102.89.1.2',
      ONEPIPE_CONFIRM_CREDITS: 'true',
      TOQIO_INBOUND_BALANCE: 'omit',
    });
    expect(environmentOf('expireCases')).toMatchObject({
      FOUR_EYES_THRESHOLD: '50000',
      PENDING_SLA: '12h',
      PENDING_SLA_POLICY: 'APPROVED',
      PENDING_SLA_WARNING: '2h',
    });
    // The alarm fires when a case starts to show at risk: 12h less the 2h warning.
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'oldest_pending_case_age',
      Threshold: 10 * 3600,
    });
    // Settings stay with the functions that read them.
    expect(environmentOf('health')).not.toHaveProperty('TM_PROVIDER');
    expect(environmentOf('sweeper')).not.toHaveProperty('TOQIO_WEBHOOK_BASE_URL');
    expect(environmentOf('validate')).not.toHaveProperty('DELIVERY_RETRY_DELAYS');
    expect(environmentOf('admin')).not.toHaveProperty('PROVIDER_TIMEOUT_MS');
  });

  it("starts every function from the template's environment and its filled secrets alone", () => {
    for (const name of names) {
      // References (table names, queue URLs, secret ARNs) resolve to names in AWS.
      const environment = Object.fromEntries(
        Object.entries(environmentOf(name)).map(([key, value]) => [
          key,
          typeof value === 'string' ? value : `resolved-${key.toLowerCase()}`,
        ]),
      );
      const secrets = ((FUNCTIONS[name] as { secrets?: readonly SecretKey[] }).secrets ?? []).flatMap((key) =>
        SECRETS[key].fields.map((field) => [field, SECRET_VALUES[field]] as const),
      );
      const parsed = parseConfigWith(schemas[name], { ...environment, ...Object.fromEntries(secrets) }) as Record<
        string,
        unknown
      >;
      expect({ name, level: parsed.LOG_LEVEL }).toEqual({ name, level: 'WARN' });
    }
  });

  it('refuses a stage whose settings a function would refuse, naming every problem where it sits in cdk.json', () => {
    const attempt = () =>
      stageConfigFromContext('bad', {
        bad: {
          toqioWebhookBaseUrl: TOQIO_URL,
          failMode: 'APPROVED',
          pendingSlaWarning: 'soon',
          provider: {
            name: 'flagright',
            timeoutMs: 2500,
            http: {
              url: 'https://x.example',
              auth: { type: 'apiKey', key: 'in-cdk-json-0001' },
              request: {},
              response: { statusPath: 's', statusMap: {} },
            },
          },
          onepipe: { allowedIps: ['999.1.1.1'], mockMode: 'test' },
          delivery: { retryDelaysSeconds: [], timeoutMs: 12_000 },
        },
      });
    expect(attempt).toThrow(/failMode \(FAIL_MODE\): must be REJECTED/);
    expect(attempt).toThrow(/pendingSlaWarning \(PENDING_SLA_WARNING\): must be a duration/);
    expect(attempt).toThrow(/provider\.http\.auth: must not carry key or secret/);
    expect(attempt).toThrow(/onepipe\.allowedIps \(ONEPIPE_ALLOWED_IPS\): 999\.1\.1\.1 is not an IP address/);
    expect(attempt).toThrow(/onepipe\.mockMode \(ONEPIPE_MOCK_MODE\)/);
    expect(attempt).toThrow(/delivery\.retryDelaysSeconds \(DELIVERY_RETRY_DELAYS\)/);
  });

  it('refuses cross-setting mistakes that need no secret: provider timeout over the budget, delivery timeout over the function, Flagright without its URL', () => {
    const attempt = () =>
      stageConfigFromContext('bad', {
        bad: {
          toqioWebhookBaseUrl: TOQIO_URL,
          validateBudgetMs: 1000,
          provider: { name: 'flagright' },
          delivery: { timeoutMs: 12_000 },
        },
      });
    expect(attempt).toThrow(/provider\.flagrightApiUrl \(FLAGRIGHT_API_URL\): is required when TM_PROVIDER=flagright/);
    expect(attempt).toThrow(/provider\.timeoutMs \(PROVIDER_TIMEOUT_MS\): must be below VALIDATE_BUDGET_MS/);
    expect(attempt).toThrow(/delivery\.timeoutMs \(DELIVERY_TIMEOUT_MS\): must be at most 10000/);
    expect(attempt).not.toThrow(/FLAGRIGHT_API_KEY/);
  });
});
