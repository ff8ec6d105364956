/**
 * The DynamoDB tables, described once: the CDK stack builds them from this and the local stack
 * creates the same tables in DynamoDB Local, so keys, indexes and TTL can never drift apart.
 */
export interface TableSpec {
  /** Logical id in the stack and suffix of the local table name. */
  id: string;
  /** Name of the environment variable that carries the table name to functions. */
  envVar: string;
  partitionKey: string;
  sortKey?: string;
  ttlAttribute?: string;
  /** A stream of item changes, with the images the outbox filter needs (lib/outbox-stream.ts). */
  stream?: 'NEW_AND_OLD_IMAGES';
  indexes: IndexSpec[];
}

/**
 * A global secondary index. `include` projects only those attributes besides the keys (what the
 * query that uses it reads), so a write puts a small item in the index; without it, ALL.
 */
export interface IndexSpec {
  name: string;
  partitionKey: string;
  sortKey: string;
  include?: readonly string[];
}

export const TABLES = {
  decisions: {
    id: 'Decisions',
    envVar: 'DECISIONS_TABLE',
    partitionKey: 'transactionId',
    // Read by the ruleStats function (off the request path): rule hits, cases and shadow outcomes
    // become rows of the analytics table. A stream costs the decision's write nothing.
    stream: 'NEW_AND_OLD_IMAGES',
    indexes: [
      // The case queue: cases only (sparse: a decision without a case has no caseStatus), whole.
      { name: 'byCaseStatus', partitionKey: 'caseStatus', sortKey: 'createdAt' },
      // The customer history on a case page, and the provider agreement report: what they show.
      // (New names: DynamoDB cannot change an index's projection, so the ALL-projected byCustomer
      // and byProvider of earlier releases are replaced; README Deploying has the upgrade steps.)
      {
        name: 'customerHistory',
        partitionKey: 'customer',
        sortKey: 'createdAt',
        include: ['status', 'baseAmount', 'currency', 'reasons'],
      },
      {
        name: 'providerAgreement',
        partitionKey: 'providerName',
        sortKey: 'createdAt',
        include: ['rulesStatus', 'providerStatus'],
      },
    ],
  },
  counters: {
    id: 'Counters',
    envVar: 'COUNTERS_TABLE',
    partitionKey: 'pk',
    ttlAttribute: 'expiresAt',
    indexes: [],
  },
  /** Append-only case history: functions may put and read entries, never update or delete them. */
  history: {
    id: 'History',
    envVar: 'HISTORY_TABLE',
    partitionKey: 'transactionId',
    sortKey: 'entryId',
    indexes: [],
  },
  /** OnePipe notifications as received, keyed by request_ref (so a repeat changes nothing). */
  notifications: {
    id: 'Notifications',
    envVar: 'NOTIFICATIONS_TABLE',
    partitionKey: 'requestRef',
    indexes: [{ name: 'byUnmatchedAccount', partitionKey: 'unmatchedAccount', sortKey: 'receivedAt' }],
  },
  /** Which Toqio customer and account a credited virtual account belongs to. */
  mappings: {
    id: 'Mappings',
    envVar: 'MAPPINGS_TABLE',
    partitionKey: 'accountNumber',
    indexes: [],
  },
  /** The outbox: its stream carries each new delivery to the deliveries queue. */
  deliveries: {
    id: 'Deliveries',
    envVar: 'DELIVERIES_TABLE',
    partitionKey: 'deliveryId',
    stream: 'NEW_AND_OLD_IMAGES',
    indexes: [
      { name: 'byStatus', partitionKey: 'status', sortKey: 'dueAt' },
      { name: 'bySubject', partitionKey: 'subject', sortKey: 'createdAt' },
    ],
  },
  /**
   * Rule set versions (rules/*.yaml became version 1 of each set), their lists in gzip chunks,
   * each set's pointer to its ACTIVE version and its append-only history: one partition per set,
   * so a version and its lists come back in one query (functions/adapters/rule-set-repository.ts).
   * A table of its own: the decision functions may only read it, the admin function writes it.
   */
  ruleSets: {
    id: 'RuleSets',
    envVar: 'RULE_SETS_TABLE',
    partitionKey: 'ruleSet',
    sortKey: 'sk',
    indexes: [],
  },
  /**
   * Rule analytics, one partition per subject (functions/adapters/rule-stats-repository.ts: `hits#`,
   * `cases#`, `shadow#`; functions/adapters/backtest-repository.ts: `backtest#`):
   * per-rule hit rows, case rows and shadow rows (written from the decisions table's stream by the
   * ruleStats function), and backtests with their pages (written by the backtest workers).
   */
  analytics: {
    id: 'Analytics',
    envVar: 'ANALYTICS_TABLE',
    partitionKey: 'pk',
    sortKey: 'sk',
    ttlAttribute: 'expiresAt',
    indexes: [],
  },
} as const satisfies Record<string, TableSpec>;

export type TableKey = keyof typeof TABLES;
