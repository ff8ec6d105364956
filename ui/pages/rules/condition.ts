import type { RuleProblem } from '../../api/types.js';
import { h } from '../../dom/h.js';

/** Where an offset falls in a condition: its line (1-based), the line's text and the column (0-based). */
export const lineAt = (condition: string, at: number) => {
  const offset = Math.max(0, Math.min(at, condition.length));
  const start = offset === 0 ? 0 : condition.lastIndexOf('\n', offset - 1) + 1;
  const newline = condition.indexOf('\n', offset);
  return {
    line: condition.slice(0, start).split('\n').length,
    text: condition.slice(start, newline === -1 ? undefined : newline),
    column: offset - start,
  };
};

/**
 * A condition's problem marked where it is, as a compiler would print it: the offending line, and
 * under it a caret at the column (`^~~~` under a whole unknown name). Tabs stay tabs in the
 * caret's indent, so the caret lines up however the condition is indented.
 */
export const markedProblem = (condition: string, problem: RuleProblem) => {
  if (problem.at === undefined) return h('p', { class: 'problem-message' }, problem.message);
  const { line, text, column } = lineAt(condition, problem.at);
  const indent = text.slice(0, column).replace(/[^\t]/g, ' ');
  const width = problem.end !== undefined ? Math.max(1, Math.min(problem.end - problem.at, text.length - column)) : 1;
  return h(
    'div',
    { class: 'condition-mark' },
    h('pre', { class: 'code caret', 'aria-hidden': 'true' }, `${text}\n${indent}^${'~'.repeat(width - 1)}`),
    h('p', { class: 'problem-message' }, `Line ${line}, column ${column + 1}: ${problem.message}`),
  );
};

/** Inserts text at the cursor of a textarea (replacing a selection), as if typed. */
export const insertAtCursor = (area: HTMLTextAreaElement, text: string) => {
  area.focus();
  area.setRangeText(text, area.selectionStart, area.selectionEnd, 'end');
  area.dispatchEvent(new Event('input', { bubbles: true }));
};

/**
 * The facts a condition can read, grouped by variable (tx, velocity, beneficiary, lists), as
 * buttons that insert the fact at the condition's cursor. The facts are the server's catalogue,
 * the one its unknown-fact check uses; the lists are the draft's own.
 */
export const factsPanel = (facts: readonly string[], insert: (fact: string) => void) => {
  const listsGroup = h('ul', { id: 'fact-lists' });
  const factButton = (fact: string) =>
    h('li', {}, h('button', { type: 'button', class: 'link fact', onclick: () => insert(fact) }, h('code', {}, fact)));
  const groups = new Map<string, string[]>();
  for (const fact of facts) {
    const variable = fact.split('.')[0] ?? fact;
    groups.set(variable, [...(groups.get(variable) ?? []), fact]);
  }
  const element = h(
    'aside',
    { id: 'facts', 'aria-label': 'Facts a condition can read' },
    h('h3', {}, 'Facts a condition can read'),
    h('p', { class: 'muted' }, 'Click one to insert it at the cursor. CEL syntax (https://cel.dev).'),
    ...[...groups].flatMap(([variable, paths]) => [
      h('h4', {}, `${variable}.*`),
      h('ul', {}, ...paths.map(factButton)),
    ]),
    h('h4', {}, 'lists.*'),
    listsGroup,
  );
  return {
    element,
    /** Shows the draft's lists as `lists.<name>`. */
    setLists(names: readonly string[]) {
      listsGroup.replaceChildren(...names.map((name) => factButton(`lists.${name}`)));
    },
  };
};
