/**
 * The secrets, described once. Each group is its own Secrets Manager secret, so a function can be
 * granted exactly the values it reads (IAM cannot grant part of one secret's JSON); the stack
 * creates them, binds them per the route table, and the configuration loader fetches each bound
 * one at cold start and takes only the group's own fields from it.
 */
export interface SecretSpec {
  /** Logical id in the stack. */
  id: string;
  /** Environment variable carrying the secret's ARN to the functions it is bound to. */
  envVar: string;
  /** The JSON fields of the secret (configuration variable names). */
  fields: readonly string[];
  /** Fields a function bound to this secret cannot start without (it names them when they are empty). */
  required: readonly string[];
  /** A field Secrets Manager fills with a random value at deploy time. */
  generated?: string;
  /**
   * Whether a stage with these settings (the functions' environment) reads the secret at all. A
   * secret not in use is still created (to be filled before it is needed) but bound to no function:
   * no function is granted it, and none fetches it at cold start. Always in use when absent.
   */
  inUse?: (settings: Readonly<Partial<Record<string, string>>>) => boolean;
  description: string;
}

export const SECRETS = {
  toqio: {
    id: 'ToqioSecret',
    envVar: 'TOQIO_SECRET_ARN',
    fields: ['TOQIO_API_KEY', 'TOQIO_API_KEY_PREVIOUS'],
    required: ['TOQIO_API_KEY'],
    description:
      "Toqio's API key (TOQIO_API_KEY, from Toqio); TOQIO_API_KEY_PREVIOUS is still accepted during a rotation",
  },
  admin: {
    id: 'AdminSecret',
    envVar: 'ADMIN_SECRET_ARN',
    fields: ['ADMIN_TOKENS', 'ADMIN_TOKENS_PREVIOUS'],
    required: ['ADMIN_TOKENS'],
    description: 'Sign-in tokens of analysts and supervisors (ADMIN_TOKENS as name:role:token,...)',
  },
  onepipeInbound: {
    id: 'OnepipeInboundSecret',
    envVar: 'ONEPIPE_INBOUND_SECRET_ARN',
    fields: ['ONEPIPE_CLIENT_SECRET', 'ONEPIPE_API_KEY'],
    required: [],
    description: 'What OnePipe signs its notifications with and sends as Bearer (accepted inbound only)',
  },
  onepipeOutbound: {
    id: 'OnepipeOutboundSecret',
    envVar: 'ONEPIPE_OUTBOUND_SECRET_ARN',
    fields: ['ONEPIPE_OUTBOUND_CLIENT_SECRET', 'ONEPIPE_OUTBOUND_API_KEY'],
    required: [],
    // Only a stage that calls OnePipe (debit reports to its listener, or credit confirmations) signs with it.
    inUse: (settings) => Boolean(settings.ONEPIPE_LISTENER_URL) || settings.ONEPIPE_CONFIRM_CREDITS === 'true',
    description: 'What we sign our own calls to OnePipe with (never accepted inbound)',
  },
  webhookSigning: {
    id: 'WebhookSigningSecret',
    envVar: 'WEBHOOK_SIGNING_SECRET_ARN',
    fields: ['WEBHOOK_SIGNING_SECRET'],
    required: ['WEBHOOK_SIGNING_SECRET'],
    generated: 'WEBHOOK_SIGNING_SECRET',
    description: 'Standard Webhooks signing secret of outbound webhooks (generated at deploy time)',
  },
  provider: {
    id: 'ProviderSecret',
    envVar: 'PROVIDER_SECRET_ARN',
    fields: ['FLAGRIGHT_API_KEY', 'FLAGRIGHT_WEBHOOK_SECRET', 'HTTP_PROVIDER_KEY', 'PROVIDER_WEBHOOK_SECRET'],
    required: [],
    // With the built-in rules alone (TM_PROVIDER=rules, the default) no function calls a provider or
    // accepts its webhooks: validate then starts without fetching this secret (npm run bench:cold).
    inUse: (settings) => (settings.TM_PROVIDER ?? 'rules') !== 'rules',
    // The HTTP provider's mapping is stage configuration (HTTP_PROVIDER_CONFIG); only its key is secret.
    description:
      "The monitoring provider's API keys (Flagright, or the HTTP provider's key or HMAC secret) and webhook secrets",
  },
} as const satisfies Record<string, SecretSpec>;

export type SecretKey = keyof typeof SECRETS;
