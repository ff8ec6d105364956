import { celEnvironment, RuleSchema } from './engine.js';

/**
 * What a condition may read, as paths under its variables. `*` is any key (a list's name is
 * checked against the version's own lists). Kept beside the engine's Facts; the unit test holds
 * it to what normaliseTransaction and velocityFacts really produce, so neither can drift.
 */
const PARTY_FIELDS = [
  'id',
  'name',
  'nameKey',
  'iban',
  'ibanValid',
  'bic',
  'bicValid',
  'accountNumber',
  'country',
  'countries',
] as const;
const WINDOW = { count: {}, sum: {} } as const;
type FactTree = { readonly [key: string]: FactTree };
export const FACT_TREE: FactTree = {
  tx: {
    ...Object.fromEntries(
      [
        'id',
        'direction',
        'payType',
        'type',
        'customer',
        'company',
        'clientType',
        'currency',
        'baseCurrency',
        'amount',
        'baseAmount',
        'baseAmountMillis',
        'hasAmount',
        'isRefund',
        'concept',
        'beneficiaryKey',
        'countries',
      ].map((name) => [name, {}]),
    ),
    source: Object.fromEntries(PARTY_FIELDS.map((name) => [name, {}])),
    destination: Object.fromEntries(PARTY_FIELDS.map((name) => [name, {}])),
  },
  velocity: {
    customer: { h1: WINDOW, h24: WINDOW, d7: WINDOW, newBeneficiaries24h: {} },
    beneficiary: { h1: WINDOW, h24: WINDOW, d7: WINDOW },
  },
  beneficiary: { key: {}, firstTime: {} },
};

/** Every fact a condition may name, as `tx.destination.iban`; the UI lists them beside the editor. */
export const factPaths = (tree: FactTree = FACT_TREE, prefix = ''): string[] =>
  Object.entries(tree).flatMap(([name, below]) => {
    const path = prefix ? `${prefix}.${name}` : name;
    return Object.keys(below).length === 0 ? [path] : factPaths(below, path);
  });

/** One problem of a rule set, as a 400's `fields` carries it: where (the rule's id when known) and what. */
export interface RuleSetProblem {
  path: string;
  message: string;
}

interface Node {
  op: string;
  args: unknown;
  start?: number;
  pos?: number;
}
const isNode = (value: unknown): value is Node =>
  typeof value === 'object' && value !== null && 'op' in value && 'args' in value;

/** The member chains of a condition rooted at a variable, such as ['tx', 'destination', 'iban'], with their position. */
const memberChains = (root: unknown): { path: string[]; at: number }[] => {
  const chains: { path: string[]; at: number }[] = [];
  const chainOf = (node: Node): string[] | undefined => {
    if (node.op === 'id' && typeof node.args === 'string') return [node.args];
    if ((node.op === '.' || node.op === '.?') && Array.isArray(node.args) && isNode(node.args[0])) {
      const below = chainOf(node.args[0]);
      return below ? [...below, String(node.args[1])] : undefined;
    }
    return undefined;
  };
  const visit = (value: unknown, parentIsMember: boolean): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item, false);
      return;
    }
    if (!isNode(value)) return;
    const isMember = value.op === '.' || value.op === '.?';
    if (isMember && !parentIsMember) {
      const path = chainOf(value);
      if (path) chains.push({ path, at: value.start ?? value.pos ?? 0 });
    }
    const args: unknown[] = Array.isArray(value.args) ? value.args : [value.args];
    for (const [index, arg] of args.entries()) visit(arg, isMember && index === 0);
  };
  visit(root, false);
  return chains;
};

/** Why a member chain names nothing a condition can read, or undefined when it is a known fact or list. */
const unknownFact = (path: readonly string[], lists: ReadonlySet<string>): string | undefined => {
  const [variable, ...rest] = path;
  if (variable === 'lists') {
    const list = rest[0];
    return list !== undefined && !lists.has(list) ? `unknown list lists.${list}` : undefined;
  }
  let tree = variable === undefined ? undefined : FACT_TREE[variable];
  // Macro variables (`c` in `exists(c, ...)`) are not facts: only the four variables are checked.
  if (!tree) return undefined;
  for (const [index, key] of rest.entries()) {
    const below: FactTree | undefined = tree[key];
    if (!below) return `unknown fact ${path.slice(0, index + 2).join('.')}`;
    tree = below;
  }
  return undefined;
};

const positionOf = (error: unknown): number | undefined => {
  const node = (error as { node?: { start?: number; pos?: number } }).node;
  return node?.start ?? node?.pos;
};

/** The first line of a CEL error, with where in the condition it is. */
const celMessage = (error: { message?: string } | undefined, at: number | undefined) => {
  const first = (error?.message ?? 'does not type-check').split('\n')[0] ?? 'does not type-check';
  return at === undefined ? first : `${first} (at position ${at})`;
};

/**
 * A problem as the draft editor marks it: which rule (its index in the body; absent when the
 * problem is the whole set's), which field, and for a condition where in it (`at`, a character
 * offset; `end` when the offending name is known).
 */
export interface LocatedProblem extends RuleSetProblem {
  rule?: number;
  field: string;
  at?: number;
  end?: number;
}

/**
 * Every problem of a rule set body at once, each naming its rule: the shape of each rule (an
 * unknown outcome, a missing field), duplicate ids, CEL syntax and type errors with their
 * position, facts no payment has and lists the version does not hold. Empty when the engine can
 * compile it and every name it reads exists.
 */
export const locatedRuleSetProblems = (rules: readonly unknown[], listNames: Iterable<string>): LocatedProblem[] => {
  const problems: LocatedProblem[] = [];
  const lists = new Set(listNames);
  const env = celEnvironment();
  const seen = new Set<string>();
  rules.forEach((input, index) => {
    const id = typeof input === 'object' && input !== null && 'id' in input ? String(input.id) : undefined;
    const add = (field: string, message: string, at?: number, end?: number) =>
      problems.push({
        path: `rules.${id ?? index}${field ? `.${field}` : ''}`,
        message,
        rule: index,
        field,
        ...(at === undefined ? {} : { at }),
        ...(end === undefined ? {} : { end }),
      });
    if (id !== undefined && seen.has(id)) add('id', `${id} is a duplicate id`);
    if (id !== undefined) seen.add(id);
    const parsed = RuleSchema.safeParse(input);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) add(issue.path.map(String).join('.'), issue.message);
      return;
    }
    const rule = parsed.data;
    let program: ReturnType<typeof env.parse>;
    try {
      program = env.parse(rule.condition);
    } catch (error) {
      const at = positionOf(error);
      add('condition', celMessage(error as Error, at), at);
      return;
    }
    const check = program.check();
    if (!check.valid) {
      const at = positionOf(check.error);
      add('condition', celMessage(check.error, at), at);
      return;
    }
    for (const chain of memberChains(program.ast)) {
      const why = unknownFact(chain.path, lists);
      if (!why) continue;
      // The name it gives, when the condition spells it without spaces: the editor underlines it.
      const name = why.slice(why.lastIndexOf(' ') + 1);
      const spelt = rule.condition.startsWith(name, chain.at);
      add('condition', `${why} (at position ${chain.at})`, chain.at, spelt ? chain.at + name.length : undefined);
    }
  });
  return problems;
};

/** The problems as a 400's `fields` carries them: where and what. */
export const ruleSetProblems = (rules: readonly unknown[], listNames: Iterable<string>): RuleSetProblem[] =>
  locatedRuleSetProblems(rules, listNames).map(({ path, message }) => ({ path, message }));
