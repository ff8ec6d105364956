import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import { ConflictError, DomainError, ForbiddenError, NotFoundError } from '../shared/errors.js';
import { compileRuleSet, type Rule, RuleSchema, type RulesEngine } from './engine.js';
import {
  type RuleCheckRequestSchema,
  type RuleSetBody,
  RuleSetBodySchema,
  type RuleSetName,
  RuleSetNameSchema,
} from './requests.js';
import { type LocatedProblem, locatedRuleSetProblems, type RuleSetProblem, ruleSetProblems } from './rule-check.js';

/**
 * Rule sets as data. Each set (`outbound` for validate, `inbound` for OnePipe credits) has
 * numbered versions: DRAFT -> PROPOSED -> ACTIVE -> RETIRED, or PROPOSED -> REJECTED. Only one
 * version of a set is ACTIVE; a proposal becomes ACTIVE only when a supervisor other than its
 * author (and its proposer) approves it. Nothing is ever deleted: a retired version can be read
 * forever, and every decision names the version it was decided with (`ruleSetLabel`).
 */
export const VERSION_STATES = ['DRAFT', 'PROPOSED', 'ACTIVE', 'RETIRED', 'REJECTED'] as const;
export type VersionState = (typeof VERSION_STATES)[number];

/** One stored version, parsed on every read. */
export const RuleSetVersionSchema = z.object({
  ruleSet: RuleSetNameSchema,
  version: z.number().int().positive(),
  state: z.enum(VERSION_STATES),
  description: z.string(),
  rules: z.array(RuleSchema),
  lists: z.record(z.string(), z.array(z.string())),
  author: z.string(),
  createdAt: z.string(),
  /** The version that was ACTIVE when this one was written (what its diff was taken against). */
  basedOn: z.number().int().positive().nullable(),
  /** A rollback: the earlier version this one copies. */
  copiedFrom: z.number().int().positive().nullable().default(null),
  proposedBy: z.string().nullable().default(null),
  proposedAt: z.string().nullable().default(null),
  approver: z.string().nullable().default(null),
  approvedAt: z.string().nullable().default(null),
  rejectedBy: z.string().nullable().default(null),
  rejectedAt: z.string().nullable().default(null),
  rejectReason: z.string().nullable().default(null),
  retiredAt: z.string().nullable().default(null),
});
export type RuleSetVersion = z.infer<typeof RuleSetVersionSchema>;
/** A version without its rules and lists: what a listing of versions shows. */
export type VersionSummary = Omit<RuleSetVersion, 'rules' | 'lists'>;

export type HistoryAction =
  | 'SEEDED'
  | 'CREATED'
  | 'PROPOSED'
  | 'APPROVED'
  | 'REJECTED'
  | 'SHADOW_STARTED'
  | 'SHADOW_STOPPED';

/**
 * A shadow run: a version of the outbound set that validate evaluates on every decision beside the
 * active one, on the same facts, storing its outcome on the decision; never answered, never a case.
 */
export const ShadowRunSchema = z.lazy(() =>
  z.object({
    version: z.number().int().positive(),
    startedAt: z.string(),
    startedBy: z.string(),
  }),
);
export type ShadowRun = z.infer<typeof ShadowRunSchema>;

/** Only validate runs shadows: OnePipe's credits (inbound) are decided elsewhere. */
export const SHADOW_RULE_SET = 'outbound';

/** Shadowing a version: the outbound set only, any version but the active one or a rejected one. */
export const checkShadowable = (version: VersionSummary) => {
  if (version.ruleSet !== SHADOW_RULE_SET) {
    throw new ShadowNotSupportedError(
      `Shadow runs are for the outbound rule set only: validate evaluates the shadow beside its decision, and ${version.ruleSet} payments are not decided by validate`,
    );
  }
  if (version.state === 'ACTIVE' || version.state === 'REJECTED') {
    throw new RuleSetConflictError(
      `${ruleSetLabel(version.ruleSet, version.version)} is ${version.state}: only a version that is not ACTIVE or REJECTED can be shadowed`,
    );
  }
};

/** One append-only history entry of a rule set. */
export interface RuleSetHistoryEntry {
  ruleSet: RuleSetName;
  entryId: string;
  at: string;
  actor: string;
  action: HistoryAction;
  version: number;
  /** The version that was ACTIVE at the time, and the change against it. */
  against: number | null;
  diff: VersionDiff;
  reason?: string;
}

/** A refused rule set: the admin API answers it as a 400 whose fields name each rule and what is wrong with it. */
export class InvalidRuleSetError extends DomainError {
  readonly kind = 'bad-request';
  override name = 'InvalidRuleSetError';
  constructor(readonly problems: RuleSetProblem[]) {
    super(
      `The rule set has ${problems.length} problem(s): ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
    );
  }
}
export class RuleSetNotFoundError extends NotFoundError {}
/** A shadow run asked of a set that cannot have one (inbound): a 400 saying why. */
export class ShadowNotSupportedError extends DomainError {
  readonly kind = 'bad-request';
  override name = 'ShadowNotSupportedError';
}
export class RuleSetConflictError extends ConflictError {}
export class RuleSetForbiddenError extends ForbiddenError {}

/** What a decision records as the rules it was decided with: `outbound@3`. */
export const ruleSetLabel = (ruleSet: RuleSetName, version: number) => `${ruleSet}@${version}`;

/**
 * The check a save makes (checkRuleSetBody), without storing or throwing: every problem with the
 * rule's index and, in a condition, its position, for the editor to mark where it is.
 */
export const checkRules = (body: z.infer<typeof RuleCheckRequestSchema>): LocatedProblem[] => {
  const problems = locatedRuleSetProblems(body.rules, Object.keys(body.lists));
  if (problems.length > 0) return problems;
  try {
    compileRuleSet({ version: 'check', rules: body.rules.map((rule) => RuleSchema.parse(rule)), lists: body.lists });
    return [];
  } catch (error) {
    return [{ path: 'rules', field: '', message: (error as Error).message }];
  }
};

/**
 * Checks a body as a new version would hold it: its shape, then every rule (CEL, facts, lists,
 * ids, outcomes), then that the engine compiles it. Throws InvalidRuleSetError listing them all.
 */
export const checkRuleSetBody = (
  input: unknown,
): { description: string; rules: Rule[]; lists: RuleSetBody['lists'] } => {
  const parsed = RuleSetBodySchema.safeParse(input);
  if (!parsed.success) {
    throw new InvalidRuleSetError(
      parsed.error.issues.map((issue) => ({
        path: issue.path.map(String).join('.') || '(body)',
        message: issue.message,
      })),
    );
  }
  const body = parsed.data;
  const problems = ruleSetProblems(body.rules, Object.keys(body.lists));
  if (problems.length > 0) throw new InvalidRuleSetError(problems);
  const rules = body.rules.map((rule) => RuleSchema.parse(rule));
  // The engine compiles what was checked: a second line of defence, and the proof it can be ACTIVE.
  compileRuleSet({ version: 'check', rules, lists: body.lists });
  return { description: body.description, rules, lists: body.lists };
};

/** A stored version compiled for deciding, labelled with its set and number. */
export const compileVersion = (
  version: Pick<RuleSetVersion, 'ruleSet' | 'version' | 'rules' | 'lists' | 'description'>,
): RulesEngine =>
  compileRuleSet({
    version: ruleSetLabel(version.ruleSet, version.version),
    description: version.description,
    rules: version.rules,
    lists: version.lists,
  });

/** How far lists' entries are spelled out in a diff (counts are always exact). */
export const DIFF_ENTRY_LIMIT = 100;

export interface VersionDiff {
  description?: { before: string; after: string };
  rules: { added: Rule[]; removed: Rule[]; changed: { id: string; before: Rule; after: Rule }[] };
  lists: Record<string, { added: string[]; removed: string[]; addedCount: number; removedCount: number }>;
}

const sameRule = (a: Rule, b: Rule) => JSON.stringify(a) === JSON.stringify(b);

/** What changes from `base` (the active version, or nothing) to `target`. */
export const diffVersions = (
  base: Pick<RuleSetVersion, 'rules' | 'lists' | 'description'> | undefined,
  target: Pick<RuleSetVersion, 'rules' | 'lists' | 'description'>,
): VersionDiff => {
  const before = new Map((base?.rules ?? []).map((rule) => [rule.id, rule]));
  const after = new Map(target.rules.map((rule) => [rule.id, rule]));
  const rules: VersionDiff['rules'] = {
    added: target.rules.filter((rule) => !before.has(rule.id)),
    removed: (base?.rules ?? []).filter((rule) => !after.has(rule.id)),
    changed: target.rules.flatMap((rule) => {
      const old = before.get(rule.id);
      return old && !sameRule(old, rule) ? [{ id: rule.id, before: old, after: rule }] : [];
    }),
  };
  const lists: VersionDiff['lists'] = {};
  for (const name of new Set([...Object.keys(base?.lists ?? {}), ...Object.keys(target.lists)])) {
    const was = new Set(base?.lists[name] ?? []);
    const is = new Set(target.lists[name] ?? []);
    const added = [...is].filter((entry) => !was.has(entry));
    const removed = [...was].filter((entry) => !is.has(entry));
    if (added.length || removed.length) {
      lists[name] = {
        added: added.slice(0, DIFF_ENTRY_LIMIT),
        removed: removed.slice(0, DIFF_ENTRY_LIMIT),
        addedCount: added.length,
        removedCount: removed.length,
      };
    }
  }
  return {
    ...(base && base.description !== target.description
      ? { description: { before: base.description, after: target.description } }
      : {}),
    rules,
    lists,
  };
};

export const historyEntry = (input: Omit<RuleSetHistoryEntry, 'entryId'>): RuleSetHistoryEntry => ({
  ...input,
  entryId: `${input.at}#${randomUUID().slice(0, 8)}`,
});

/** A new version's fields, before storage gives it its number. */
export const newVersion = (input: {
  ruleSet: RuleSetName;
  body: ReturnType<typeof checkRuleSetBody>;
  author: string;
  now: Date;
  active: number | null;
  state?: 'DRAFT' | 'PROPOSED' | 'ACTIVE';
  copiedFrom?: number;
}): Omit<RuleSetVersion, 'version'> => {
  const at = input.now.toISOString();
  const proposed = input.state === 'PROPOSED';
  return {
    ruleSet: input.ruleSet,
    state: input.state ?? 'DRAFT',
    description: input.body.description,
    rules: input.body.rules,
    lists: input.body.lists,
    author: input.author,
    createdAt: at,
    basedOn: input.active,
    copiedFrom: input.copiedFrom ?? null,
    proposedBy: proposed ? input.author : null,
    proposedAt: proposed ? at : null,
    approver: null,
    approvedAt: null,
    rejectedBy: null,
    rejectedAt: null,
    rejectReason: null,
    retiredAt: null,
  };
};

const requireState = (version: VersionSummary, state: VersionState, action: string) => {
  if (version.state !== state) {
    throw new RuleSetConflictError(
      `${ruleSetLabel(version.ruleSet, version.version)} is ${version.state}: only a ${state} version can be ${action}`,
    );
  }
};

/** Proposing a draft: any supervisor may; the approval must then come from someone else. */
export const planPropose = (version: VersionSummary, actor: string, now: Date) => {
  requireState(version, 'DRAFT', 'proposed');
  return { state: 'PROPOSED' as const, proposedBy: actor, proposedAt: now.toISOString() };
};

/**
 * Approving a proposal: four-eyes. Neither its author nor whoever proposed it may approve it
 * (403); the version must still be PROPOSED (409 otherwise).
 */
export const planApprove = (version: VersionSummary, actor: string, now: Date) => {
  if (actor === version.author || actor === version.proposedBy) {
    throw new RuleSetForbiddenError(
      `${actor} wrote or proposed ${ruleSetLabel(version.ruleSet, version.version)}: another supervisor must approve it`,
    );
  }
  requireState(version, 'PROPOSED', 'approved');
  return { state: 'ACTIVE' as const, approver: actor, approvedAt: now.toISOString() };
};

/** Rejecting a proposal (its author may withdraw it this way too). */
export const planReject = (version: VersionSummary, actor: string, reason: string, now: Date) => {
  requireState(version, 'PROPOSED', 'rejected');
  return { state: 'REJECTED' as const, rejectedBy: actor, rejectedAt: now.toISOString(), rejectReason: reason };
};

/** Rolling back: only a version that was once ACTIVE (now RETIRED) can be copied into a new proposal. */
export const checkRollbackSource = (version: VersionSummary) => {
  if (version.state !== 'RETIRED') {
    throw new RuleSetConflictError(
      `${ruleSetLabel(version.ruleSet, version.version)} is ${version.state}: only a RETIRED version can be rolled back to`,
    );
  }
};
