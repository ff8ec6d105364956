import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import {
  BACKTEST_SEGMENTS,
  BACKTESTABLE_SETS,
  BacktestRequestSchema,
  type BacktestSummary,
  backtestView,
  firstPages,
  INBOUND_NOT_BACKTESTABLE,
  stalled,
  summaryView,
} from '#domain/rules/backtest.js';
import { RuleSetNameSchema } from '#domain/rules/requests.js';
import { RuleSetNotFoundError } from '#domain/rules/rule-set-versions.js';
import { ConflictError, NotFoundError } from '#domain/shared/errors.js';
import type { AdminOperations, AdminRequest } from '#shared/admin-router.js';
import { BadRequestError } from '#shared/errors.js';
import { json, parseJsonBody } from '#shared/http.js';
import { logger } from '#shared/logger.js';
import type { RuleDeps } from './deps.js';

type BacktestOperations = Pick<AdminOperations, 'startBacktest' | 'getBacktest' | 'listBacktests'>;

class BacktestNotFoundError extends NotFoundError {}
class TooManyBacktestsError extends ConflictError {}

/**
 * Backtests of one set running at once: each reads the whole decisions table, so one analyst
 * cannot start them without limit (a finished, failed or stalled one frees its place).
 */
export const MAX_RUNNING_BACKTESTS = 3;

/** The set a backtest may run on: an unknown set is a 404, the inbound set a 400 saying why. */
const backtestableSet = ({ params }: AdminRequest) => {
  const parsed = RuleSetNameSchema.safeParse(params.set);
  if (!parsed.success) throw new RuleSetNotFoundError(`No rule set ${params.set}; there are outbound and inbound`);
  const set = parsed.data;
  if (!(BACKTESTABLE_SETS as readonly string[]).includes(set)) {
    throw new BadRequestError(INBOUND_NOT_BACKTESTABLE, 'NOT_BACKTESTABLE');
  }
  return set as (typeof BACKTESTABLE_SETS)[number];
};

/** Backtests: started by any analyst, run by the backtest worker, read back while and after they run. */
/**
 * A RUNNING backtest that recorded no page for BACKTEST_STALL_MS is marked FAILED when it is read
 * (conditioned on it still being RUNNING), so nobody waits on one that will never end.
 */
const failedIfStalled = async (deps: RuleDeps, summary: BacktestSummary): Promise<BacktestSummary> => {
  const now = new Date();
  const why = stalled(summary, now);
  if (!why) return summary;
  if (await deps.backtests.fail(summary.backtestId, why, now)) {
    logger.warn('backtest stalled; marked FAILED', { backtestId: summary.backtestId, why });
    return { ...summary, status: 'FAILED', error: why, finishedAt: now.toISOString() };
  }
  return (await deps.backtests.getSummary(summary.backtestId)) ?? summary;
};

export const backtestOperations = (deps: RuleDeps): BacktestOperations => ({
  startBacktest: async (request) => {
    const ruleSet = backtestableSet(request);
    const number = Number(request.params.version);
    if (!Number.isSafeInteger(number) || number < 1) {
      throw new BadRequestError('version must be a positive whole number', 'INVALID_PATH');
    }
    const window = parseJsonBody(request.raw, BacktestRequestSchema, 16 * 1024);
    // Any state may be backtested, a DRAFT included; an unknown version is a 404.
    const version = await deps.ruleSets.view(ruleSet, number);
    const running = (
      await Promise.all((await deps.backtests.list(ruleSet)).map((summary) => failedIfStalled(deps, summary)))
    ).filter((summary) => summary.status === 'RUNNING');
    if (running.length >= MAX_RUNNING_BACKTESTS) {
      throw new TooManyBacktestsError(
        `${running.length} backtests of ${ruleSet} are running (at most ${MAX_RUNNING_BACKTESTS} at once: each reads every stored decision); start this one when one of them has finished`,
      );
    }
    const backtestId = randomUUID();
    await deps.backtests.create({
      backtestId,
      ruleSet,
      version: number,
      ...window,
      createdBy: request.principal.name,
      createdAt: new Date().toISOString(),
      status: 'RUNNING',
      segments: BACKTEST_SEGMENTS,
      rules: version.rules.map((rule) => rule.id),
    });
    try {
      await deps.backtestPages.send(firstPages(backtestId));
    } catch (error) {
      // Nothing will run it: say so on the backtest rather than leave it RUNNING for ever.
      await deps.backtests.fail(backtestId, `its pages could not be queued: ${(error as Error).message}`, new Date());
      throw error;
    }
    logger.info('backtest started', { backtestId, ruleSet, version: number, ...window, by: request.principal.name });
    return json(202, { backtestId });
  },

  getBacktest: async ({ params }) => {
    const id = z.uuid().safeParse(params.backtestId);
    const summary = id.success ? await deps.backtests.getSummary(id.data) : undefined;
    if (!summary) throw new BacktestNotFoundError(`No backtest ${params.backtestId}`);
    const current = await failedIfStalled(deps, summary);
    return json(200, backtestView(current, await deps.backtests.pages(current.backtestId)));
  },

  listBacktests: async (request) => {
    const ruleSet = backtestableSet(request);
    const summaries = await Promise.all(
      (await deps.backtests.list(ruleSet)).map((summary) => failedIfStalled(deps, summary)),
    );
    return json(200, { backtests: summaries.map(summaryView) });
  },
});
