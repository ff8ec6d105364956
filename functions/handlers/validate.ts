import { publishDeliveries } from '#domain/delivery-operations.js';
import { TransactionSchema } from '#domain/transaction.js';
import { validatePayment } from '#domain/validate-payment.js';
import { httpHandler, json, requireApiKey } from '#shared/http.js';
import { logger } from '#shared/logger.js';
import { tracer } from '#shared/tracer.js';
import { wiring } from '#shared/wiring.js';

const deps = await wiring();
const { config } = deps;

/** POST /transaction/validate: Toqio asks whether an outbound payment may go. */
export const handler = httpHandler(
  {
    body: TransactionSchema,
    maxBodyBytes: () => config.MAX_BODY_BYTES,
    use: [
      requireApiKey(
        () => config.TOQIO_API_KEY_HEADER,
        () => [config.TOQIO_API_KEY, config.TOQIO_API_KEY_PREVIOUS],
      ),
    ],
  },
  async ({ body, raw }) => {
    logger.appendKeys({ transactionId: body.id });
    tracer.putAnnotation('transactionId', body.id);
    const outcome = await validatePayment(body, raw, {
      store: deps.decisions,
      engine: deps.rules,
      budgetMs: config.VALIDATE_BUDGET_MS,
      failMode: config.FAIL_MODE,
      onApproved: (decision) => deps.approvedPaymentReports(decision.transaction, new Date(decision.decidedAt)),
      ...(deps.provider
        ? {
            provider: {
              name: deps.provider.name,
              mode: config.TM_PROVIDER_MODE,
              fallback: config.PROVIDER_FALLBACK,
              timeoutMs: config.PROVIDER_TIMEOUT_MS,
              screen: deps.provider.screen,
            },
          }
        : {}),
    });
    const providerOutcome = outcome.decision?.provider?.outcome;
    if (outcome.source === 'decided' && providerOutcome?.kind === 'failed' && providerOutcome.timedOut) {
      // Toqio was answered with the fallback; the provider's real answer is fetched in the background.
      await deps.providerChecks
        .send({ transactionId: body.id })
        .catch((error: Error) => logger.warn('late provider check not enqueued', { error }));
    }
    await publishDeliveries(outcome.deliveries ?? [], deps.deliveryQueue, deps.logPublishError);
    if (outcome.source === 'degraded') {
      // The full decision is logged so nothing is lost while storage is down.
      logger.error('storage unavailable; answered fail mode', {
        outcome,
        payload: body,
        error: outcome.error as Error,
      });
    } else {
      logger.info('validated', { status: outcome.answer.status, source: outcome.source, timings: outcome.timings });
    }
    const t = outcome.timings;
    const timing = `rules;dur=${t.rulesMs.toFixed(2)}, storage;dur=${t.storageMs.toFixed(2)}, total;dur=${t.totalMs.toFixed(2)}`;
    return json(200, outcome.answer, { 'server-timing': timing });
  },
);
