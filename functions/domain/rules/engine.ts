import { Environment } from '@marcbachmann/cel-js';
import * as z from 'zod';
import { nameKey } from '../decisions/transaction.js';
import { type DecisionStatus, decideStatus, type RuleHit } from './outcome.js';

export { decideStatus };

/** One rule of a rule set: a CEL condition over the facts and what a match means. */
export const RuleSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must be kebab-case'),
  description: z.string().min(1),
  condition: z.string().min(1),
  outcome: z.enum(['REJECT', 'REVIEW']),
  score: z.number().int().min(0).max(1000).optional(),
  enabled: z.boolean().default(true),
});
export type Rule = z.infer<typeof RuleSchema>;

/** A versioned rule set file (rules/*.yaml). Lists are exposed to conditions as `lists.<name>`. */
export const RuleSetSchema = z
  .strictObject({
    version: z.string().min(1),
    description: z.string().optional(),
    lists: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9]*$/), z.array(z.string())).default({}),
    rules: z.array(RuleSchema).min(1),
  })
  .superRefine((set, ctx) => {
    const seen = new Set<string>();
    set.rules.forEach((rule, index) => {
      if (seen.has(rule.id)) ctx.addIssue({ code: 'custom', path: ['rules', index, 'id'], message: 'is a duplicate' });
      seen.add(rule.id);
    });
  });
export type RuleSet = z.infer<typeof RuleSetSchema>;

/** Velocity over one window: how many payments and how much (base currency, major units). */
export interface WindowFacts {
  count: number;
  sum: number;
}

/** Everything a condition can read. Velocity figures include the payment being decided. */
export interface Facts {
  tx: Record<string, unknown>;
  velocity: {
    customer: { h1: WindowFacts; h24: WindowFacts; d7: WindowFacts; newBeneficiaries24h: number };
    beneficiary: { h1: WindowFacts; h24: WindowFacts; d7: WindowFacts };
  };
  beneficiary: { key: string | null; firstTime: boolean };
}

export type { DecisionStatus, RuleHit } from './outcome.js';

export interface Evaluation {
  status: DecisionStatus;
  hits: RuleHit[];
  /** Rules whose condition could not be evaluated (a missing field, a type clash): they count as REVIEW. */
  errors: { rule: string; message: string }[];
  ruleSetVersion: string;
}

export class RuleSetError extends Error {
  override name = 'RuleSetError';
}

interface CompiledRule {
  rule: Rule;
  evaluate: (context: Record<string, unknown>) => unknown;
}

/** A rule set checked and compiled once (at cold start); `evaluate` is then pure and fast. */
export interface RulesEngine {
  version: string;
  rules: readonly Rule[];
  evaluate(facts: Facts): Evaluation;
}

/** The CEL environment every condition is parsed in: the four variables it may read, nothing else. */
export const celEnvironment = () =>
  new Environment({ unlistedVariablesAreDyn: false })
    .registerVariable('tx', 'map')
    .registerVariable('velocity', 'map')
    .registerVariable('beneficiary', 'map')
    .registerVariable('lists', 'map');

/**
 * Validates and compiles a rule set. Every problem (schema, CEL syntax, unknown variables) is
 * reported at once in one RuleSetError, so a bad rules file stops start-up instead of a payment.
 */
export const compileRuleSet = (input: unknown): RulesEngine => {
  const parsed = RuleSetSchema.safeParse(input);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new RuleSetError(`Invalid rule set:\n- ${lines.join('\n- ')}`);
  }
  const set = parsed.data;
  const env = celEnvironment();
  const problems: string[] = [];
  const compiled: CompiledRule[] = [];
  for (const rule of set.rules.filter((r) => r.enabled)) {
    try {
      const program = env.parse(rule.condition);
      const check = program.check();
      if (!check.valid) {
        problems.push(`rule ${rule.id}: ${check.error?.message ?? 'does not type-check'}`);
        continue;
      }
      compiled.push({ rule, evaluate: (context) => program(context) });
    } catch (error) {
      problems.push(`rule ${rule.id}: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  if (problems.length > 0) throw new RuleSetError(`Invalid rule set ${set.version}:\n- ${problems.join('\n- ')}`);

  // Lists are matched on the same keys the facts carry: names by nameKey, IBANs compacted, countries upper-case.
  // Each is a Map, so `x in lists.name` is a key lookup, not a scan: a 50,000-entry list costs a
  // decision no more than a 3-entry one (CEL's `in`, `exists` and `size` read a map by its keys).
  const lists = Object.fromEntries(
    Object.entries(set.lists).map(([name, values]) => [
      name,
      new Map(values.map((value) => [listKey(name, value), true] as const)),
    ]),
  );

  return {
    version: set.version,
    rules: set.rules,
    evaluate(facts: Facts): Evaluation {
      const context = { ...facts, lists };
      const hits: RuleHit[] = [];
      const errors: Evaluation['errors'] = [];
      for (const { rule, evaluate } of compiled) {
        let matched: unknown;
        try {
          matched = evaluate(context);
        } catch (error) {
          errors.push({ rule: rule.id, message: (error as Error).message.split('\n')[0] ?? 'evaluation failed' });
          continue;
        }
        if (matched === true) {
          hits.push({
            rule: rule.id,
            description: rule.description,
            outcome: rule.outcome,
            ...(rule.score === undefined ? {} : { score: rule.score }),
          });
        }
      }
      return { status: decideStatus(hits, errors.length > 0), hits, errors, ruleSetVersion: set.version };
    },
  };
};

const listKey = (listName: string, value: string): string => {
  const lower = listName.toLowerCase();
  if (lower.includes('name')) return nameKey(value) ?? '';
  return value.replace(/\s+/g, '').toUpperCase();
};
