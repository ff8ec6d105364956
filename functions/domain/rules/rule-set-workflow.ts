import { RuleSetSchema } from './engine.js';
import type { RuleSetName } from './requests.js';
import {
  checkRollbackSource,
  checkRuleSetBody,
  checkShadowable,
  compileVersion,
  diffVersions,
  historyEntry,
  newVersion,
  planApprove,
  planPropose,
  planReject,
  type RuleSetHistoryEntry,
  RuleSetNotFoundError,
  type RuleSetVersion,
  type ShadowRun,
  type VersionState,
  type VersionSummary,
} from './rule-set-versions.js';

/** Storage of rule set versions (adapters/rule-set-repository.ts). */
export interface RuleSetStore {
  pointer(
    ruleSet: RuleSetName,
    consistent?: boolean,
  ): Promise<{ latestVersion: number; activeVersion: number | null; shadow?: ShadowRun | undefined } | undefined>;
  seed(version: RuleSetVersion, history: RuleSetHistoryEntry): Promise<boolean>;
  version(ruleSet: RuleSetName, version: number): Promise<RuleSetVersion | undefined>;
  versions(ruleSet: RuleSetName): Promise<VersionSummary[]>;
  history(ruleSet: RuleSetName): Promise<Record<string, unknown>[]>;
  create(version: Omit<RuleSetVersion, 'version'>, history: (version: number) => RuleSetHistoryEntry): Promise<number>;
  changeState(
    ruleSet: RuleSetName,
    version: number,
    expected: VersionState,
    changes: Record<string, unknown>,
    history: RuleSetHistoryEntry,
  ): Promise<void>;
  /** `endShadow`: the version is the set's shadow; going live ends its shadow run (the pointer's `shadow` is removed). */
  activate(
    ruleSet: RuleSetName,
    version: number,
    previous: number | null,
    changes: Record<string, unknown>,
    history: RuleSetHistoryEntry,
    options?: { endShadow?: boolean },
  ): Promise<void>;
  startShadow(
    ruleSet: RuleSetName,
    run: ShadowRun,
    expected: VersionState,
    history: RuleSetHistoryEntry,
  ): Promise<void>;
  stopShadow(ruleSet: RuleSetName, version: number, history: RuleSetHistoryEntry): Promise<void>;
  /** Every rule id of every stored version, sorted. */
  ruleIds(ruleSet: RuleSetName): Promise<string[]>;
}

export interface RuleSetWorkflowDeps {
  store: RuleSetStore;
  /** The shipped rule set file of each set (rules/default.yaml, rules/inbound.yaml), parsed: version 1 on a first start. */
  shipped: (ruleSet: RuleSetName) => Promise<unknown>;
  now?: () => Date;
}

/** The author and approver of a seeded version 1: the shipped file, reviewed and deployed like code. */
export const SEED_ACTOR = 'system (shipped rules file)';

/**
 * Puts the shipped file as version 1 ACTIVE when the set has no version yet (a conditional
 * transaction: any number of callers at once seed it exactly once). Returns the pointer.
 */
export const ensureSeeded = async (ruleSet: RuleSetName, deps: RuleSetWorkflowDeps) => {
  const existing = await deps.store.pointer(ruleSet, true);
  if (existing) return existing;
  const file = RuleSetSchema.parse(await deps.shipped(ruleSet));
  const body = checkRuleSetBody({
    description: `${file.description ?? 'Shipped rule set'} (seeded from the shipped file, version ${file.version})`,
    lists: file.lists,
    rules: file.rules,
  });
  const now = deps.now?.() ?? new Date();
  const version: RuleSetVersion = {
    ...newVersion({ ruleSet, body, author: SEED_ACTOR, now, active: null, state: 'ACTIVE' }),
    version: 1,
    approver: SEED_ACTOR,
    approvedAt: now.toISOString(),
  };
  await deps.store.seed(
    version,
    historyEntry({
      ruleSet,
      at: now.toISOString(),
      actor: SEED_ACTOR,
      action: 'SEEDED',
      version: 1,
      against: null,
      diff: diffVersions(undefined, version),
    }),
  );
  const pointer = await deps.store.pointer(ruleSet, true);
  if (!pointer) throw new Error(`rule set ${ruleSet} was not seeded`);
  return pointer;
};

/** The rule set workflow the admin API runs: every write checked, four-eyes, one transaction per change. */
export const ruleSetWorkflow = (deps: RuleSetWorkflowDeps) => {
  const { store } = deps;
  const now = () => deps.now?.() ?? new Date();

  const load = async (ruleSet: RuleSetName, number: number) => {
    const found = await store.version(ruleSet, number);
    if (!found) throw new RuleSetNotFoundError(`No version ${number} of rule set ${ruleSet}`);
    return found;
  };
  const active = async (ruleSet: RuleSetName) => {
    const pointer = await ensureSeeded(ruleSet, deps);
    return pointer.activeVersion === null ? undefined : load(ruleSet, pointer.activeVersion);
  };
  const entry = (
    ruleSet: RuleSetName,
    input: {
      actor: string;
      action: RuleSetHistoryEntry['action'];
      version: RuleSetVersion;
      base?: RuleSetVersion;
      at: string;
      reason?: string;
    },
  ) =>
    historyEntry({
      ruleSet,
      at: input.at,
      actor: input.actor,
      action: input.action,
      version: input.version.version,
      against: input.base?.version ?? null,
      diff: diffVersions(input.base, input.version),
      ...(input.reason ? { reason: input.reason } : {}),
    });

  /** Stores a checked body as a new version (DRAFT, or PROPOSED for a rollback). */
  const storeVersion = async (
    ruleSet: RuleSetName,
    body: ReturnType<typeof checkRuleSetBody>,
    actor: string,
    options: { state: 'DRAFT' | 'PROPOSED'; copiedFrom?: number },
  ) => {
    const base = await active(ruleSet);
    const at = now();
    const fields = newVersion({
      ruleSet,
      body,
      author: actor,
      now: at,
      active: base?.version ?? null,
      state: options.state,
      ...(options.copiedFrom === undefined ? {} : { copiedFrom: options.copiedFrom }),
    });
    return store.create(fields, (version) =>
      entry(ruleSet, {
        actor,
        action: options.state === 'DRAFT' ? 'CREATED' : 'PROPOSED',
        version: { ...fields, version },
        ...(base ? { base } : {}),
        at: at.toISOString(),
        ...(options.copiedFrom === undefined ? {} : { reason: `rollback to version ${options.copiedFrom}` }),
      }),
    );
  };

  return {
    /** The active version, the version shadowed (null when none) and every version's summary. */
    async overview(ruleSet: RuleSetName) {
      const pointer = await ensureSeeded(ruleSet, deps);
      const current = pointer.activeVersion === null ? undefined : await load(ruleSet, pointer.activeVersion);
      // An approved shadow is the active version: validate no longer evaluates it as a shadow.
      const shadow = pointer.shadow?.version;
      const shadowVersion = shadow !== undefined && shadow !== pointer.activeVersion ? shadow : null;
      return { ruleSet, active: current ?? null, shadowVersion, versions: await store.versions(ruleSet) };
    },

    /** One version, whole, with its diff against the active one. */
    async view(ruleSet: RuleSetName, number: number) {
      const current = await active(ruleSet);
      const version = await load(ruleSet, number);
      return { ...version, activeVersion: current?.version ?? null, diff: diffVersions(current, version) };
    },

    history: async (ruleSet: RuleSetName) => {
      await ensureSeeded(ruleSet, deps);
      return store.history(ruleSet);
    },

    /** A new DRAFT from a body shaped like the YAML; every problem is refused at once. */
    createDraft: async (ruleSet: RuleSetName, input: unknown, actor: string) =>
      storeVersion(ruleSet, checkRuleSetBody(input), actor, { state: 'DRAFT' }),

    async propose(ruleSet: RuleSetName, number: number, actor: string) {
      // The active version first: it seeds version 1 when the set has none yet.
      const base = await active(ruleSet);
      const version = await load(ruleSet, number);
      const at = now();
      const changes = planPropose(version, actor, at);
      await store.changeState(
        ruleSet,
        number,
        'DRAFT',
        changes,
        entry(ruleSet, { actor, action: 'PROPOSED', version, ...(base ? { base } : {}), at: at.toISOString() }),
      );
    },

    async approve(ruleSet: RuleSetName, number: number, actor: string) {
      // The active version first: it seeds version 1 when the set has none yet.
      const base = await active(ruleSet);
      const version = await load(ruleSet, number);
      const at = now();
      const changes = planApprove(version, actor, at);
      // Compiled once more before it can decide anything: nothing invalid becomes ACTIVE.
      compileVersion(version);
      // A shadowed version that goes live ends its shadow run: left on the pointer, it would be
      // shadowed again, unasked, once the next approval retires it.
      const pointer = await store.pointer(ruleSet, true);
      await store.activate(
        ruleSet,
        number,
        base?.version ?? null,
        changes,
        entry(ruleSet, { actor, action: 'APPROVED', version, ...(base ? { base } : {}), at: at.toISOString() }),
        { endShadow: pointer?.shadow?.version === number },
      );
    },

    async reject(ruleSet: RuleSetName, number: number, actor: string, reason: string) {
      // The active version first: it seeds version 1 when the set has none yet.
      const base = await active(ruleSet);
      const version = await load(ruleSet, number);
      const at = now();
      const changes = planReject(version, actor, reason, at);
      await store.changeState(
        ruleSet,
        number,
        'PROPOSED',
        changes,
        entry(ruleSet, { actor, action: 'REJECTED', version, ...(base ? { base } : {}), at: at.toISOString(), reason }),
      );
    },

    /**
     * Starts shadowing a version (outbound only; not the ACTIVE or a REJECTED one), replacing the
     * set's shadow if another version had it: validate learns it within RULES_REFRESH_SECONDS.
     */
    async startShadow(ruleSet: RuleSetName, number: number, actor: string) {
      const base = await active(ruleSet);
      const version = await load(ruleSet, number);
      checkShadowable(version);
      // It must compile: validate would otherwise only log that it cannot run it.
      compileVersion(version);
      const pointer = await store.pointer(ruleSet, true);
      const replaced = pointer?.shadow && pointer.shadow.version !== number ? pointer.shadow.version : undefined;
      const at = now().toISOString();
      const run: ShadowRun = { version: number, startedAt: at, startedBy: actor };
      await store.startShadow(
        ruleSet,
        run,
        version.state,
        entry(ruleSet, {
          actor,
          action: 'SHADOW_STARTED',
          version,
          ...(base ? { base } : {}),
          at,
          ...(replaced ? { reason: `replaces the shadow run of version ${replaced}` } : {}),
        }),
      );
      return run;
    },

    /** Stops the shadow run of a version (409 when it is not the one shadowed). */
    async stopShadow(ruleSet: RuleSetName, number: number, actor: string) {
      const base = await active(ruleSet);
      const version = await load(ruleSet, number);
      await store.stopShadow(
        ruleSet,
        number,
        entry(ruleSet, {
          actor,
          action: 'SHADOW_STOPPED',
          version,
          ...(base ? { base } : {}),
          at: now().toISOString(),
        }),
      );
    },

    /**
     * Whether a version is shadowed now, and since when it was last (its latest SHADOW_STARTED
     * entry; its creation when it never was): where a shadow report starts by default.
     */
    async shadowState(ruleSet: RuleSetName, number: number) {
      const version = await load(ruleSet, number);
      const pointer = await ensureSeeded(ruleSet, deps);
      // An approved shadow is the active version: validate no longer evaluates it as a shadow.
      const running = pointer.shadow?.version === number && version.state !== 'ACTIVE' ? pointer.shadow : undefined;
      const started = (await store.history(ruleSet))
        .filter((item) => item.action === 'SHADOW_STARTED' && item.version === number)
        .map((item) => String(item.at))
        .sort()
        .at(-1);
      return { running: running !== undefined, startedAt: running?.startedAt ?? started ?? version.createdAt };
    },

    /** Every rule id any stored version of the set has held (the performance figures list them all). */
    async ruleIds(ruleSet: RuleSetName) {
      await ensureSeeded(ruleSet, deps);
      return store.ruleIds(ruleSet);
    },

    /** Rolling back: a new PROPOSED version copying a retired one, approved like any proposal. */
    async rollback(ruleSet: RuleSetName, number: number, actor: string) {
      await ensureSeeded(ruleSet, deps);
      const source = await load(ruleSet, number);
      checkRollbackSource(source);
      const body = checkRuleSetBody({
        description: `Rollback to version ${number}: ${source.description}`.slice(0, 2000),
        lists: source.lists,
        rules: source.rules,
      });
      return storeVersion(ruleSet, body, actor, { state: 'PROPOSED', copiedFrom: number });
    },
  };
};
