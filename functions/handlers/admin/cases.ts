import { checkCursor, refusedInputAsBadRequest } from '#adapters/listing-input.js';
import { CaseQuerySchema, toWorkflowFilter } from '#domain/cases/queries.js';
import {
  type Actor,
  type CaseFilter,
  CaseNotFoundError,
  type CaseRecord,
  DecisionRequestSchema,
  NoteRequestSchema,
  planClaim,
  planDecision,
  planRelease,
  slaView,
} from '#domain/cases/transitions.js';
import { addNote, changeCase } from '#domain/cases/workflow.js';
import type { AdminOperations, AdminRequest } from '#shared/admin-router.js';
import { slaWarningMs } from '#shared/config.js';
import { json, parseJsonBody } from '#shared/http.js';
import { logger } from '#shared/logger.js';
import type { AdminDeps } from './deps.js';
import { parseQuery } from './query.js';

type CaseOperations = Pick<
  AdminOperations,
  'listCases' | 'getCase' | 'claimCase' | 'releaseCase' | 'addCaseNote' | 'decideCase'
>;

const caseStatus = (record: CaseRecord): CaseFilter =>
  record.status === 'PENDING_EXTERNAL_APPROVAL'
    ? record.reviewStage === 'SECOND'
      ? 'AWAITING_SECOND_APPROVAL'
      : record.reviewStage === 'ESCALATED'
        ? 'ESCALATED'
        : 'PENDING'
    : (record.status as CaseFilter);

/** The analysts' side of cases: the queue, a case's full picture, and the actions on it. */
export const caseOperations = (deps: AdminDeps): CaseOperations => {
  const { config } = deps;
  const workflow = deps.caseWorkflow;
  const actor = ({ principal }: AdminRequest): Actor => ({ name: principal.name, role: principal.role });

  /** A case as the API shows it: its state, the four-eyes state and where it stands on the SLA. */
  const summary = (record: CaseRecord, now = new Date()) => ({
    transactionId: record.transactionId,
    caseStatus: caseStatus(record),
    status: record.status,
    reviewStage: record.reviewStage,
    version: record.version,
    createdAt: record.createdAt,
    customer: record.customer,
    baseAmount: record.baseAmount,
    currency: record.currency ?? null,
    reasons: record.reasons,
    claimedBy: record.claimedBy ?? null,
    claimedAt: record.claimedAt ?? null,
    fourEyes: record.baseAmount >= config.FOUR_EYES_THRESHOLD,
    firstDecision: record.firstDecision ?? null,
    secondDecision: record.secondDecision ?? null,
    slaEscalatedAt: record.slaEscalatedAt ?? null,
    decidedAt: record.decidedAt ?? null,
    decidedBy: record.decidedBy ?? null,
    finalReason: record.finalReason ?? null,
    sla: record.reviewStage === 'FINAL' ? null : slaView(record, now, config.PENDING_SLA, slaWarningMs(config)),
  });

  const fullCase = async (transactionId: string) => {
    const item = await deps.cases.getFull(transactionId);
    const record = await deps.cases.get(transactionId);
    if (!item || !record) throw new CaseNotFoundError(`No case ${transactionId}`);
    const [history, deliveries, customerHistory] = await Promise.all([
      deps.cases.history(transactionId),
      // The ones validate wrote are found by the ids the decision keeps (outside the subject index).
      deps.deliveries.listAbout(transactionId, Array.isArray(item.deliveryIds) ? item.deliveryIds.map(String) : []),
      deps.cases.recentForCustomer(record.customer, 11),
    ]);
    return {
      ...summary(record),
      transaction: item.transaction,
      facts: item.facts,
      hits: item.hits,
      ruleErrors: item.ruleErrors,
      ruleSetVersion: item.ruleSetVersion,
      payload: JSON.parse(String(item.rawJson ?? '{}')),
      customerHistory: customerHistory.filter((entry) => entry.transactionId !== transactionId).slice(0, 10),
      notes: history
        .filter((entry) => entry.action === 'NOTED')
        .map((entry) => ({ at: entry.at, by: entry.actor, text: entry.details?.text })),
      history,
      deliveries,
    };
  };

  const act = async (request: AdminRequest, plan: Parameters<typeof changeCase>[1], status = 200) => {
    const transactionId = String(request.params.transactionId);
    await changeCase(transactionId, plan, workflow);
    return json(status, await fullCase(transactionId));
  };

  return {
    listCases: async ({ query }) => {
      const parsed = parseQuery(CaseQuerySchema, query);
      const now = new Date();
      const filter = toWorkflowFilter(parsed, now);
      checkCursor(parsed.cursor, ['transactionId', 'caseStatus', 'createdAt'], { caseStatus: filter.indexStatus });
      const page = await refusedInputAsBadRequest(() => deps.cases.listCases(filter, parsed.limit, parsed.cursor));
      return json(200, { items: page.items.map((record) => summary(record, now)), nextCursor: page.nextCursor });
    },
    getCase: async ({ params }) => json(200, await fullCase(String(params.transactionId))),
    claimCase: (request) => act(request, (record, now) => planClaim(record, actor(request), now)),
    releaseCase: (request) => act(request, (record, now) => planRelease(record, actor(request), now)),
    addCaseNote: async (request) => {
      const { text } = parseJsonBody(request.raw, NoteRequestSchema, 16 * 1024);
      await addNote(String(request.params.transactionId), text, actor(request), workflow);
      return json(201, await fullCase(String(request.params.transactionId)));
    },
    decideCase: async (request) => {
      const decision = parseJsonBody(request.raw, DecisionRequestSchema, 16 * 1024);
      const transactionId = String(request.params.transactionId);
      const { change } = await changeCase(
        transactionId,
        (record, now) =>
          planDecision(record, decision, actor(request), { now, fourEyesThreshold: config.FOUR_EYES_THRESHOLD }),
        workflow,
      );
      logger.info('case decided', { transactionId, by: request.principal.name, action: change.history.action });
      // 202: recorded, but waiting for the second person; 200: final, Toqio is being told.
      return json(change.final ? 200 : 202, await fullCase(transactionId));
    },
  };
};
