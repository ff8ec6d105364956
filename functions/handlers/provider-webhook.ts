import { FLAGRIGHT_STATUS } from '#adapters/providers/flagright.js';
import { changeCase } from '#domain/case-workflow.js';
import { CaseConflictError, planProviderVerdict } from '#domain/cases.js';
import { checkSignature, mapWebhookStatus, ProviderWebhookSchema, SIGNATURE_HEADER } from '#domain/provider-webhook.js';
import { ConflictError, NotConfiguredError, NotFoundError, UnauthorizedError } from '#shared/errors.js';
import { httpHandler, json, parseJsonBody, secretsEqual } from '#shared/http.js';
import { logger } from '#shared/logger.js';
import { wiring } from '#shared/wiring.js';

const deps = await wiring();
const { config } = deps;
const vocabulary =
  config.TM_PROVIDER === 'flagright' ? FLAGRIGHT_STATUS : (config.HTTP_PROVIDER_CONFIG?.response.statusMap ?? {});

/** POST /providers/{name}/webhook: a provider's asynchronous verdict on a pending payment. */
export const handler = httpHandler({}, async ({ event, raw }) => {
  const name = event.pathParameters?.name;
  if (!deps.providerPort || name !== deps.providerPort.name) throw new NotFoundError(`No provider ${name}`);
  if (!config.PROVIDER_WEBHOOK_SECRET) throw new NotConfiguredError('PROVIDER_WEBHOOK_SECRET is not configured');
  const check = checkSignature(event.headers[SIGNATURE_HEADER], raw, {
    secret: config.PROVIDER_WEBHOOK_SECRET,
    toleranceSeconds: config.PROVIDER_WEBHOOK_TOLERANCE_SECONDS,
    nowSeconds: Math.floor(Date.now() / 1000),
    equal: secretsEqual,
  });
  if (!check.ok) throw new UnauthorizedError(check.why);
  if (
    !(await deps.decisions.rememberOnce(
      `provider-webhook#${check.signature}`,
      config.PROVIDER_WEBHOOK_TOLERANCE_SECONDS * 2,
    ))
  ) {
    throw new ConflictError('This webhook was already received (replay refused)');
  }
  const body = parseJsonBody(raw, ProviderWebhookSchema, 64 * 1024);
  const status = mapWebhookStatus(body.status, vocabulary);
  if (!status) throw new ConflictError(`Unknown verdict ${body.status}`);
  const reason = body.reason ?? `${name} verdict ${body.status}${body.reference ? ` (${body.reference})` : ''}`;
  const current = await deps.cases.get(body.transactionId);
  if (!current) throw new NotFoundError(`No case ${body.transactionId}`);
  if (current.reviewStage === 'FINAL') {
    // Idempotent: the same verdict again changes nothing; a different one on a closed case is a conflict.
    if (current.status === status)
      return json(200, { transactionId: body.transactionId, result: 'already decided', status });
    throw new CaseConflictError(`Case ${body.transactionId} is already ${current.status}`);
  }
  // A provider is not a person: never a supervisor, never one of the four eyes (see planProviderVerdict).
  const verdict = { status, reason, provider: name, mode: config.TM_PROVIDER_MODE };
  const options = () => ({ now: new Date(), fourEyesThreshold: config.FOUR_EYES_THRESHOLD });
  const plan = planProviderVerdict(current, verdict, options());
  if (plan.kind === 'record') {
    await deps.cases.appendHistory(plan.entry);
    logger.info('provider verdict recorded, not applied', { transactionId: body.transactionId, why: plan.why });
    return json(202, { transactionId: body.transactionId, result: 'recorded', why: plan.why });
  }
  const { change } = await changeCase(
    body.transactionId,
    (record, now) => {
      const again = planProviderVerdict(record, verdict, { ...options(), now });
      if (again.kind !== 'change') throw new CaseConflictError(`Case ${body.transactionId} changed meanwhile`);
      return again.change;
    },
    deps.caseWorkflow,
  );
  logger.info('provider verdict applied', {
    transactionId: body.transactionId,
    provider: name,
    action: change.history.action,
  });
  return json(200, {
    transactionId: body.transactionId,
    result: change.history.action,
    status: change.final?.status ?? 'PENDING_EXTERNAL_APPROVAL',
  });
});
