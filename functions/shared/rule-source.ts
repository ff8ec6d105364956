import type { ruleSetRepository } from '#adapters/rule-set-repository.js';
import { activeRules } from '#domain/rules/active-rules.js';
import type { RuleSetName } from '#domain/rules/requests.js';
import { logger } from './logger.js';
import { loadRulesEngine } from './rules-loader.js';

/**
 * A decision function's rules: the ACTIVE version of its set from the rule sets table, cached and
 * looked up again every `refreshSeconds`; the shipped file until version 1 is seeded.
 */
export const activeRulesFrom = (
  repository: ReturnType<typeof ruleSetRepository>,
  ruleSet: RuleSetName,
  settings: { file: string; refreshSeconds: number },
) =>
  activeRules({
    ruleSet,
    pointer: () => repository.pointer(ruleSet),
    version: (version) => repository.version(ruleSet, version),
    shipped: () => loadRulesEngine(settings.file),
    refreshMs: settings.refreshSeconds * 1000,
    onRefreshError: (error) =>
      logger.warn('active rule set not refreshed; deciding with the rules in hand', { ruleSet, error: error as Error }),
  });
