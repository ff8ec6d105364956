import { token } from '../session.js';
import type {
  AccountMapping,
  AccountMappingInput,
  Backtest,
  BacktestSummary,
  CaseDetail,
  CasePage,
  Delivery,
  DeliveryPage,
  FinalStatus,
  Items,
  MappingChangeApproved,
  MappingSaved,
  Principal,
  RetriedDeliveries,
  RuleCheckResult,
  RuleSetBody,
  RuleSetHistoryEntry,
  RuleSetName,
  RuleSetOverview,
  RulesPerformance,
  RuleTestResult,
  ShadowReport,
  VersionView,
  WaitingNotification,
} from './types.js';

/** The admin API refused: its status and the `{ error: { code, message, fields } }` it sent. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: { path: string; message: string }[] = [],
  ) {
    super(message);
  }
}

interface ErrorBody {
  error?: { code?: string; message?: string; fields?: { path: string; message: string }[] };
}

/**
 * One call to the admin API with the session's token. The answer is typed by the caller (the
 * functions below), not checked: the server validated it, and the UI writes everything as text.
 */
const call = async <T>(
  path: string,
  init: { method?: 'GET' | 'POST' | 'PUT' | 'DELETE'; body?: unknown } = {},
): Promise<T> => {
  const response = await fetch(path, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${token() ?? ''}`, 'content-type': 'application/json' },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const body: unknown = await response.json().catch(() => ({}));
  if (!response.ok) {
    const { error } = body as ErrorBody;
    throw new ApiError(response.status, error?.code ?? 'ERROR', error?.message ?? response.statusText, error?.fields);
  }
  return body as T;
};

const post = <T>(path: string, body: unknown = {}) => call<T>(path, { method: 'POST', body });
const segment = encodeURIComponent;

/** Every admin API call the UI makes, typed by what the server answers. */
export const api = {
  whoAmI: () => call<Principal>('/api/me'),

  listCases: (query: URLSearchParams) => call<CasePage>(`/api/cases?${query}`),
  getCase: (transactionId: string) => call<CaseDetail>(`/api/cases/${segment(transactionId)}`),
  claimCase: (transactionId: string) => post<CaseDetail>(`/api/cases/${segment(transactionId)}/claim`),
  releaseCase: (transactionId: string) => post<CaseDetail>(`/api/cases/${segment(transactionId)}/release`),
  addCaseNote: (transactionId: string, text: string) =>
    post<CaseDetail>(`/api/cases/${segment(transactionId)}/notes`, { text }),
  /** 200 when final, 202 when it waits for another person: both answer the case as it now stands. */
  decideCase: (transactionId: string, status: FinalStatus, reason: string) =>
    post<CaseDetail>(`/api/cases/${segment(transactionId)}/decision`, { status, reason }),

  listDeadDeliveries: () => call<DeliveryPage>('/api/deliveries?status=DEAD'),
  retryDelivery: (deliveryId: string) => post<Delivery>(`/api/deliveries/${segment(deliveryId)}/retry`),
  retryDeadSince: (since: Date) =>
    post<RetriedDeliveries>('/api/deliveries/retry-dead', { since: since.toISOString() }),

  listAccountMappings: () => call<Items<AccountMapping>>('/api/account-mappings'),
  saveAccountMapping: (accountNumber: string, mapping: AccountMappingInput) =>
    call<MappingSaved>(`/api/account-mappings/${segment(accountNumber)}`, { method: 'PUT', body: mapping }),
  approveMappingChange: (accountNumber: string) =>
    call<MappingChangeApproved>(`/api/account-mappings/${segment(accountNumber)}/approve`, { method: 'POST' }),
  listWaitingNotifications: () => call<Items<WaitingNotification>>('/api/onepipe/unmatched'),

  getRuleSet: (set: RuleSetName) => call<RuleSetOverview>(`/api/rule-sets/${set}`),
  getRuleSetVersion: (set: RuleSetName, version: number) =>
    call<VersionView>(`/api/rule-sets/${set}/versions/${version}`),
  ruleSetHistory: (set: RuleSetName) => call<Items<RuleSetHistoryEntry>>(`/api/rule-sets/${set}/history`),
  createDraft: (set: RuleSetName, body: RuleSetBody) =>
    post<{ version: number; state: string }>(`/api/rule-sets/${set}/versions`, body),
  proposeVersion: (set: RuleSetName, version: number) =>
    post<VersionView>(`/api/rule-sets/${set}/versions/${version}/propose`),
  approveVersion: (set: RuleSetName, version: number) =>
    post<VersionView>(`/api/rule-sets/${set}/versions/${version}/approve`),
  rejectVersion: (set: RuleSetName, version: number, reason: string) =>
    post<VersionView>(`/api/rule-sets/${set}/versions/${version}/reject`, { reason }),
  rollbackTo: (set: RuleSetName, version: number) =>
    post<{ version: number; state: string }>(`/api/rule-sets/${set}/versions/${version}/rollback`),
  /** The save's check without saving; lists may be sent by name only (empty entries). */
  checkRules: (set: RuleSetName, body: Pick<RuleSetBody, 'rules' | 'lists'>) =>
    post<RuleCheckResult>(`/api/rule-sets/${set}/check`, body),
  testRules: (set: RuleSetName, body: Record<string, unknown>) =>
    post<RuleTestResult>(`/api/rule-sets/${set}/test`, body),

  /** Hits, cases, analysts' decisions and the queue per day over a window (ISO days or times). */
  rulePerformance: (set: RuleSetName, from: string, to: string) =>
    call<RulesPerformance>(`/api/rules/performance?${new URLSearchParams({ set, from, to })}`),
  /** Replays the window's stored decisions through a version: 202 with the backtest's id, which runs on. */
  startBacktest: (set: RuleSetName, version: number, from: string, to: string) =>
    post<{ backtestId: string }>(`/api/rule-sets/${set}/versions/${version}/backtests`, { from, to }),
  listBacktests: (set: RuleSetName) => call<{ backtests: BacktestSummary[] }>(`/api/rule-sets/${set}/backtests`),
  getBacktest: (backtestId: string) => call<Backtest>(`/api/backtests/${segment(backtestId)}`),
  /** Supervisors: run a version beside the active one on live traffic, deciding nothing. */
  startShadow: (set: RuleSetName, version: number) => post<unknown>(`/api/rule-sets/${set}/versions/${version}/shadow`),
  stopShadow: (set: RuleSetName, version: number) =>
    call<unknown>(`/api/rule-sets/${set}/versions/${version}/shadow`, { method: 'DELETE' }),
  shadowReport: (set: RuleSetName, version: number, since?: string) =>
    call<ShadowReport>(
      `/api/rule-sets/${set}/versions/${version}/shadow-report${since ? `?${new URLSearchParams({ since })}` : ''}`,
    ),
};
