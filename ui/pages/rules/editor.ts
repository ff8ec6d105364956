import { ApiError, api } from '../../api/client.js';
import type { RuleSetName, RuleSetVersion } from '../../api/types.js';
import { h } from '../../dom/h.js';
import { section } from '../../dom/widgets.js';
import { explain, show } from '../../feedback.js';
import { versionLink } from '../../links.js';

/** A list's entries as a textarea (one a line: paste many at once), with a search that counts matches. */
const listEditor = (name: string, entries: readonly string[]) => {
  const area = h('textarea', { name: `list-${name}`, rows: '4', 'data-list': name });
  area.value = entries.join('\n');
  const found = h('span', { class: 'muted' }, `${entries.length} entries`);
  const search = h('input', {
    type: 'search',
    placeholder: 'Search this list',
    oninput: () => {
      const lines = area.value.split('\n').filter((line) => line.trim());
      const term = search.value.trim().toUpperCase();
      const matches = term ? lines.filter((line) => line.toUpperCase().includes(term)) : lines;
      found.textContent = term
        ? `${matches.length} of ${lines.length} match: ${matches.slice(0, 20).join(', ')}${matches.length > 20 ? ', …' : ''}`
        : `${lines.length} entries`;
    },
  });
  return { name, area, element: h('label', { class: 'list-editor' }, `lists.${name}`, area, search, found) };
};

/**
 * A new draft, started from the active version: its rules as JSON (the shape of rules/*.yaml),
 * each list as lines, the facts a condition can read listed beside. A refused draft shows every
 * problem the server named, by rule and with the position in the condition.
 */
export const draftEditor = (set: RuleSetName, active: RuleSetVersion | null, facts: readonly string[]) => {
  const description = h('input', { name: 'description', required: true, placeholder: 'What changes, and why' });
  const rules = h('textarea', { name: 'rules', rows: '18', spellcheck: 'false', class: 'code' });
  rules.value = JSON.stringify(active?.rules ?? [], null, 2);
  const lists = Object.entries(active?.lists ?? {}).map(([name, entries]) => listEditor(name, entries));
  const listsBox = h('div', {}, ...lists.map((list) => list.element));
  const newList = h('input', { name: 'new-list', placeholder: 'newListName' });
  const problems = h('ul', { id: 'draft-problems', class: 'problems' });
  const save = async (event: Event) => {
    event.preventDefault();
    problems.replaceChildren();
    let parsedRules: unknown;
    try {
      parsedRules = JSON.parse(rules.value);
    } catch (error) {
      return show(`The rules are not valid JSON: ${(error as Error).message}`);
    }
    const body = {
      description: description.value.trim(),
      rules: parsedRules as unknown[],
      lists: Object.fromEntries(
        lists.map((list) => [
          list.name,
          list.area.value
            .split('\n')
            .map((line) => line.trim())
            .filter(Boolean),
        ]),
      ),
    };
    try {
      const created = await api.createDraft(set, body);
      location.hash = versionLink(set, created.version);
      show(`Draft version ${created.version} saved. Propose it when it is ready.`, 'info');
    } catch (error) {
      if (error instanceof ApiError && error.fields.length > 0) {
        problems.replaceChildren(
          ...error.fields.map((field) => h('li', {}, h('strong', {}, field.path), ` — ${field.message}`)),
        );
      }
      explain(error);
    }
  };
  return section(
    'New draft',
    h(
      'form',
      { id: 'draft-form', class: 'editor', onsubmit: (event) => void save(event) },
      h(
        'div',
        {},
        h('label', {}, 'Description', description),
        h('label', {}, 'Rules (JSON: id, description, condition, outcome, score, enabled)', rules),
        problems,
        listsBox,
        h(
          'div',
          { class: 'row' },
          newList,
          h(
            'button',
            {
              type: 'button',
              class: 'secondary',
              onclick: () => {
                const name = newList.value.trim();
                if (!name) return;
                const list = listEditor(name, []);
                lists.push(list);
                listsBox.append(list.element);
                newList.value = '';
              },
            },
            'Add a list',
          ),
        ),
        h('button', { type: 'submit' }, 'Save draft'),
      ),
      h(
        'aside',
        { id: 'facts' },
        h('h3', {}, 'Facts a condition can read'),
        h('ul', {}, ...facts.map((fact) => h('li', {}, h('code', {}, fact)))),
        h('p', { class: 'muted' }, 'and lists.<name> for each list; CEL syntax (https://cel.dev).'),
      ),
    ),
  );
};

/** "What would these rules do to this payment": a stored decision by id, or a payment as Toqio sends it. */
export const testPanel = (set: RuleSetName) => {
  const transactionId = h('input', { name: 'transactionId', placeholder: 'Transaction id of a stored decision' });
  const payment = h('textarea', { name: 'transaction', rows: '5', class: 'code', placeholder: 'or a payment as JSON' });
  const version = h('input', { name: 'version', type: 'number', min: '1', placeholder: 'active' });
  const result = h('div', { id: 'test-result' });
  const run = async (event: Event) => {
    event.preventDefault();
    try {
      const target = transactionId.value.trim()
        ? { transactionId: transactionId.value.trim() }
        : { transaction: JSON.parse(payment.value || '{}') as unknown };
      const answer = await api.testRules(set, {
        ...target,
        ...(version.value ? { version: Number(version.value) } : {}),
      });
      result.replaceChildren(
        h('p', {}, h('strong', {}, answer.outcome), ` with ${answer.ruleSetVersion}`),
        h('ul', {}, ...answer.hits.map((hit) => h('li', {}, `${hit.rule} (${hit.outcome}) — ${hit.description}`))),
        ...answer.errors.map((error) =>
          h('p', { class: 'muted' }, `${error.rule} could not be evaluated: ${error.message}`),
        ),
      );
    } catch (error) {
      explain(error);
    }
  };
  return section(
    'Test against a payment',
    h(
      'form',
      { id: 'test-form', class: 'filters', onsubmit: (event) => void run(event) },
      h('label', {}, 'Transaction id', transactionId),
      h('label', {}, 'Payment', payment),
      h('label', {}, 'Version', version),
      h('button', { type: 'submit' }, 'Test'),
    ),
    result,
  );
};
