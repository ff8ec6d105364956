import * as z from 'zod';
import { settingsProblems } from '../functions/shared/config.js';

/**
 * What differs between deployments (dev, prod, another customer): read from CDK context
 * (`cdk deploy -c stage=prod`, values under `tm-proxy:stages` in cdk.json) and validated here.
 */
export const StageConfigSchema = z.object({
  stage: z.string().regex(/^[a-z][a-z0-9-]{1,20}$/),
  toqioWebhookBaseUrl: z.url().refine((url) => url.startsWith('https://'), 'must be https'),
  toqioApiKeyHeader: z.string().default('x-api-key'),
  validateBudgetMs: z.number().int().positive().max(8000).default(2000),
  throttle: z
    .object({ rateLimit: z.number().positive(), burstLimit: z.number().int().positive() })
    .default({ rateLimit: 50, burstLimit: 100 }),
  fourEyesThreshold: z.number().positive().default(100_000),
  pendingSla: z
    .string()
    .regex(/^\d+(s|m|h|d)$/)
    .default('24h'),
  pendingSlaPolicy: z.enum(['REJECTED', 'APPROVED']).default('REJECTED'),
  /** Receives alarm notifications (SNS e-mail subscription; confirm the e-mail after deploy). */
  alarmEmail: z.email().optional(),
  logLevel: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
  /** At-risk window before the SLA (PENDING_SLA_WARNING); unset: the last fifth of the SLA. */
  pendingSlaWarning: z.string().optional(),
  /** What validate answers when storage fails (FAIL_MODE); only REJECTED is accepted. */
  failMode: z.string().optional(),
  /**
   * The monitoring provider (TM_PROVIDER and its settings). Its credentials are never here: they go
   * in the provider secret (FLAGRIGHT_API_KEY, HTTP_PROVIDER_KEY, the webhook secrets).
   */
  provider: z
    .strictObject({
      name: z.string().optional(),
      mode: z.string().optional(),
      timeoutMs: z.number().optional(),
      fallback: z.string().optional(),
      breakerErrorPercent: z.number().optional(),
      breakerResetMs: z.number().optional(),
      lateTimeoutMs: z.number().optional(),
      flagrightApiUrl: z.string().optional(),
      flagrightValidateUsers: z.boolean().optional(),
      /** The generic provider's mapping (HTTP_PROVIDER_CONFIG) with `auth.type` and header, no key. */
      http: z.record(z.string(), z.unknown()).optional(),
      webhookToleranceSeconds: z.number().optional(),
    })
    .default({}),
  /** OnePipe: debit reports (listener), credit confirmation, allowed sources, the balance policy. */
  onepipe: z
    .strictObject({
      listenerUrl: z.string().optional(),
      mockMode: z.string().optional(),
      providerName: z.string().optional(),
      currency: z.string().optional(),
      confirmCredits: z.boolean().optional(),
      queryUrl: z.string().optional(),
      allowedIps: z.array(z.string()).optional(),
      inboundBalance: z.string().optional(),
    })
    .default({}),
  /** Outbound webhooks: seconds between attempts and the per-attempt timeout. */
  delivery: z
    .strictObject({
      retryDelaysSeconds: z.array(z.number()).optional(),
      timeoutMs: z.number().optional(),
    })
    .default({}),
  /**
   * Concurrency reserved for validate, so a flood on any other entry point cannot take the
   * account's concurrency from payment decisions. Lambda keeps 100 of the account's limit
   * unreserved: check the account's limit (Service Quotas) before raising this.
   */
  validateReservedConcurrency: z.number().int().min(1).max(900).default(50),
  /** At most this many admin invocations at once (the Function URL answers the whole internet, if only with 401s). */
  adminMaxConcurrency: z.number().int().min(1).max(100).default(5),
  /**
   * NONE: anyone can reach the admin URL and must sign in with a token. AWS_IAM: only callers
   * signing requests with SigV4 and granted lambda:InvokeFunctionUrl reach it (behind a proxy or
   * CloudFront with origin access control, or a VPN); see the README.
   */
  adminUrlAuth: z.enum(['NONE', 'AWS_IAM']).default('NONE'),
});
export type StageConfig = z.infer<typeof StageConfigSchema>;

/** A duration such as `24h` in seconds (the same syntax as PENDING_SLA). */
export const durationSeconds = (value: string): number =>
  Number(value.slice(0, -1)) * { s: 1, m: 60, h: 3600, d: 86_400 }[value.slice(-1) as 's'];

/**
 * Each plain setting the functions read (functions/shared/config.ts), from the stage: where it sits
 * in cdk.json and the variable's value. Only the functions whose configuration schema reads a
 * variable get it (lib/routes.ts `settings`, checked against the schemas by the infra test).
 */
export const STAGE_SETTINGS = {
  STAGE: { at: 'stage', value: (c: StageConfig) => c.stage },
  LOG_LEVEL: { at: 'logLevel', value: (c: StageConfig) => c.logLevel },
  TOQIO_WEBHOOK_BASE_URL: { at: 'toqioWebhookBaseUrl', value: (c: StageConfig) => c.toqioWebhookBaseUrl },
  TOQIO_API_KEY_HEADER: { at: 'toqioApiKeyHeader', value: (c: StageConfig) => c.toqioApiKeyHeader },
  VALIDATE_BUDGET_MS: { at: 'validateBudgetMs', value: (c: StageConfig) => String(c.validateBudgetMs) },
  FAIL_MODE: { at: 'failMode', value: (c: StageConfig) => c.failMode },
  FOUR_EYES_THRESHOLD: { at: 'fourEyesThreshold', value: (c: StageConfig) => String(c.fourEyesThreshold) },
  PENDING_SLA: { at: 'pendingSla', value: (c: StageConfig) => c.pendingSla },
  PENDING_SLA_POLICY: { at: 'pendingSlaPolicy', value: (c: StageConfig) => c.pendingSlaPolicy },
  PENDING_SLA_WARNING: { at: 'pendingSlaWarning', value: (c: StageConfig) => c.pendingSlaWarning },
  TM_PROVIDER: { at: 'provider.name', value: (c: StageConfig) => c.provider.name },
  TM_PROVIDER_MODE: { at: 'provider.mode', value: (c: StageConfig) => c.provider.mode },
  PROVIDER_TIMEOUT_MS: { at: 'provider.timeoutMs', value: (c: StageConfig) => text(c.provider.timeoutMs) },
  PROVIDER_FALLBACK: { at: 'provider.fallback', value: (c: StageConfig) => c.provider.fallback },
  PROVIDER_BREAKER_ERROR_PERCENT: {
    at: 'provider.breakerErrorPercent',
    value: (c: StageConfig) => text(c.provider.breakerErrorPercent),
  },
  PROVIDER_BREAKER_RESET_MS: {
    at: 'provider.breakerResetMs',
    value: (c: StageConfig) => text(c.provider.breakerResetMs),
  },
  PROVIDER_LATE_TIMEOUT_MS: { at: 'provider.lateTimeoutMs', value: (c: StageConfig) => text(c.provider.lateTimeoutMs) },
  FLAGRIGHT_API_URL: { at: 'provider.flagrightApiUrl', value: (c: StageConfig) => c.provider.flagrightApiUrl },
  FLAGRIGHT_VALIDATE_USERS: {
    at: 'provider.flagrightValidateUsers',
    value: (c: StageConfig) => text(c.provider.flagrightValidateUsers),
  },
  HTTP_PROVIDER_CONFIG: {
    at: 'provider.http',
    value: (c: StageConfig) => (c.provider.http ? JSON.stringify(c.provider.http) : undefined),
  },
  PROVIDER_WEBHOOK_TOLERANCE_SECONDS: {
    at: 'provider.webhookToleranceSeconds',
    value: (c: StageConfig) => text(c.provider.webhookToleranceSeconds),
  },
  ONEPIPE_LISTENER_URL: { at: 'onepipe.listenerUrl', value: (c: StageConfig) => c.onepipe.listenerUrl },
  ONEPIPE_MOCK_MODE: { at: 'onepipe.mockMode', value: (c: StageConfig) => c.onepipe.mockMode },
  ONEPIPE_PROVIDER_NAME: { at: 'onepipe.providerName', value: (c: StageConfig) => c.onepipe.providerName },
  ONEPIPE_CURRENCY: { at: 'onepipe.currency', value: (c: StageConfig) => c.onepipe.currency },
  ONEPIPE_CONFIRM_CREDITS: { at: 'onepipe.confirmCredits', value: (c: StageConfig) => text(c.onepipe.confirmCredits) },
  ONEPIPE_QUERY_URL: { at: 'onepipe.queryUrl', value: (c: StageConfig) => c.onepipe.queryUrl },
  ONEPIPE_ALLOWED_IPS: { at: 'onepipe.allowedIps', value: (c: StageConfig) => c.onepipe.allowedIps?.join(',') },
  TOQIO_INBOUND_BALANCE: { at: 'onepipe.inboundBalance', value: (c: StageConfig) => c.onepipe.inboundBalance },
  DELIVERY_RETRY_DELAYS: {
    at: 'delivery.retryDelaysSeconds',
    value: (c: StageConfig) => c.delivery.retryDelaysSeconds?.join(','),
  },
  DELIVERY_TIMEOUT_MS: { at: 'delivery.timeoutMs', value: (c: StageConfig) => text(c.delivery.timeoutMs) },
} as const satisfies Record<string, { at: string; value: (config: StageConfig) => string | undefined }>;
export type StageSetting = keyof typeof STAGE_SETTINGS;

const text = (value: number | boolean | undefined) => (value === undefined ? undefined : String(value));

/** The variables this stage sets (those it leaves unset take the functions' defaults). */
export const stageEnvironment = (config: StageConfig): Partial<Record<StageSetting, string>> =>
  Object.fromEntries(
    (Object.entries(STAGE_SETTINGS) as [StageSetting, { value: (c: StageConfig) => string | undefined }][])
      .map(([name, setting]) => [name, setting.value(config)] as const)
      .filter(([, value]) => value !== undefined),
  );

/** Problems only the stage can have: a credential in cdk.json. */
const stageProblems = (config: StageConfig): string[] => {
  const auth = config.provider.http?.auth as Record<string, unknown> | undefined;
  return auth && ('key' in auth || 'secret' in auth)
    ? ['provider.http.auth: must not carry key or secret (put it in the provider secret as HTTP_PROVIDER_KEY)']
    : [];
};

/** Names a problem by where it sits in cdk.json (`provider.timeoutMs`), not by its variable. */
const atStagePath = (problem: string): string => {
  const [name = '', ...rest] = problem.split(':');
  const setting = STAGE_SETTINGS[name.trim().split(/[ .]/)[0] as StageSetting];
  return setting ? `${setting.at} (${name.trim()}):${rest.join(':')}` : problem;
};

/**
 * Picks and validates the named stage from context; every problem is reported at once. The
 * settings the functions read are checked with the functions' own configuration pieces, so a value
 * a function would refuse at its first request fails the synth instead.
 */
export const stageConfigFromContext = (stage: string, stages: unknown): StageConfig => {
  const all = (stages ?? {}) as Record<string, unknown>;
  const result = StageConfigSchema.safeParse({ stage, ...(all[stage] as object | undefined) });
  const problems = result.success
    ? [
        ...stageProblems(result.data),
        ...settingsProblems(Object.keys(STAGE_SETTINGS), stageEnvironment(result.data) as Record<string, string>).map(
          atStagePath,
        ),
      ]
    : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  if (!result.success || problems.length > 0) {
    throw new Error(
      `Stage "${stage}" is not configured correctly (cdk.json tm-proxy:stages):\n- ${problems.join('\n- ')}`,
    );
  }
  return result.data;
};
