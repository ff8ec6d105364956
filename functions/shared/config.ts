import { isIP } from 'node:net';
import * as z from 'zod';
import { HttpProviderSettingsSchema } from '#domain/providers/http-mapping.js';
import { QUEUES, type QueueKey } from '#lib/queues.js';
import { FUNCTIONS } from '#lib/routes.js';
import { SECRETS, type SecretKey } from '#lib/secrets.js';
import { TABLES, type TableKey } from '#lib/tables.js';

/**
 * The one place that reads process.env. Parsed once per cold start; every missing or malformed
 * value is reported together in one ConfigError. Secrets come either directly (local) or from
 * Secrets Manager (`*_SECRET_ARN`, resolved by the secrets adapter before parsing).
 */
const csvNumbers = z
  .string()
  .regex(/^\s*\d+(\s*,\s*\d+)*\s*$/, 'must be comma-separated whole seconds, e.g. 30,120,600')
  .transform((value) => value.split(',').map((part) => Number(part.trim())));

/** `true` or `false`. */
const flag = (fallback: boolean) =>
  z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .default(fallback ? 'true' : 'false')
    .transform((value) => value === 'true');

/** Comma-separated IP addresses or CIDR blocks. */
const ipList = z.string().transform((value, ctx) => {
  const entries = value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  for (const entry of entries) {
    const [address = '', prefix, ...rest] = entry.split('/');
    const version = isIP(address);
    const bits = version === 6 ? 128 : 32;
    if (!version || rest.length > 0 || (prefix !== undefined && !(/^\d+$/.test(prefix) && Number(prefix) <= bits))) {
      ctx.addIssue({ code: 'custom', message: `${entry} is not an IP address or CIDR block` });
    }
  }
  return entries;
});

/**
 * Schemas every use of which is the same are built once, on first use, and shared (zod schemas
 * are immutable): each one built costs cold-start time (npm run bench:cold).
 */
const shared = <T>(build: () => T) => {
  let built: T | undefined;
  return () => {
    built ??= build();
    return built;
  };
};
const positive = shared(() => z.coerce.number().int().positive());
const positiveInt = (fallback: number) => positive().default(fallback);
const tableName = shared(() => z.string().min(3));
const queueUrl = shared(() => z.string().min(1));

/** A duration as `90s`, `30m`, `24h` or `7d`, in milliseconds. */
const duration = (fallback: string) =>
  z
    .string()
    .regex(/^\d+(s|m|h|d)$/, 'must be a duration like 90s, 30m, 24h or 7d')
    .default(fallback)
    .transform(
      (value) =>
        Number(value.slice(0, -1)) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[value.slice(-1) as 's'],
    );

export const ADMIN_ROLES = ['analyst', 'supervisor'] as const;
export type AdminRole = (typeof ADMIN_ROLES)[number];

const adminTokens = z.string().transform((value, ctx) => {
  const tokens: { name: string; role: AdminRole; token: string }[] = [];
  for (const [index, triple] of value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .entries()) {
    const [name, role, token, ...rest] = triple.split(':');
    if (!name || !token || rest.length > 0 || !ADMIN_ROLES.includes(role as AdminRole)) {
      ctx.addIssue({
        code: 'custom',
        message: `entry ${index + 1} must be name:role:token with role analyst|supervisor`,
      });
      continue;
    }
    if (token.length < 16) ctx.addIssue({ code: 'custom', message: `entry ${index + 1} token must be 16+ characters` });
    // One entry per person and per token: a repeated name or token is a copy-paste slip that
    // would give one token two identities (or two roles); a second token goes in ADMIN_TOKENS_PREVIOUS.
    if (tokens.some((entry) => entry.name === name)) {
      ctx.addIssue({ code: 'custom', message: `entry ${index + 1} repeats the name ${name}` });
    }
    if (tokens.some((entry) => entry.token === token)) {
      ctx.addIssue({ code: 'custom', message: `entry ${index + 1} repeats the token of another entry` });
    }
    tokens.push({ name, role: role as AdminRole, token });
  }
  return tokens;
});

/**
 * The pieces each function's configuration is composed from (see `configSchema`): a function
 * validates, and needs, only the variables of the pieces it takes. Each piece is a function, so a
 * function builds the zod schemas of its own pieces only (npm run bench:cold).
 */
export const baseConfig = {
  STAGE: z.string().default('local'),
  AWS_REGION: z.string().default('us-east-1'),
  LOG_LEVEL: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
};

type TableVars<K extends TableKey> = { [Key in K as (typeof TABLES)[Key]['envVar']]: z.ZodString };
/** The names of the tables a function binds (lib/routes.ts), and DynamoDB Local's endpoint when set. */
export const tablesConfig = <K extends TableKey>(...keys: K[]) => ({
  /** Set locally to point the SDK at DynamoDB Local; unset in AWS. */
  DYNAMODB_ENDPOINT: z.url().optional(),
  ...(Object.fromEntries(keys.map((key) => [TABLES[key].envVar, tableName()])) as TableVars<K>),
});

type QueueVars<K extends QueueKey> = { [Key in K as (typeof QUEUES)[Key]['envVar']]: z.ZodString };
type DeadLetterVars<K extends QueueKey> = { [Key in K as (typeof QUEUES)[Key]['dlqEnvVar']]: z.ZodString };
/** The URLs of the queues a function sends to, and fauxqs' endpoint when set. */
export const queuesConfig = <K extends QueueKey>(...keys: K[]) => ({
  /** Set locally to point the SDK at fauxqs; unset in AWS. */
  SQS_ENDPOINT: z.url().optional(),
  ...(Object.fromEntries(keys.map((key) => [QUEUES[key].envVar, queueUrl()])) as QueueVars<K>),
});
/** The URLs of the dead-letter queues a function moves messages to. */
export const deadLetterQueuesConfig = <K extends QueueKey>(...keys: K[]) =>
  Object.fromEntries(keys.map((key) => [QUEUES[key].dlqEnvVar, queueUrl()])) as DeadLetterVars<K>;

/** What Toqio calls us with (validate). */
export const toqioApiKeyConfig = () => ({
  /** Required wherever the toqio secret is bound (and always locally); see crossChecks. */
  TOQIO_API_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
  /** The key being rotated out: still accepted from Toqio until it is removed (never sent). */
  TOQIO_API_KEY_PREVIOUS: z.string().min(16, 'must be at least 16 characters').optional(),
  TOQIO_API_KEY_HEADER: z
    .string()
    .regex(/^[A-Za-z0-9-]+$/, 'must be an HTTP header name')
    .default('x-api-key')
    .transform((value) => value.toLowerCase()),
});

/** Where Toqio's webhooks go, with its key (deliver). */
export const toqioWebhookConfig = () => ({
  ...toqioApiKeyConfig(),
  TOQIO_WEBHOOK_BASE_URL: z.url(),
});

/** Largest HTTP body taken: the stored decision (raw body plus normalised copies) is sized for 256 KB. */
export const bodyLimitConfig = () => ({
  MAX_BODY_BYTES: positiveInt(256 * 1024).pipe(z.number().max(256 * 1024, 'must be at most 262144 (256 KB)')),
});

/** The version of the rule set the stack ships (health reports it without compiling any rules). */
export const ruleSetVersionConfig = () => ({
  RULE_SET_VERSION: z.string().min(1),
});

/**
 * Where a function's rules come from: the ACTIVE version in the rule sets table, looked up again
 * at most every RULES_REFRESH_SECONDS (a newly approved version decides within that), and the
 * shipped file, which decides only until version 1 is seeded from it.
 */
export const outboundRulesConfig = () => ({
  RULES_FILE: z.string().default('rules/default.yaml'),
  RULES_REFRESH_SECONDS: positiveInt(30).pipe(z.number().max(60, 'must be at most 60 (the issue allows 60 s)')),
});

/** How validate decides (besides the provider). */
export const validateConfig = () => ({
  ...bodyLimitConfig(),
  ...outboundRulesConfig(),
  VALIDATE_BUDGET_MS: positiveInt(2000).pipe(z.number().max(25000, 'must stay below the API Gateway limit')),
  /** What a payment gets when storage fails. Only REJECTED: an approval is never answered unless stored. */
  FAIL_MODE: z
    .enum(['REJECTED'], { error: 'must be REJECTED (approvals and pending payments are always stored)' })
    .default('REJECTED'),
});

/** Sending webhooks (deliver). */
export const deliveryConfig = () => ({
  /** Per-attempt HTTP timeout of outbound webhooks. */
  DELIVERY_TIMEOUT_MS: positiveInt(10_000).pipe(z.number().max(60_000)),
  DELIVERY_RETRY_DELAYS: csvNumbers.default([30, 120, 600, 1800, 3600, 7200, 21600, 43200]),
  /** Standard Webhooks signing secret (optional); every webhook then carries webhook-signature. */
  WEBHOOK_SIGNING_SECRET: z.string().min(24).optional(),
});

/** The outbox's safety net (sweeper). */
export const sweeperConfig = () => ({
  /** The sweeper re-enqueues deliveries left QUEUED (or overdue) this long. */
  SWEEPER_STALE_AFTER_SECONDS: positiveInt(60),
});

/** Which approved payments are reported to OnePipe, and how: what queues a report needs (no secret). */
export const onepipeReportsConfig = () => ({
  ONEPIPE_LISTENER_URL: z.url().optional(),
  /** `auth.auth_provider` in the debit reports we send OnePipe. */
  ONEPIPE_PROVIDER_NAME: z.string().min(1).default('TmProxy'),
  /** `transaction.mock_mode` of those reports: inspect while integrating, live after. */
  ONEPIPE_MOCK_MODE: z.enum(['live', 'inspect']).default('live'),
  /** The currency of OnePipe credits and the only one debit reports are sent in (its minor unit, kobo). */
  ONEPIPE_CURRENCY: z
    .string()
    .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code')
    .default('NGN'),
});

/** Our own calls to OnePipe: debit reports of approved payments, and credit queries, signed. */
export const onepipeOutboundConfig = () => ({
  /** What we sign our own calls to OnePipe with (debit reports, queries): never accepted inbound. */
  ONEPIPE_OUTBOUND_CLIENT_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  ONEPIPE_OUTBOUND_API_KEY: z.string().min(8, 'must be at least 8 characters').optional(),
  ...onepipeReportsConfig(),
});

/** OnePipe's notifications (and, with them, the inbound rules). */
export const onepipeInboundConfig = () => ({
  /** What OnePipe signs its notifications with and sends as Bearer: accepted inbound only. */
  // OnePipe signs with MD5 of `request_ref;secret`: a short secret falls to an offline search
  // from one captured notification.
  ONEPIPE_CLIENT_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  ONEPIPE_API_KEY: z.string().optional(),
  /** Source addresses (IPs or CIDRs, comma-separated) OnePipe notifications may come from; unset allows any. */
  ONEPIPE_ALLOWED_IPS: ipList.optional(),
  /** Ask OnePipe (`/v2/transact/query`) to confirm a credit before registering it; unconfirmed ones are parked. */
  ONEPIPE_CONFIRM_CREDITS: flag(false),
  ONEPIPE_QUERY_URL: z.url().default('https://api.onepipe.io/v2/transact/query'),
  /** What SAVE_TRANSACTION carries as `balance`, which Toqio requires and OnePipe does not report. */
  TOQIO_INBOUND_BALANCE: z.enum(['zero', 'omit']).default('zero'),
  INBOUND_RULES_FILE: z.string().default('rules/inbound.yaml'),
  RULES_REFRESH_SECONDS: outboundRulesConfig().RULES_REFRESH_SECONDS,
});

/**
 * Which provider decides and how, without its credentials: what the admin function's provider
 * report names, and what every function calling the provider shares.
 */
export const providerIdentityConfig = () => ({
  /** Who decides: the built-in rules, a generic HTTP provider, or Flagright. */
  TM_PROVIDER: z.enum(['rules', 'http', 'flagright']).default('rules'),
  TM_PROVIDER_MODE: z.enum(['primary', 'both', 'shadow']).default('primary'),
  /** The generic provider's mapping (JSON; not secret): its credential is HTTP_PROVIDER_KEY. */
  HTTP_PROVIDER_CONFIG: z
    .string()
    .transform((value, ctx) => {
      try {
        return JSON.parse(value) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be JSON' });
        return z.NEVER;
      }
    })
    .pipe(HttpProviderSettingsSchema)
    .optional(),
});

/** Who decides besides the rules, and how it is called. */
export const providerConfig = () => ({
  ...providerIdentityConfig(),
  PROVIDER_TIMEOUT_MS: positiveInt(1500).pipe(z.number().max(10_000)),
  /** What a payment gets when the provider times out, fails or answers something unreadable. */
  PROVIDER_FALLBACK: z.enum(['PENDING', 'REJECTED', 'APPROVED']).default('PENDING'),
  PROVIDER_BREAKER_ERROR_PERCENT: positiveInt(50).pipe(z.number().max(100)),
  PROVIDER_BREAKER_RESET_MS: positiveInt(30_000),
  /** A late answer (after a timeout) is fetched again in the background with this timeout. */
  PROVIDER_LATE_TIMEOUT_MS: positiveInt(10_000),
  /** The generic provider's API key or HMAC secret (as its HTTP_PROVIDER_CONFIG auth type says). */
  HTTP_PROVIDER_KEY: z.string().min(8).optional(),
  FLAGRIGHT_API_URL: z.url().optional(),
  FLAGRIGHT_API_KEY: z.string().min(8).optional(),
  /** Let Flagright check that originUserId / destinationUserId exist (only when users are synced to it). */
  FLAGRIGHT_VALIDATE_USERS: flag(false),
});

/** Providers' asynchronous verdicts (providerWebhook). */
export const providerWebhookConfig = () => ({
  /** The secret of our endpoint in Flagright's console: its webhooks carry x-flagright-signature. */
  FLAGRIGHT_WEBHOOK_SECRET: z.string().min(16).optional(),
  /** HMAC-SHA256 secret providers sign their webhooks with, and the accepted clock skew. */
  PROVIDER_WEBHOOK_SECRET: z.string().min(24).optional(),
  PROVIDER_WEBHOOK_TOLERANCE_SECONDS: positiveInt(300),
});

/** How cases are decided: four-eyes and the time limit. */
export const casesConfig = () => ({
  /** Base amount at or above which a case needs two people (four-eyes). */
  FOUR_EYES_THRESHOLD: z.coerce.number().positive().default(100_000),
  /** How long a payment may stay pending before the sweeper closes it. */
  PENDING_SLA: duration('24h'),
  /** What an expired case becomes. */
  PENDING_SLA_POLICY: z.enum(['REJECTED', 'APPROVED']).default('REJECTED'),
  /** Cases this close to the SLA are shown at risk (default: the last fifth of the SLA). */
  PENDING_SLA_WARNING: duration('0s'),
});

/** The admin function: sign-in and the web UI. */
export const adminConfig = () => ({
  ADMIN_TOKENS: adminTokens.optional(),
  /** Tokens being rotated out (name:role:token): each person's old token, still accepted until removed. */
  ADMIN_TOKENS_PREVIOUS: adminTokens.optional(),
  /** Failed sign-ins from one source address allowed per window before the admin API answers 429. */
  ADMIN_SIGNIN_MAX_FAILURES: positiveInt(10),
  ADMIN_SIGNIN_WINDOW_SECONDS: positiveInt(300),
  /** Where the admin function finds the built web UI (index.html, app.js). */
  UI_DIR: z.string().default('ui-dist'),
});

/** The pieces of a configuration as one shape. */
type Merged<P extends readonly z.ZodRawShape[]> = P extends readonly [
  infer Head extends z.ZodRawShape,
  ...infer Rest extends z.ZodRawShape[],
]
  ? Head & Merged<Rest>
  : unknown;

/** A function's configuration schema, composed from the pieces above (and always the base). */
export const configSchema = <P extends z.ZodRawShape[]>(...pieces: P) =>
  z.object(Object.assign({}, baseConfig, ...pieces) as typeof baseConfig & Merged<P>);

/**
 * Every variable set by hand, for every function: what the local stack (one process for all) checks
 * at start. RULE_SET_VERSION is not among them: the stacks set it from the rule set file.
 */
const buildAllConfigSchema = () =>
  configSchema({
    ...tablesConfig('decisions', 'counters', 'deliveries', 'history', 'notifications', 'mappings'),
    ...queuesConfig('deliveries', 'providerChecks', 'degradedAnswers'),
    ...deadLetterQueuesConfig('deliveries'),
    ...toqioWebhookConfig(),
    ...validateConfig(),
    ...deliveryConfig(),
    ...sweeperConfig(),
    ...onepipeOutboundConfig(),
    ...onepipeInboundConfig(),
    ...providerConfig(),
    ...providerWebhookConfig(),
    ...casesConfig(),
    ...adminConfig(),
  });
let allConfig: ReturnType<typeof buildAllConfigSchema> | undefined;
/** Built on first use (the local stack, the stage checks): a deployed function never builds it. */
export const allConfigSchema = () => {
  allConfig ??= buildAllConfigSchema();
  return allConfig;
};
export type Config = z.infer<ReturnType<typeof buildAllConfigSchema>>;

/** The deliver function's own timeout must leave this much for the lease, the record and the queue. */
const DELIVER_HEADROOM_MS = 5000;

/**
 * The secrets this process holds: in AWS, those whose ARN variable is set (each function is bound
 * to its own); locally (none bound), values come straight from the environment.
 */
const boundSecrets = (env: Record<string, string | undefined>): SecretKey[] =>
  (Object.keys(SECRETS) as SecretKey[]).filter((key) => env[SECRETS[key].envVar]);

/**
 * Settings that only make sense together, checked after the fields themselves. A function's
 * configuration holds only its own pieces, so each check applies where its fields are present,
 * and a held secret's fields are required only where the function reads them.
 */
const crossChecks = (config: Partial<Config>, bound: readonly SecretKey[], fields: readonly string[]): string[] => {
  const problems: string[] = [];
  // Locally (nothing bound) every value comes from the environment, and the Toqio key is required.
  const holds = (key: SecretKey) => (bound.length === 0 ? key === 'toqio' : bound.includes(key));
  const local = bound.length === 0;
  for (const key of (Object.keys(SECRETS) as SecretKey[]).filter(holds)) {
    for (const name of SECRETS[key].required) {
      if (fields.includes(name) && config[name as keyof Config] === undefined)
        problems.push(`${name}: is required (fill the ${key} secret)`);
    }
  }
  if (config.ONEPIPE_CLIENT_SECRET && !config.ONEPIPE_API_KEY) {
    problems.push(
      'ONEPIPE_API_KEY: is required with ONEPIPE_CLIENT_SECRET (OnePipe sends it as Bearer; never skipped)',
    );
  }
  if (config.TOQIO_API_KEY_PREVIOUS && config.TOQIO_API_KEY_PREVIOUS === config.TOQIO_API_KEY) {
    problems.push('TOQIO_API_KEY_PREVIOUS: must differ from TOQIO_API_KEY (remove it when the rotation is done)');
  }
  for (const previous of config.ADMIN_TOKENS_PREVIOUS ?? []) {
    const current = config.ADMIN_TOKENS?.find((entry) => entry.name === previous.name);
    if (!current || current.role !== previous.role) {
      problems.push(`ADMIN_TOKENS_PREVIOUS: ${previous.name} must also be in ADMIN_TOKENS, with the same role`);
    }
    if (config.ADMIN_TOKENS?.some((entry) => entry.token === previous.token)) {
      problems.push(`ADMIN_TOKENS_PREVIOUS: the token of ${previous.name} is also in ADMIN_TOKENS`);
    }
  }
  const deliverTimeoutMs = FUNCTIONS.deliver.timeoutSeconds * 1000;
  if (config.DELIVERY_TIMEOUT_MS !== undefined && config.DELIVERY_TIMEOUT_MS > deliverTimeoutMs - DELIVER_HEADROOM_MS) {
    problems.push(
      `DELIVERY_TIMEOUT_MS: must be at most ${deliverTimeoutMs - DELIVER_HEADROOM_MS} (the deliver function stops after ${deliverTimeoutMs} ms)`,
    );
  }
  if (config.TM_PROVIDER === 'http' && !config.HTTP_PROVIDER_CONFIG)
    problems.push('HTTP_PROVIDER_CONFIG: is required when TM_PROVIDER=http');
  // The credentials are required only where the function calls the provider (it has their fields).
  const httpAuth = config.HTTP_PROVIDER_CONFIG?.auth;
  if (
    config.TM_PROVIDER === 'http' &&
    fields.includes('HTTP_PROVIDER_KEY') &&
    httpAuth &&
    !(httpAuth.type === 'apiKey' ? httpAuth.key : httpAuth.secret) &&
    !config.HTTP_PROVIDER_KEY
  ) {
    problems.push('HTTP_PROVIDER_KEY: is required when TM_PROVIDER=http (fill the provider secret)');
  }
  if (config.TM_PROVIDER === 'flagright' && fields.includes('FLAGRIGHT_API_URL') && !config.FLAGRIGHT_API_URL) {
    problems.push('FLAGRIGHT_API_URL: is required when TM_PROVIDER=flagright');
  }
  if (config.TM_PROVIDER === 'flagright' && fields.includes('FLAGRIGHT_API_KEY') && !config.FLAGRIGHT_API_KEY) {
    problems.push('FLAGRIGHT_API_KEY: is required when TM_PROVIDER=flagright (fill the provider secret)');
  }
  const outbound = config.ONEPIPE_OUTBOUND_CLIENT_SECRET && config.ONEPIPE_OUTBOUND_API_KEY;
  // Only a function holding the outbound secret signs with it (validate only queues the reports).
  const signsOutbound = fields.includes('ONEPIPE_OUTBOUND_CLIENT_SECRET') && (local || holds('onepipeOutbound'));
  if (signsOutbound && (config.ONEPIPE_LISTENER_URL || config.ONEPIPE_CONFIRM_CREDITS) && !outbound) {
    problems.push(
      'ONEPIPE_OUTBOUND_CLIENT_SECRET / ONEPIPE_OUTBOUND_API_KEY: are required when ONEPIPE_LISTENER_URL or ONEPIPE_CONFIRM_CREDITS is set',
    );
  }
  if (config.ONEPIPE_OUTBOUND_CLIENT_SECRET && config.ONEPIPE_OUTBOUND_CLIENT_SECRET === config.ONEPIPE_CLIENT_SECRET) {
    problems.push('ONEPIPE_OUTBOUND_CLIENT_SECRET: must differ from ONEPIPE_CLIENT_SECRET (one secret per direction)');
  }
  if (config.ONEPIPE_OUTBOUND_API_KEY && config.ONEPIPE_OUTBOUND_API_KEY === config.ONEPIPE_API_KEY) {
    problems.push('ONEPIPE_OUTBOUND_API_KEY: must differ from ONEPIPE_API_KEY (one key per direction)');
  }
  if (
    config.TM_PROVIDER !== undefined &&
    config.TM_PROVIDER !== 'rules' &&
    config.PROVIDER_TIMEOUT_MS !== undefined &&
    config.VALIDATE_BUDGET_MS !== undefined &&
    config.PROVIDER_TIMEOUT_MS >= config.VALIDATE_BUDGET_MS
  ) {
    problems.push('PROVIDER_TIMEOUT_MS: must be below VALIDATE_BUDGET_MS (storage needs time too)');
  }
  return problems;
};

/** The at-risk window: PENDING_SLA_WARNING, or the last fifth of the SLA when it is not set. */
export const slaWarningMs = (config: Pick<Config, 'PENDING_SLA' | 'PENDING_SLA_WARNING'>) =>
  config.PENDING_SLA_WARNING > 0 ? config.PENDING_SLA_WARNING : config.PENDING_SLA / 5;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses a set of variables against a function's schema; throws one ConfigError naming every problem. */
export const parseConfigWith = <S extends z.ZodObject>(
  schema: S,
  env: Record<string, string | undefined>,
): z.infer<S> => {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const result = schema.safeParse(present);
  const problems = result.success
    ? crossChecks(result.data as Partial<Config>, boundSecrets(present), Object.keys(schema.shape))
    : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  if (!result.success || problems.length > 0)
    throw new ConfigError(`Invalid configuration:\n- ${problems.join('\n- ')}`);
  return result.data;
};

/**
 * Checks the plain settings a stage gives the functions (lib/stage-config.ts) with the very pieces
 * the functions parse them with, and the cross-checks that need no secret; every problem, by
 * variable. Unset settings take the functions' defaults, so a check against a default applies too.
 */
export const settingsProblems = (names: readonly string[], env: Record<string, string>): string[] => {
  const shape = allConfigSchema().shape as Record<string, z.ZodType>;
  const schema = z.object(Object.fromEntries(names.map((name) => [name, shape[name] ?? z.never()])));
  const result = schema.safeParse(env);
  return result.success
    ? crossChecks(result.data as Partial<Config>, ['toqio'], names)
    : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
};

/** Parses every variable of every function (the local stack checks this at start). */
export const parseConfig = (env: Record<string, string | undefined>): Config => parseConfigWith(allConfigSchema(), env);

/**
 * A function's configuration: the environment, with each secret bound to this function (its
 * `*_SECRET_ARN` variable is set) fetched and only its own group's fields merged in (values are
 * never logged), parsed against the function's schema. `fetchSecret` is the secrets adapter. The
 * one place that reads process.env; each function calls it once, at cold start.
 */
export const loadConfig = async <S extends z.ZodObject>(
  schema: S,
  fetchSecret?: (arn: string, region: string) => Promise<Record<string, string>>,
): Promise<z.infer<S>> => {
  const env: Record<string, string | undefined> = { ...process.env };
  const bound = Object.values(SECRETS).filter((spec) => env[spec.envVar]);
  const values = fetchSecret
    ? await Promise.all(bound.map((spec) => fetchSecret(String(env[spec.envVar]), env.AWS_REGION || 'us-east-1')))
    : [];
  for (const [index, spec] of bound.entries()) {
    for (const name of spec.fields) {
      const value = values[index]?.[name];
      // An empty field (as the stack creates them) leaves the variable as the environment has it.
      if (typeof value === 'string' && value !== '') env[name] = value;
    }
  }
  return parseConfigWith(schema, env);
};

let cached: Promise<Config> | undefined;

/** Every variable of every function, with the bound secrets, parsed once (see loadConfig). */
export const getConfig = (fetchSecret?: (arn: string) => Promise<Record<string, string>>): Promise<Config> => {
  cached ??= loadConfig(allConfigSchema(), fetchSecret);
  return cached;
};

/** The parsed configuration of a function composed from these pieces. */
export type ConfigOf<S extends z.ZodRawShape> = z.infer<z.ZodObject<typeof baseConfig & S>>;
/** Whatever configuration a function parsed (each function's is its own composition). */
export type AnyConfig = z.infer<z.ZodObject<typeof baseConfig>>;
