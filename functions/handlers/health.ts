import { storageProbe } from '#adapters/storage-probe.js';
import { builtOnFirstCall, documentClientFor, functionConfig } from '#shared/cold-start.js';
import { configSchema, ruleSetVersionConfig, tablesConfig } from '#shared/config.js';
import { httpHandler, json } from '#shared/http.js';

export const HealthConfigSchema = configSchema(tablesConfig('decisions'), ruleSetVersionConfig());

export interface HealthDeps {
  storage: ReturnType<typeof storageProbe>;
  /** The version of the rule set deployed with validate (set by the stack; health compiles no rules). */
  ruleSetVersion: string;
}

/** GET /health: the function is up, the rule set is known and the decisions table answers. */
export const buildHandler = (deps: HealthDeps) =>
  httpHandler({}, async () => {
    const started = performance.now();
    try {
      await deps.storage.ping(AbortSignal.timeout(1000));
      const storageMs = Math.round(performance.now() - started);
      return json(200, {
        status: 'ok',
        ruleSetVersion: deps.ruleSetVersion,
        storage: { status: 'ok', latencyMs: storageMs },
      });
    } catch {
      return json(503, { status: 'degraded', ruleSetVersion: deps.ruleSetVersion, storage: { status: 'unavailable' } });
    }
  });

export const handler = builtOnFirstCall(async () => {
  const config = await functionConfig(HealthConfigSchema);
  return buildHandler({
    storage: storageProbe(documentClientFor(config), config.DECISIONS_TABLE),
    ruleSetVersion: config.RULE_SET_VERSION,
  });
});
