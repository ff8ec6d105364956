import type { QueueKey } from './queues.js';
import type { SecretKey } from './secrets.js';
import type { StageSetting } from './stage-config.js';
import type { TableKey } from './tables.js';

/** What invokes a function: the HTTP API (routes below), a queue, a schedule, or its Function URL. */
export type Trigger =
  | { kind: 'http' }
  | {
      kind: 'sqs';
      queue: QueueKey;
      batchSize: number;
      /** Caps parallel invocations so a backlog cannot flood a partner. */
      maxConcurrency: number;
      maxBatchingWindowSeconds: number;
    }
  | { kind: 'schedule'; everyMinutes: number }
  | {
      /**
       * A table's stream (a Lambda event source mapping: from the oldest record the stream holds,
       * batches bisected on error, failed records reported, after `retryAttempts` the batch's
       * pointer to an SQS on-failure queue; locally local/stream-poller.ts invokes it).
       */
      kind: 'dynamodbStream';
      table: TableKey;
      batchSize: number;
      maxBatchingWindowSeconds: number;
      retryAttempts: number;
    }
  | { kind: 'functionUrl' };

export type TableAccess = 'read' | 'readWrite' | 'readWriteDelete' | 'append';

/**
 * The one route table. The CDK stack creates a Lambda per function and an HTTP API route per
 * route from it; the local gateway serves the very same handler modules from it.
 */
export interface FunctionSpec {
  /** Handler module, relative to the project root; it exports `handler`. */
  entry: string;
  description: string;
  memoryMb: number;
  timeoutSeconds: number;
  /**
   * DynamoDB access this function needs: least privilege is derived from this. 'readWrite' reads,
   * puts and updates but never deletes; 'readWriteDelete' also deletes; 'append' puts and reads
   * only (the append-only history).
   */
  tables: Partial<Record<TableKey, TableAccess>>;
  /** The secrets it reads (each a Secrets Manager secret of its own); none when absent. */
  secrets?: readonly SecretKey[];
  /** Queues it sends to ('send') or also moves to their DLQ ('sendWithDlq'). */
  queues?: Partial<Record<QueueKey, 'send' | 'sendWithDlq'>>;
  trigger: Trigger;
  /** Project files the bundle must carry (read at cold start): `rules` only where rules are evaluated. */
  assets?: string[];
  /** It reports the shipped rule set's version (RULE_SET_VERSION) without compiling the rules. */
  reportsRuleSetVersion?: boolean;
  /** The bundle also carries the built web UI (ui-dist/), which this function serves. */
  servesUi?: boolean;
  /**
   * Source-mapped stack traces at run time (`NODE_OPTIONS=--enable-source-maps`; default true).
   * Off only where the cold start is on a partner's clock: validate (npm run bench:cold, README).
   */
  runtimeSourceMaps?: boolean;
  /**
   * The stage settings (lib/stage-config.ts) its configuration schema reads: only these reach its
   * environment. The infra test checks each list against the function's exported config schema.
   */
  settings: readonly StageSetting[];
}

/** Every function logs at the stage's level and knows its stage. */
const BASE = ['STAGE', 'LOG_LEVEL'] as const;
/** Which provider decides and how it is called (its credentials are in the provider secret). */
const PROVIDER = [
  'TM_PROVIDER',
  'TM_PROVIDER_MODE',
  'HTTP_PROVIDER_CONFIG',
  'PROVIDER_TIMEOUT_MS',
  'PROVIDER_FALLBACK',
  'PROVIDER_BREAKER_ERROR_PERCENT',
  'PROVIDER_BREAKER_RESET_MS',
  'PROVIDER_LATE_TIMEOUT_MS',
  'FLAGRIGHT_API_URL',
  'FLAGRIGHT_VALIDATE_USERS',
] as const;
/** Reporting approved debits to OnePipe (whoever makes a payment final queues the report). */
const ONEPIPE_REPORTS = [
  'ONEPIPE_LISTENER_URL',
  'ONEPIPE_MOCK_MODE',
  'ONEPIPE_PROVIDER_NAME',
  'ONEPIPE_CURRENCY',
] as const;
/** Taking OnePipe's credits. */
const ONEPIPE_CREDITS = [
  'ONEPIPE_CONFIRM_CREDITS',
  'ONEPIPE_QUERY_URL',
  'ONEPIPE_ALLOWED_IPS',
  'TOQIO_INBOUND_BALANCE',
] as const;
/** Four-eyes and the time limit of a case. */
const CASES = ['FOUR_EYES_THRESHOLD', 'PENDING_SLA', 'PENDING_SLA_POLICY', 'PENDING_SLA_WARNING'] as const;

export const FUNCTIONS = {
  validate: {
    entry: 'functions/handlers/validate.ts',
    description: 'Decides Toqio outbound payments (POST /transaction/validate)',
    // Toqio waits on its cold start: the maps' ~20 ms (bench:cold) is not spent here.
    runtimeSourceMaps: false,
    secrets: ['toqio', 'provider'],
    memoryMb: 1024,
    timeoutSeconds: 10,
    // ruleSets: read only. The active rules are looked up there; only the admin function writes rules.
    tables: {
      decisions: 'readWrite',
      counters: 'readWrite',
      history: 'append',
      deliveries: 'readWrite',
      ruleSets: 'read',
    },
    queues: { providerChecks: 'send', degradedAnswers: 'send' },
    assets: ['rules'],
    settings: [...BASE, 'TOQIO_API_KEY_HEADER', 'VALIDATE_BUDGET_MS', 'FAIL_MODE', ...PROVIDER, ...ONEPIPE_REPORTS],
    trigger: { kind: 'http' },
  },
  reconcileDegraded: {
    entry: 'functions/handlers/reconcile-degraded.ts',
    description: 'Makes storage agree with degraded answers (REJECTED, SERVICE_DEGRADED) given to Toqio',
    secrets: [],
    memoryMb: 256,
    // The queue's visibility timeout (60 s) is 6x this.
    timeoutSeconds: 10,
    // counters: a payment that waited in its velocity line leaves it when its answer is reconciled.
    tables: { decisions: 'readWrite', counters: 'readWrite', history: 'append', deliveries: 'readWrite' },
    settings: BASE,
    trigger: { kind: 'sqs', queue: 'degradedAnswers', batchSize: 5, maxConcurrency: 2, maxBatchingWindowSeconds: 1 },
  },
  providerWebhook: {
    entry: 'functions/handlers/provider-webhook.ts',
    description: "Receives a monitoring provider's asynchronous verdicts (POST /providers/{name}/webhook)",
    secrets: ['provider'],
    memoryMb: 512,
    timeoutSeconds: 10,
    tables: { decisions: 'readWrite', counters: 'readWrite', history: 'append', deliveries: 'readWrite' },
    settings: [...BASE, ...CASES, ...PROVIDER, 'PROVIDER_WEBHOOK_TOLERANCE_SECONDS', ...ONEPIPE_REPORTS],
    trigger: { kind: 'http' },
  },
  providerRecheck: {
    entry: 'functions/handlers/provider-recheck.ts',
    description: 'Asks the provider again for screenings that missed their time budget',
    secrets: ['provider'],
    memoryMb: 512,
    timeoutSeconds: 15,
    tables: { decisions: 'readWrite', history: 'append' },
    settings: [...BASE, ...PROVIDER],
    trigger: { kind: 'sqs', queue: 'providerChecks', batchSize: 5, maxConcurrency: 2, maxBatchingWindowSeconds: 1 },
  },
  onepipeNotifications: {
    entry: 'functions/handlers/onepipe-notifications.ts',
    description: 'Receives OnePipe transaction notifications (POST /onepipe/notifications)',
    // Outbound too: to recognise (and refuse) our own request_refs, and to query OnePipe when confirming credits.
    secrets: ['onepipeInbound', 'onepipeOutbound'],
    memoryMb: 512,
    timeoutSeconds: 10,
    tables: {
      notifications: 'readWrite',
      mappings: 'read',
      deliveries: 'readWrite',
      decisions: 'readWrite',
      ruleSets: 'read',
    },
    assets: ['rules'],
    settings: [...BASE, ...ONEPIPE_REPORTS, ...ONEPIPE_CREDITS],
    trigger: { kind: 'http' },
  },
  health: {
    entry: 'functions/handlers/health.ts',
    description: 'Liveness and storage check (GET /health)',
    secrets: [],
    memoryMb: 256,
    timeoutSeconds: 5,
    tables: { decisions: 'read' },
    reportsRuleSetVersion: true,
    settings: BASE,
    trigger: { kind: 'http' },
  },
  deliver: {
    entry: 'functions/handlers/deliver.ts',
    description: 'Sends outbound webhooks from the deliveries queue, with retries',
    secrets: ['toqio', 'onepipeOutbound', 'webhookSigning'],
    memoryMb: 512,
    // The queue's visibility timeout (90 s) is at least 6x this, as AWS advises.
    timeoutSeconds: 15,
    tables: { deliveries: 'readWrite', history: 'append' },
    queues: { deliveries: 'sendWithDlq' },
    settings: [
      ...BASE,
      'TOQIO_WEBHOOK_BASE_URL',
      'TOQIO_API_KEY_HEADER',
      ...ONEPIPE_REPORTS,
      'DELIVERY_RETRY_DELAYS',
      'DELIVERY_TIMEOUT_MS',
    ],
    trigger: { kind: 'sqs', queue: 'deliveries', batchSize: 5, maxConcurrency: 5, maxBatchingWindowSeconds: 1 },
  },
  sweeper: {
    entry: 'functions/handlers/sweeper.ts',
    description: 'Re-enqueues deliveries whose queue message was lost',
    secrets: [],
    memoryMb: 256,
    timeoutSeconds: 60,
    tables: { deliveries: 'readWrite' },
    queues: { deliveries: 'send' },
    settings: BASE,
    trigger: { kind: 'schedule', everyMinutes: 1 },
  },
  admin: {
    entry: 'functions/handlers/admin.ts',
    description: 'Analyst and operator API and web UI (Function URL)',
    secrets: ['admin'],
    memoryMb: 512,
    timeoutSeconds: 15,
    tables: {
      decisions: 'readWrite',
      deliveries: 'readWrite',
      history: 'append',
      notifications: 'readWrite',
      mappings: 'readWriteDelete',
      // Failed sign-ins per source address (rate limit).
      counters: 'readWrite',
      // Rule set versions: drafts, proposals, approvals, and seeding version 1 from the shipped files.
      ruleSets: 'readWrite',
      // Backtests (started here, read back with their pages), rule statistics and shadow reports.
      analytics: 'readWrite',
    },
    // Starting a backtest queues the first page of each scan segment.
    queues: { backtestPages: 'send' },
    // The shipped rule sets: version 1 of each set when the table has none yet.
    assets: ['rules'],
    servesUi: true,
    settings: [
      ...BASE,
      ...CASES,
      'TM_PROVIDER',
      'TM_PROVIDER_MODE',
      'HTTP_PROVIDER_CONFIG',
      ...ONEPIPE_REPORTS,
      ...ONEPIPE_CREDITS,
    ],
    trigger: { kind: 'functionUrl' },
  },
  expireCases: {
    entry: 'functions/handlers/expire-cases.ts',
    description: 'Closes pending cases older than PENDING_SLA with the configured policy',
    secrets: [],
    memoryMb: 256,
    timeoutSeconds: 60,
    tables: { decisions: 'readWrite', deliveries: 'readWrite', history: 'append' },
    settings: [...BASE, ...CASES, ...ONEPIPE_REPORTS],
    trigger: { kind: 'schedule', everyMinutes: 1 },
  },
  backtest: {
    entry: 'functions/handlers/backtest.ts',
    description: 'Runs backtests of rule set versions on stored decisions, one scan page per message',
    secrets: [],
    memoryMb: 1024,
    // The queue's visibility timeout (6 min) is 6x this; a page (a few hundred decisions) takes about a second.
    timeoutSeconds: 60,
    // decisions: read only (a Scan). ruleSets: the candidate version. analytics: pages and summaries.
    tables: { decisions: 'read', ruleSets: 'read', analytics: 'readWrite' },
    // Each page sends its segment's next page.
    queues: { backtestPages: 'send' },
    settings: BASE,
    // One page per invocation; at most 4 at once, so a backtest's reads stay a small, steady share
    // of the decisions table's capacity and of the account's concurrency (validate has its own reserve).
    trigger: { kind: 'sqs', queue: 'backtestPages', batchSize: 1, maxConcurrency: 4, maxBatchingWindowSeconds: 0 },
  },
  ruleStats: {
    entry: 'functions/handlers/rule-stats.ts',
    description: "Turns the decisions table's stream into rule statistics (hits, cases, shadow outcomes)",
    secrets: [],
    memoryMb: 256,
    timeoutSeconds: 30,
    // The stream read is granted by the event source (lib/tm-proxy-stack.ts), not by a table grant.
    tables: { analytics: 'readWrite' },
    settings: BASE,
    trigger: {
      kind: 'dynamodbStream',
      table: 'decisions',
      batchSize: 100,
      maxBatchingWindowSeconds: 5,
      retryAttempts: 5,
    },
  },
} as const satisfies Record<string, FunctionSpec>;

export type FunctionName = keyof typeof FUNCTIONS;

export interface RouteSpec {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** API Gateway path syntax: `{name}` for a path parameter. */
  path: string;
  function: FunctionName;
  /** What the caller must present; checked in the handler (HTTP APIs have no API keys). */
  auth: 'toqio-api-key' | 'onepipe-signature' | 'provider-signature' | 'none';
}

export const ROUTES: readonly RouteSpec[] = [
  { method: 'POST', path: '/transaction/validate', function: 'validate', auth: 'toqio-api-key' },
  { method: 'GET', path: '/health', function: 'health', auth: 'none' },
  { method: 'POST', path: '/onepipe/notifications', function: 'onepipeNotifications', auth: 'onepipe-signature' },
  { method: 'POST', path: '/providers/{name}/webhook', function: 'providerWebhook', auth: 'provider-signature' },
];

/** A path segment percent-decoded, or undefined when its escapes are malformed (`%ZZ`, a cut UTF-8 sequence). */
export const decodeSegment = (segment: string): string | undefined => {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
};

/**
 * Matches a concrete path against a route path; returns the path parameters or undefined (also
 * when a parameter's escapes are malformed: such a path names no resource).
 */
export const matchPath = (routePath: string, path: string): Record<string, string> | undefined => {
  const want = routePath.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, part] of want.entries()) {
    const actual = got[index] ?? '';
    if (part.startsWith('{') && part.endsWith('}')) {
      const decoded = decodeSegment(actual);
      if (!actual || decoded === undefined) return undefined;
      params[part.slice(1, -1)] = decoded;
    } else if (part !== actual) return undefined;
  }
  return params;
};
