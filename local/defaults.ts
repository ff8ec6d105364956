/**
 * Safe defaults for running locally: keys that only work on this machine. Any variable already
 * set in the environment wins, so the same start command can run with real partner settings.
 */
export const LOCAL_DEFAULTS = {
  STAGE: 'local',
  AWS_REGION: 'us-east-1',
  TOQIO_API_KEY: 'local-toqio-api-key-change-me',
  TOQIO_API_KEY_HEADER: 'x-api-key',
  // Two supervisors: a rule set change needs one to propose it and another to approve it.
  ADMIN_TOKENS:
    'ana:analyst:local-analyst-token-0001,sam:supervisor:local-supervisor-token-0001,kim:supervisor:local-supervisor-token-0002',
  // An approved rule set version decides within 5 s locally (at most 60 s in AWS; 30 s by default).
  RULES_REFRESH_SECONDS: '5',
  // OnePipe's Bearer key is always checked with its signature: one is never configured without the other.
  ONEPIPE_API_KEY: 'local-onepipe-api-key',
  ONEPIPE_CLIENT_SECRET: 'local-onepipe-client-secret',
  // What we sign our own calls to OnePipe with: never the inbound secret.
  ONEPIPE_OUTBOUND_CLIENT_SECRET: 'local-onepipe-outbound-secret',
  ONEPIPE_OUTBOUND_API_KEY: 'local-onepipe-outbound-key',
  DELIVERY_RETRY_DELAYS: '5,15,60,300,900',
  // Powertools: readable logs locally; metrics are not published (there is no CloudWatch here).
  POWERTOOLS_DEV: 'true',
  POWERTOOLS_METRICS_DISABLED: 'true',
  POWERTOOLS_TRACE_ENABLED: 'false',
  POWERTOOLS_METRICS_NAMESPACE: 'tm-proxy-local',
  LOG_LEVEL: 'WARN',
} as const;
