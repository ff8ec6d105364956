import CircuitBreaker from 'opossum';
import type { ProviderOutcome, ProviderPort } from '#domain/providers/verdicts.js';

export interface GuardSettings {
  timeoutMs: number;
  /** Percentage of failures (over at least 5 calls) that opens the circuit. */
  errorThresholdPercentage: number;
  /** How long the circuit stays open before one trial call. */
  resetTimeoutMs: number;
}

/**
 * Wraps a provider so a screening always ends within its time budget: the call is aborted at the
 * budget (AbortSignal.timeout, raced too in case a client ignores the abort), and a circuit
 * breaker (opossum) stops calling a provider that keeps failing, answering at once until a trial
 * call succeeds.
 */
export const guardedScreening = (port: ProviderPort, settings: GuardSettings) => {
  const breaker = new CircuitBreaker(
    (input: Parameters<ProviderPort['screen']>[0], signal: AbortSignal) => port.screen(input, signal),
    {
      timeout: false, // the AbortSignal below is the timeout, so the request itself is cancelled
      errorThresholdPercentage: settings.errorThresholdPercentage,
      resetTimeout: settings.resetTimeoutMs,
      volumeThreshold: 5,
      rollingCountTimeout: 60_000,
    },
  );
  const screen = async (input: Parameters<ProviderPort['screen']>[0]): Promise<ProviderOutcome> => {
    const started = performance.now();
    const signal = AbortSignal.timeout(settings.timeoutMs);
    // The race answers at the budget even if the provider's client ignores the abort.
    const deadline = new Promise<never>((_, reject) => {
      const expire = () =>
        reject(Object.assign(new Error(`no answer within ${settings.timeoutMs} ms`), { timedOut: true }));
      signal.addEventListener('abort', expire, { once: true });
    });
    try {
      const verdict = await Promise.race([breaker.fire(input, signal), deadline]);
      return { kind: 'verdict', provider: port.name, verdict, latencyMs: performance.now() - started };
    } catch (error) {
      const err = error as Error & { code?: string; timedOut?: boolean };
      return {
        kind: 'failed',
        provider: port.name,
        error: err.message,
        timedOut: err.timedOut === true || signal.aborted,
        breakerOpen: err.code === 'EOPENBREAKER',
        latencyMs: performance.now() - started,
      };
    }
  };
  return { name: port.name, screen, breaker };
};
export type GuardedScreening = ReturnType<typeof guardedScreening>;
