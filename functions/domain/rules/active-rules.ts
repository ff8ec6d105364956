import type { RulesEngine } from './engine.js';
import { compileVersion, type RuleSetName, type RuleSetVersion } from './rule-set-versions.js';

/** Where a decision function gets the rules to decide with, each time it decides. */
export interface RuleSource {
  current(): Promise<RulesEngine>;
}

/** Always the same rules: tests and tools that give a function a rule set file. */
export const fixedRules = (engine: RulesEngine): RuleSource => ({ current: async () => engine });

export interface ActiveRulesDeps {
  ruleSet: RuleSetName;
  /** The set's pointer (one GetItem): which version is ACTIVE; undefined before version 1 is seeded. */
  pointer: () => Promise<{ activeVersion: number | null } | undefined>;
  version: (version: number) => Promise<RuleSetVersion | undefined>;
  /** The shipped file, compiled: what decides until the admin function or the local stack seeds version 1. */
  shipped: () => Promise<RulesEngine>;
  /** How long a looked-up answer is trusted before the pointer is read again (at most 60 s). */
  refreshMs: number;
  clock?: () => number;
  onRefreshError?: (error: unknown) => void;
}

/**
 * The ACTIVE version of a rule set, compiled once per version and cached. The first call loads it
 * (no storage is read at import: cold start stays as it was); later calls answer from the cache
 * and, once it is `refreshMs` old, start one pointer read in the background (stale while
 * revalidate), so a decision never waits on it: a newly approved version decides within
 * `refreshMs` plus one call, with no storage round trip per decision. A failed refresh keeps the
 * rules in hand and tries again after `refreshMs`; a failed first load fails the call (no
 * decision is made with rules that may be out of date).
 */
export const activeRules = (deps: ActiveRulesDeps): RuleSource & { refresh(): Promise<RulesEngine> } => {
  const clock = deps.clock ?? Date.now;
  let cached: { engine: RulesEngine; version: number | null; checkedAt: number } | undefined;
  let refreshing: Promise<RulesEngine> | undefined;

  const load = async (): Promise<RulesEngine> => {
    const checkedAt = clock();
    const pointer = await deps.pointer();
    const active = pointer?.activeVersion ?? null;
    if (cached && cached.version === active) {
      cached = { ...cached, checkedAt };
      return cached.engine;
    }
    let engine: RulesEngine;
    if (active === null) engine = await deps.shipped();
    else {
      const version = await deps.version(active);
      if (!version) throw new Error(`rule set ${deps.ruleSet}: the active version ${active} is not stored`);
      engine = compileVersion(version);
    }
    cached = { engine, version: active, checkedAt };
    return engine;
  };

  const refresh = () => {
    refreshing ??= load().finally(() => {
      refreshing = undefined;
    });
    return refreshing;
  };

  return {
    refresh,
    async current() {
      if (!cached) return refresh();
      if (clock() - cached.checkedAt >= deps.refreshMs && !refreshing) {
        const stale = cached;
        refresh().catch((error: unknown) => {
          // Keep deciding with the rules in hand; look again after refreshMs.
          if (cached === stale) cached = { ...stale, checkedAt: clock() };
          deps.onRefreshError?.(error);
        });
      }
      return cached.engine;
    },
  };
};
