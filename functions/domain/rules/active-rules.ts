import type { RulesEngine } from './engine.js';
import type { RuleSetName } from './requests.js';
import { compileVersion, type RuleSetVersion } from './rule-set-versions.js';

/** A version evaluated beside the active one on every decision, compiled (see ShadowRun). */
export interface ShadowEngine {
  version: number;
  engine: RulesEngine;
}

/** Where a decision function gets the rules to decide with, each time it decides. */
export interface RuleSource {
  current(): Promise<RulesEngine>;
  /**
   * The shadowed version as of the last lookup of the pointer (no read of its own): call after
   * `current()`. Undefined when none is shadowed, or when it is the active one.
   */
  shadow?(): ShadowEngine | undefined;
}

/** Always the same rules: tests and tools that give a function a rule set file. */
export const fixedRules = (engine: RulesEngine): RuleSource => ({ current: async () => engine });

export interface ActiveRulesDeps {
  ruleSet: RuleSetName;
  /** The set's pointer (one GetItem): which version is ACTIVE, which is shadowed; undefined before version 1 is seeded. */
  pointer: () => Promise<{ activeVersion: number | null; shadow?: { version: number } | undefined } | undefined>;
  version: (version: number) => Promise<RuleSetVersion | undefined>;
  /** The shipped file, compiled: what decides until the admin function or the local stack seeds version 1. */
  shipped: () => Promise<RulesEngine>;
  /** How long a looked-up answer is trusted before the pointer is read again (at most 60 s). */
  refreshMs: number;
  /** How long a call waits for a due lookup before deciding with the rules in hand (slow storage); default 250 ms. */
  maxWaitMs?: number;
  clock?: () => number;
  onRefreshError?: (error: unknown) => void;
}

/**
 * The ACTIVE version of a rule set, compiled once per version and cached. Nothing is read at
 * import (cold start stays as it was): the first call loads it. After that a call answers from
 * the cache while it is younger than `refreshMs`; from half that age the set's pointer (one
 * GetItem) is read again in the background, so under steady traffic no decision waits on it; a
 * call that finds the cache `refreshMs` old (sparse traffic) waits for the lookup, at most
 * `maxWaitMs`. So a newly approved version decides within `refreshMs` of its approval, with one
 * small read per interval and none per decision; a new version is read and compiled only when
 * the pointer moved. A failed lookup keeps the rules in hand and tries again after `refreshMs`;
 * a failed first load fails the call (no decision is made with rules that may be out of date).
 * The same pointer names the shadowed version, if any (`shadow()`), compiled once per version.
 */
export const activeRules = (
  deps: ActiveRulesDeps,
): RuleSource & { refresh(): Promise<RulesEngine>; shadow(): ShadowEngine | undefined } => {
  const clock = deps.clock ?? Date.now;
  let cached: { engine: RulesEngine; version: number | null; checkedAt: number } | undefined;
  let shadow: ShadowEngine | undefined;
  let refreshing: Promise<RulesEngine> | undefined;

  /**
   * The shadowed version, compiled once. One that cannot be read or compiled is left out (and
   * reported): a shadow never stands in the way of a live decision.
   */
  const loadShadow = async (wanted: number | undefined, active: number | null) => {
    if (wanted === undefined || wanted === active) {
      shadow = undefined;
      return;
    }
    if (shadow?.version === wanted) return;
    try {
      const version = await deps.version(wanted);
      if (!version) throw new Error(`rule set ${deps.ruleSet}: the shadowed version ${wanted} is not stored`);
      shadow = { version: wanted, engine: compileVersion(version) };
    } catch (error) {
      shadow = undefined;
      deps.onRefreshError?.(error);
    }
  };

  const load = async (): Promise<RulesEngine> => {
    const checkedAt = clock();
    const pointer = await deps.pointer();
    const active = pointer?.activeVersion ?? null;
    await loadShadow(pointer?.shadow?.version, active);
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

  /** One lookup at a time; a failed one leaves the rules in hand, to be looked up again after refreshMs. */
  const refresh = () => {
    refreshing ??= load()
      .catch((error: unknown) => {
        if (!cached) throw error;
        cached = { ...cached, checkedAt: clock() };
        deps.onRefreshError?.(error);
        return cached.engine;
      })
      .finally(() => {
        refreshing = undefined;
      });
    return refreshing;
  };

  return {
    refresh,
    shadow: () => shadow,
    async current() {
      if (!cached) return refresh();
      const age = clock() - cached.checkedAt;
      if (age >= deps.refreshMs) {
        const stale = cached.engine;
        let timer: ReturnType<typeof setTimeout> | undefined;
        const waited = new Promise<RulesEngine>((resolve) => {
          timer = setTimeout(() => resolve(stale), deps.maxWaitMs ?? 250);
        });
        return Promise.race([refresh(), waited]).finally(() => clearTimeout(timer));
      }
      if (age >= deps.refreshMs / 2) void refresh();
      return cached.engine;
    },
  };
};
