import { ZodError } from 'zod';
import { decisionRepository } from '#adapters/decision-repository.js';
import { providerEventLedger } from '#adapters/provider-event-ledger.js';
import { FLAGRIGHT_STATUS } from '#adapters/providers/flagright.js';
import {
  checkFlagrightEventAge,
  checkFlagrightSignature,
  FLAGRIGHT_EVENT_POLICY,
  FlagrightWebhookEventSchema,
  flagrightEventKey,
  readFlagrightEvent,
} from '#domain/providers/flagright-webhook.js';
import type { ProviderPort } from '#domain/providers/verdicts.js';
import {
  applyProviderVerdict,
  checkSignature,
  mapWebhookStatus,
  ProviderWebhookSchema,
  SIGNATURE_HEADER,
  type VerdictOutcome,
} from '#domain/providers/webhook.js';
import { caseWorkflow, caseWorkflowConfig } from '#shared/case-workflow.js';
import { builtOnFirstCall, documentClientFor, functionConfig } from '#shared/cold-start.js';
import {
  type ConfigOf,
  casesConfig,
  configSchema,
  providerConfig,
  providerWebhookConfig,
  tablesConfig,
} from '#shared/config.js';
import {
  BadRequestError,
  ConflictError,
  NotConfiguredError,
  NotFoundError,
  UnauthorizedError,
} from '#shared/errors.js';
import { fieldProblems, type HttpEvent, httpHandler, json, parseJsonBody, secretsEqual } from '#shared/http.js';
import { logger } from '#shared/logger.js';
import { providerPortFor } from '#shared/provider.js';

const providerWebhookShape = {
  ...caseWorkflowConfig,
  ...tablesConfig('decisions', 'counters', 'history', 'deliveries'),
  ...providerConfig(),
  ...providerWebhookConfig(),
  ...casesConfig(),
};
export const ProviderWebhookConfigSchema = configSchema(providerWebhookShape);

export interface ProviderWebhookDeps {
  config: ConfigOf<typeof providerWebhookShape>;
  workflow: ReturnType<typeof caseWorkflow>;
  /** Replays of the generic format are refused by signature (remembered in the counters table). */
  decisions: Pick<ReturnType<typeof decisionRepository>, 'rememberOnce'>;
  /** Flagright's events by id, leased while one is applied. */
  ledger: ReturnType<typeof providerEventLedger>;
  /** The configured provider; webhooks name it. Absent with TM_PROVIDER=rules. */
  providerPort: ProviderPort | undefined;
}

/** POST /providers/{name}/webhook: a provider's asynchronous verdict on a pending payment. */
export const buildHandler = (deps: ProviderWebhookDeps) => {
  const { config, ledger } = deps;
  const verdictDeps = (whenUnresolvable: 'refuse' | 'record') => ({
    workflow: deps.workflow,
    fourEyesThreshold: config.FOUR_EYES_THRESHOLD,
    whenUnresolvable,
  });
  /** 200 applied (`result` is the history action) or already decided; 202 recorded, not applied. */
  const answer = (transactionId: string, outcome: VerdictOutcome) =>
    outcome.result === 'applied'
      ? json(200, { transactionId, result: outcome.action, status: outcome.status })
      : json(outcome.result === 'recorded' ? 202 : 200, { transactionId, ...outcome });

  /**
   * Flagright's own format (see domain/flagright-webhook.ts): its signature over the raw body, its
   * envelope, replays refused by event id and age. Anything Flagright could only retry for days (an
   * event type we do not act on, a payment without an open case) is acknowledged and logged.
   */
  const receiveFlagright = async (event: HttpEvent, raw: string) => {
    if (!config.FLAGRIGHT_WEBHOOK_SECRET) throw new NotConfiguredError('FLAGRIGHT_WEBHOOK_SECRET is not configured');
    const signature = checkFlagrightSignature(event.headers, raw, {
      secret: config.FLAGRIGHT_WEBHOOK_SECRET,
      equal: secretsEqual,
    });
    if (!signature.ok) throw new UnauthorizedError(signature.why);
    const envelope = parseJsonBody(raw, FlagrightWebhookEventSchema, 64 * 1024);
    const stale = checkFlagrightEventAge(envelope.createdTimestamp, Date.now());
    if (stale) throw new UnauthorizedError(stale);
    let reading: ReturnType<typeof readFlagrightEvent>;
    try {
      reading = readFlagrightEvent(envelope, FLAGRIGHT_STATUS);
    } catch (error) {
      if (!(error instanceof ZodError)) throw error;
      throw new BadRequestError('Invalid TransactionStatusDetails', 'VALIDATION_FAILED', fieldProblems(error));
    }
    if (reading.kind === 'unknown status') throw new ConflictError(`Unknown verdict ${reading.word}`);
    const { key, digest } = flagrightEventKey(envelope, raw);
    const claim = await ledger.claim(key, digest);
    const seen = { eventId: envelope.id, type: envelope.type };
    if (claim === 'duplicate') return json(200, { ...seen, result: 'duplicate' }); // Flagright's retry: nothing again
    if (claim === 'conflict') throw new ConflictError(`Event ${envelope.id} was already received with another body`);
    if (claim === 'in-progress') throw new ConflictError(`Event ${envelope.id} is being processed; retry later`);
    if (reading.kind === 'ignored') {
      await ledger.finish(key);
      logger.info('flagright event acknowledged, not applied', { ...seen, why: reading.why });
      return json(200, { ...seen, result: 'ignored', why: reading.why });
    }
    const verdict = {
      status: reading.status,
      reason: reading.reason,
      provider: 'flagright',
      mode: config.TM_PROVIDER_MODE,
    };
    let outcome: VerdictOutcome;
    try {
      outcome = await applyProviderVerdict(reading.transactionId, verdict, verdictDeps('record'));
    } catch (error) {
      // Nothing was stored: Flagright's retry may take the event at once.
      await ledger.release(key).catch((failure: unknown) => logger.warn('event claim not released', { key, failure }));
      throw error;
    }
    await ledger.finish(key);
    const logged = { ...seen, transactionId: reading.transactionId, ...outcome };
    // A verdict we did not apply, and Flagright will not send again: worth a warning.
    if (outcome.result === 'recorded') logger.warn('flagright verdict not applied', logged);
    else logger.info('flagright verdict', logged);
    return answer(reading.transactionId, outcome);
  };

  /** The generic format: `x-tm-proxy-signature` over `<t>.<body>`, replays refused by signature. */
  const receiveGeneric = async (event: HttpEvent, raw: string, name: string) => {
    if (!config.PROVIDER_WEBHOOK_SECRET) throw new NotConfiguredError('PROVIDER_WEBHOOK_SECRET is not configured');
    const check = checkSignature(event.headers[SIGNATURE_HEADER], raw, {
      secret: config.PROVIDER_WEBHOOK_SECRET,
      toleranceSeconds: config.PROVIDER_WEBHOOK_TOLERANCE_SECONDS,
      nowSeconds: Math.floor(Date.now() / 1000),
      equal: secretsEqual,
    });
    if (!check.ok) throw new UnauthorizedError(check.why);
    const ttl = config.PROVIDER_WEBHOOK_TOLERANCE_SECONDS * 2;
    if (!(await deps.decisions.rememberOnce(`provider-webhook#${check.signature}`, ttl))) {
      throw new ConflictError('This webhook was already received (replay refused)');
    }
    const body = parseJsonBody(raw, ProviderWebhookSchema, 64 * 1024);
    const status = mapWebhookStatus(body.status, config.HTTP_PROVIDER_CONFIG?.response.statusMap ?? {});
    if (!status) throw new ConflictError(`Unknown verdict ${body.status}`);
    const reason = body.reason ?? `${name} verdict ${body.status}${body.reference ? ` (${body.reference})` : ''}`;
    const verdict = { status, reason, provider: name, mode: config.TM_PROVIDER_MODE };
    const outcome = await applyProviderVerdict(body.transactionId, verdict, verdictDeps('refuse'));
    logger.info('provider verdict', { transactionId: body.transactionId, provider: name, ...outcome });
    return answer(body.transactionId, outcome);
  };

  return httpHandler({}, async ({ event, raw }) => {
    const name = event.pathParameters?.name;
    if (!deps.providerPort || name !== deps.providerPort.name) throw new NotFoundError(`No provider ${name}`);
    return config.TM_PROVIDER === 'flagright' ? receiveFlagright(event, raw) : receiveGeneric(event, raw, name);
  });
};

export const handler = builtOnFirstCall(async () => {
  const config = await functionConfig(ProviderWebhookConfigSchema);
  const documentClient = documentClientFor(config);
  return buildHandler({
    config,
    workflow: caseWorkflow(config, documentClient),
    decisions: decisionRepository(documentClient, {
      decisions: config.DECISIONS_TABLE,
      counters: config.COUNTERS_TABLE,
      history: config.HISTORY_TABLE,
      deliveries: config.DELIVERIES_TABLE,
    }),
    // The lease outlives the function's 10 s timeout (lib/routes.ts), so a live attempt is never taken over.
    ledger: providerEventLedger(documentClient, config.COUNTERS_TABLE, {
      rememberSeconds: FLAGRIGHT_EVENT_POLICY.rememberSeconds,
      leaseSeconds: 30,
    }),
    providerPort: providerPortFor(config),
  });
});
