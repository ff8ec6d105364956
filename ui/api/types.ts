/**
 * The admin API's answers, as the UI reads them. They mirror what the admin function sends
 * (functions/handlers/admin/*.ts and the records it returns); the server's own types and zod
 * schemas cannot be imported here, because they pull Node and the AWS SDK into the browser
 * bundle and its typecheck. Only the fields the UI reads are listed, each typed as sent.
 */

export type Role = 'analyst' | 'supervisor';

/** `GET /api/me`. */
export interface Principal {
  name: string;
  role: Role;
}

/** The queue's status filter (`CASE_FILTERS` on the server). */
export const CASE_FILTERS = [
  'PENDING',
  'AWAITING_SECOND_APPROVAL',
  'ESCALATED',
  'APPROVED',
  'REJECTED',
  'INFORMATIONAL',
] as const;
export type CaseFilter = (typeof CASE_FILTERS)[number];

export type DecisionStatus = 'APPROVED' | 'REJECTED' | 'PENDING_EXTERNAL_APPROVAL';
export type FinalStatus = Extract<DecisionStatus, 'APPROVED' | 'REJECTED'>;
/** FIRST → SECOND (four eyes) → ESCALATED (the two disagreed) → FINAL. */
export type ReviewStage = 'FIRST' | 'SECOND' | 'ESCALATED' | 'FINAL';

export interface Reason {
  rule: string;
  description: string;
}

/** One person's decision on a four-eyes case that did not close it. */
export interface RecordedDecision {
  status: FinalStatus;
  reason: string;
  by: string;
  at: string;
}

/** Where an open case stands against the pending time limit. */
export interface Sla {
  deadline: string;
  remainingMs: number;
  atRisk: boolean;
  expired: boolean;
}

/** A case as the queue lists it (the `summary` of functions/handlers/admin/cases.ts). */
export interface CaseSummary {
  transactionId: string;
  caseStatus: CaseFilter;
  status: DecisionStatus | 'INFORMATIONAL';
  reviewStage: ReviewStage;
  version: number;
  createdAt: string;
  customer: string;
  baseAmount: number;
  currency: string | null;
  reasons: Reason[];
  claimedBy: string | null;
  claimedAt: string | null;
  fourEyes: boolean;
  firstDecision: RecordedDecision | null;
  /** The second person's decision when it disagreed with the first (the case went to a third). */
  secondDecision: RecordedDecision | null;
  /** When the SLA sweeper escalated the case instead of approving it without four eyes. */
  slaEscalatedAt: string | null;
  decidedAt: string | null;
  decidedBy: string | null;
  finalReason: string | null;
  /** Null once the case is final. */
  sla: Sla | null;
}

/** `GET /api/cases`. */
export interface CasePage {
  items: CaseSummary[];
  nextCursor?: string | null;
}

/** One side of the payment, as the validate normalised it. */
export interface NormalisedParty {
  ibanValid: boolean;
}

export interface NormalisedTransaction {
  direction: 'OUTBOUND' | 'INBOUND' | 'CARD' | 'OTHER';
  payType: string | null;
  source: NormalisedParty;
  destination: NormalisedParty;
}

/** An account of the Toqio payload, as Toqio sent it (`null` reads as absent). */
export interface PayloadAccount {
  name?: string | null;
  iban?: string | null;
  bicSwift?: string | null;
  accountNumber?: string | null;
  ukAccountNumber?: string | null;
  ukSortCode?: string | null;
  routingNumber?: string | null;
  countryCode?: string | null;
}

/** The Toqio transaction as it was validated. */
export interface Payload {
  concept?: string | null;
  date?: string | null;
  sourceAccount?: PayloadAccount | null;
  destinationAccount?: PayloadAccount | null;
}

export interface CaseSnapshot {
  status: DecisionStatus;
  reviewStage: ReviewStage;
  claimedBy: string | null;
}

export interface HistoryEntry {
  entryId: string;
  at: string;
  actor: string;
  action: string;
  before?: CaseSnapshot;
  after?: CaseSnapshot;
  details?: { text?: string; reason?: string } & Record<string, unknown>;
}

export interface Note {
  at: string;
  by: string;
  text: string;
}

export interface CustomerPayment {
  transactionId: string;
  status: DecisionStatus | 'INFORMATIONAL';
  baseAmount: number;
  currency: string | null;
  createdAt: string;
}

export type DeliveryStatus = 'QUEUED' | 'FAILED' | 'DELIVERED' | 'DEAD' | 'CANCELLED';

export interface Attempt {
  number: number;
  at: string;
  outcome: 'delivered' | 'retry' | 'dead';
  httpStatus?: number;
  latencyMs: number;
  error?: string;
}

/** A webhook we owe a partner: the delivery record of the webhooks domain. */
export interface Delivery {
  deliveryId: string;
  target: string;
  type: string;
  /** The transaction it is about. */
  subject: string;
  status: DeliveryStatus;
  attempts: Attempt[];
  attemptCount: number;
  createdAt: string;
  deadReason?: string;
}

/** `GET /api/cases/{id}` and the answer of every action on a case. */
export interface CaseDetail extends CaseSummary {
  transaction?: NormalisedTransaction;
  /** The rules it was decided with: `outbound@3` (a stored version), or a shipped file's version before seeding. */
  ruleSetVersion?: string;
  payload: Payload;
  customerHistory: CustomerPayment[];
  notes: Note[];
  history: HistoryEntry[];
  deliveries: Delivery[];
}

/** `GET /api/deliveries`. */
export interface DeliveryPage {
  items: Delivery[];
  nextCursor?: string | null;
}

/** `POST /api/deliveries/retry-dead`. */
export interface RetriedDeliveries {
  retried: number;
  deliveryIds: string[];
  more: boolean;
}

export const CLIENT_TYPES = ['BUSINESS', 'CONSUMER'] as const;

/** What a supervisor sends to map an account (`accountMappingSchema` on the server). */
export interface AccountMappingInput {
  company: string;
  customer: string;
  accountId: string;
  clientType: (typeof CLIENT_TYPES)[number];
  accountType: string;
  accountName?: string;
  bankName: string;
  bankDescription: string;
  corePaymentType: string;
}

/** A change to a mapping that waits for a second supervisor. */
export interface MappingProposal {
  accountNumber: string;
  target: string;
  change: 'UPDATE' | 'DELETE';
  baseVersion: number;
  proposedBy: string;
  proposedAt: string;
}

/** A stored mapping; older ones may miss fields today's schema requires (then `complete` is false). */
export interface AccountMapping extends Partial<AccountMappingInput> {
  accountNumber: string;
  version: number;
  updatedAt?: string;
  updatedBy?: string;
  complete: boolean;
  problems?: string[];
  pendingChange: MappingProposal | null;
}

/** `PUT /api/account-mappings/{accountNumber}`: a new account is saved, a change is proposed. */
export type MappingSaved =
  | { status: 'PROPOSED'; pendingChange: MappingProposal }
  | ({ status?: undefined; registeredCredits: string[] } & Partial<AccountMappingInput>);

/** `POST /api/account-mappings/{accountNumber}/approve`. */
export interface MappingChangeApproved {
  status: 'CHANGED' | 'REMOVED';
  registeredCredits: string[];
}

/** A OnePipe notification waiting for a person (unmatched, parked, refused or unconfirmed). */
export interface WaitingNotification {
  requestRef: string;
  receivedAt: string;
  state: string;
  accountNumber?: string;
  amountKobo?: string;
  transactionRef: string | null;
  requester: string | null;
  why?: string;
}

/** Lists that come whole. */
export interface Items<T> {
  items: T[];
}

/** One rule of a rule set version, as the rules/*.yaml files and the API spell it. */
export interface Rule {
  id: string;
  description: string;
  condition: string;
  outcome: 'REJECT' | 'REVIEW';
  score?: number;
  enabled: boolean;
}

export type RuleSetName = 'outbound' | 'inbound';
export type VersionState = 'DRAFT' | 'PROPOSED' | 'ACTIVE' | 'RETIRED' | 'REJECTED';

/** A version without its rules and lists (`GET /api/rule-sets/{set}` lists these). */
export interface VersionSummary {
  ruleSet: RuleSetName;
  version: number;
  state: VersionState;
  description: string;
  author: string;
  createdAt: string;
  basedOn: number | null;
  copiedFrom: number | null;
  proposedBy: string | null;
  proposedAt: string | null;
  approver: string | null;
  approvedAt: string | null;
  rejectedBy: string | null;
  rejectedAt: string | null;
  rejectReason: string | null;
  retiredAt: string | null;
  ruleCount?: number;
  listCounts?: Record<string, number>;
}

export interface RuleSetVersion extends VersionSummary {
  rules: Rule[];
  lists: Record<string, string[]>;
}

export interface VersionDiff {
  description?: { before: string; after: string };
  rules: { added: Rule[]; removed: Rule[]; changed: { id: string; before: Rule; after: Rule }[] };
  lists: Record<string, { added: string[]; removed: string[]; addedCount: number; removedCount: number }>;
}

/** `GET /api/rule-sets/{set}/versions/{version}`. */
export interface VersionView extends RuleSetVersion {
  activeVersion: number | null;
  diff: VersionDiff;
}

/** `GET /api/rule-sets/{set}`. */
export interface RuleSetOverview {
  ruleSet: RuleSetName;
  active: RuleSetVersion | null;
  versions: VersionSummary[];
  /** Every fact a condition may read (the checker's own catalogue); lists are `lists.<name>` besides. */
  facts: string[];
  /** The outcomes a rule may give. */
  outcomes: Rule['outcome'][];
  /** The version running in shadow beside the active one, if any (older servers leave it out). */
  shadowVersion?: number | null;
}

export interface RuleSetHistoryEntry {
  entryId: string;
  at: string;
  actor: string;
  action: string;
  version: number;
  against: number | null;
  diff: VersionDiff;
  reason?: string;
}

/** What a new draft is made of: shaped like rules/*.yaml. */
export interface RuleSetBody {
  description: string;
  lists: Record<string, string[]>;
  rules: unknown[];
}

/** One problem `POST /api/rule-sets/{set}/check` finds: its rule (index), field and, in a condition, where. */
export interface RuleProblem {
  path: string;
  message: string;
  rule?: number;
  field: string;
  at?: number;
  end?: number;
}

/** `POST /api/rule-sets/{set}/check`: the save's check, without saving. */
export interface RuleCheckResult {
  valid: boolean;
  problems: RuleProblem[];
}

/** `POST /api/rule-sets/{set}/test`. */
export interface RuleTestResult {
  outcome: string;
  hits: { rule: string; description: string; outcome: string }[];
  errors: { rule: string; message: string }[];
  ruleSetVersion: string;
  facts: unknown;
}

/** One rule's figures over a window: `GET /api/rules/performance`. */
export interface RulePerformance {
  rule: string;
  hits: number;
  casesOpened: number;
  /** Cases this rule held that an analyst approved in the end: the rule's false alarms. */
  analystApproved: number;
  /** Cases this rule held that an analyst rejected: the rule was right. */
  analystRejected: number;
  /** analystRejected / (analystApproved + analystRejected); null before any analyst decided. */
  precision: number | null;
  medianTimeToDecisionSeconds: number | null;
  hitsPerDay: number;
  daily: { day: string; hits: number }[];
}

/** The case queue on one day: cases opened, closed, and open at the day's end. */
export interface QueueDay {
  day: string;
  opened: number;
  closed: number;
  open: number;
}

/** `GET /api/rules/performance?set&from&to`. */
export interface RulesPerformance {
  set: RuleSetName;
  from: string;
  to: string;
  /** Every day of the window, `YYYY-MM-DD`, in order. */
  days: string[];
  rules: RulePerformance[];
  queue: QueueDay[];
}

/** The outcomes a decision ends with, as a backtest counts them. */
export const BACKTEST_OUTCOMES = ['APPROVED', 'REJECTED', 'PENDING_EXTERNAL_APPROVAL'] as const;
export type BacktestOutcome = (typeof BACKTEST_OUTCOMES)[number];
export type OutcomeCounts = Record<BacktestOutcome, number>;
export type BacktestStatus = 'RUNNING' | 'DONE' | 'FAILED';

/** One backtest as `GET /api/rule-sets/{set}/backtests` lists it. */
export interface BacktestSummary {
  backtestId: string;
  ruleSet: RuleSetName;
  version: number;
  from: string;
  to: string;
  createdBy: string;
  createdAt: string;
  finishedAt?: string;
  status: BacktestStatus;
  processed: number;
  total: number;
  skipped: number;
}

/** A stored decision whose outcome the candidate version would change. */
export interface BacktestFlip {
  transactionId: string;
  createdAt: string;
  from: BacktestOutcome;
  to: BacktestOutcome;
  /** The candidate version's rules that hit it. */
  rules: string[];
  /** What an analyst decided on the recorded case, if one did. */
  analyst: 'APPROVED' | 'REJECTED' | null;
}

export interface BacktestResult {
  recorded: OutcomeCounts;
  candidate: OutcomeCounts;
  /** Against the analysts' decisions: how many the candidate agrees with, would let through, would reject. */
  vsAnalysts: { decided: number; agreed: number; letThrough: number; wouldReject: number };
  flips: BacktestFlip[];
  flipCount: number;
  perRule: { rule: string; hits: number; analystRejected: number; analystApproved: number }[];
}

/** `GET /api/backtests/{id}`. */
export interface Backtest extends BacktestSummary {
  result: BacktestResult;
}

/** `GET /api/rule-sets/{set}/versions/{version}/shadow-report?since`. */
export interface ShadowReport {
  ruleSet: RuleSetName;
  version: number;
  since: string;
  running: boolean;
  agreed: number;
  disagreed: number;
  disagreements: {
    transactionId: string;
    createdAt: string;
    live: string;
    shadow: string;
    liveHits: string[];
    shadowHits: string[];
  }[];
}
