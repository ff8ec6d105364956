import { httpHandler, json } from '#shared/http.js';
import { wiring } from '#shared/wiring.js';

const deps = await wiring();

/** GET /health: the function is up, the rules compiled and the decisions table answers. */
export const handler = httpHandler({}, async () => {
  const started = performance.now();
  try {
    await deps.decisions.findAnswer('__health__', AbortSignal.timeout(1000));
    const storageMs = Math.round(performance.now() - started);
    return json(200, {
      status: 'ok',
      ruleSetVersion: deps.rules.version,
      storage: { status: 'ok', latencyMs: storageMs },
    });
  } catch {
    return json(503, { status: 'degraded', ruleSetVersion: deps.rules.version, storage: { status: 'unavailable' } });
  }
});
