import { ApiError, api } from '../../api/client.js';
import type { Rule, RuleProblem, RuleSetName, RuleSetOverview, RuleSetVersion } from '../../api/types.js';
import { h } from '../../dom/h.js';
import { section } from '../../dom/widgets.js';
import { explain, show } from '../../feedback.js';
import { versionLink } from '../../links.js';
import { factsPanel, insertAtCursor, markedProblem } from './condition.js';
import { listEditor } from './lists-editor.js';

/** A rule as the form edits it: score is optional, as in rules/*.yaml. */
type DraftRule = Omit<Rule, 'score'> & { score?: number | undefined };

/** A rule as the API takes it (no `score` key when there is none). */
const ruleBody = ({ score, ...rule }: DraftRule) => (score === undefined ? rule : { ...rule, score });

const CHECK_DELAY_MS = 400;
const RULE_FIELDS = ['id', 'description', 'condition', 'outcome', 'score', 'enabled'] as const;

/**
 * A new draft, started from the active version, edited one rule at a time: the draft's rules to
 * pick from (add, remove), the picked rule's fields, its condition checked by the server as it is
 * typed (the check a save makes) with an error marked where it is, the facts a condition can read
 * beside it, and each list as lines (paste, search, remove). Saving posts the same body as the
 * API's `POST /versions`; a refused draft shows each problem on the rule it names.
 */
export const draftEditor = (set: RuleSetName, active: RuleSetVersion | null, overview: RuleSetOverview) => {
  const rules: DraftRule[] = (active?.rules ?? []).map((rule) => ({ ...rule }));
  let picked = rules.length > 0 ? 0 : -1;
  /** Problems by rule index (from the live check or a refused save); the rest go in the list below. */
  let problems: RuleProblem[] = [];

  const description = h('input', { name: 'description', required: true, placeholder: 'What changes, and why' });
  const lists = Object.entries(active?.lists ?? {}).map(([name, entries]) => listEditor(name, entries));
  const listsBox = h('div', {}, ...lists.map((list) => list.element));
  const newList = h('input', { name: 'new-list', placeholder: 'newListName', 'aria-label': 'New list name' });
  const problemList = h('ul', { id: 'draft-problems', class: 'problems' });

  // The picked rule's fields, each with the place its problem is shown.
  const field = {
    id: h('input', { name: 'rule-id', required: true, spellcheck: 'false', placeholder: 'kebab-case-id' }),
    description: h('input', { name: 'rule-description', required: true }),
    condition: h('textarea', { name: 'condition', rows: '4', spellcheck: 'false', class: 'code' }),
    outcome: h('select', { name: 'outcome' }, ...overview.outcomes.map((o) => h('option', { value: o }, o))),
    score: h('input', { name: 'score', type: 'number', min: '0', max: '1000', step: '1', placeholder: 'none' }),
    enabled: h('input', { name: 'enabled', type: 'checkbox' }),
  };
  const fieldProblem = Object.fromEntries(
    RULE_FIELDS.map((name) => [name, h('div', { id: `rule-${name}-problem`, class: 'field-problem problems' })]),
  ) as Record<(typeof RULE_FIELDS)[number], HTMLDivElement>;
  for (const name of RULE_FIELDS) field[name].setAttribute('aria-describedby', `rule-${name}-problem`);
  const checkStatus = h('span', { id: 'condition-status', class: 'muted', role: 'status' });
  const ruleTitle = h('h3', { id: 'rule-title' });
  const removeRule = h('button', { type: 'button', class: 'danger', id: 'remove-rule' }, 'Remove this rule');
  /** A field with its label, and its problem outside the label (so the problem is not in the field's name). */
  const labelled = (name: (typeof RULE_FIELDS)[number], label: string, inline = false) => {
    field[name].id = `rule-${name}`;
    const text = h('label', { for: `rule-${name}` }, label);
    return h(
      'div',
      { class: inline ? 'field inline' : 'field' },
      ...(inline ? [field[name], text] : [text, field[name]]),
      fieldProblem[name],
    );
  };
  const ruleFields = h(
    'fieldset',
    { id: 'rule-form' },
    h('legend', {}, ruleTitle),
    labelled('id', 'Id'),
    labelled('description', 'Rule description'),
    labelled('condition', 'Condition'),
    h(
      'div',
      { class: 'row' },
      h(
        'button',
        { type: 'button', class: 'secondary', id: 'check-condition', onclick: () => void check(true) },
        'Check',
      ),
      checkStatus,
    ),
    h(
      'div',
      { class: 'row' },
      labelled('outcome', 'Outcome'),
      labelled('score', 'Score'),
      labelled('enabled', 'Enabled', true),
      removeRule,
    ),
  );
  const ruleRows = h('tbody');
  const rulesTable = h(
    'table',
    { id: 'draft-rules' },
    h('thead', {}, h('tr', {}, ...['Rule', 'Outcome', 'Enabled', 'Problems'].map((title) => h('th', {}, title)))),
    ruleRows,
  );

  const listNames = () => lists.map((list) => list.name);
  const facts = factsPanel(overview.facts, (fact) => insertAtCursor(field.condition, fact));
  facts.setLists(listNames());

  const problemsOf = (index: number) => problems.filter((problem) => problem.rule === index);

  /** The rule list: each rule's id (a button that picks it), outcome, enabled and how many problems it has. */
  const renderRules = () => {
    ruleRows.replaceChildren(
      ...rules.map((rule, index) => {
        const count = problemsOf(index).length;
        return h(
          'tr',
          { 'data-rule': String(index), class: `${index === picked ? 'picked' : ''}${count ? ' invalid' : ''}` },
          h(
            'td',
            {},
            h(
              'button',
              {
                type: 'button',
                class: 'link',
                'aria-pressed': String(index === picked),
                onclick: () => pick(index),
              },
              rule.id || '(new rule)',
            ),
          ),
          h('td', {}, rule.outcome),
          h('td', {}, rule.enabled === false ? 'no' : 'yes'),
          h('td', { class: count ? 'problems' : 'muted' }, count ? `${count} problem(s)` : '—'),
        );
      }),
    );
  };

  /** The picked rule's problems beside its fields; a condition's is marked where it is. */
  const renderProblems = (select = false) => {
    const mine = picked >= 0 ? problemsOf(picked) : [];
    const condition = rules[picked]?.condition ?? '';
    for (const name of RULE_FIELDS) {
      const here = mine.filter((problem) => problem.field === name || problem.field.startsWith(`${name}.`));
      fieldProblem[name].replaceChildren(
        ...here.map((problem) =>
          name === 'condition'
            ? markedProblem(condition, problem)
            : h('p', { class: 'problem-message' }, problem.message),
        ),
      );
      field[name].setAttribute('aria-invalid', String(here.length > 0));
    }
    const located = mine.find((problem) => problem.field === 'condition' && problem.at !== undefined);
    if (select && located?.at !== undefined) {
      field.condition.focus();
      field.condition.setSelectionRange(located.at, Math.max(located.end ?? located.at + 1, located.at));
    }
    problemList.replaceChildren(
      ...problems
        .filter((problem) => problem.rule === undefined || problem.rule !== picked)
        .map((problem) =>
          h(
            'li',
            {},
            problem.rule === undefined
              ? h('strong', {}, problem.path)
              : h('button', { type: 'button', class: 'link', onclick: () => pick(problem.rule ?? 0) }, problem.path),
            ` — ${problem.message}`,
          ),
        ),
    );
    renderRules();
  };

  const pick = (index: number) => {
    picked = index;
    const rule = rules[index];
    ruleFields.disabled = rule === undefined;
    ruleTitle.textContent = rule ? `Rule ${index + 1} of ${rules.length}` : 'No rule: add one';
    field.id.value = rule?.id ?? '';
    field.description.value = rule?.description ?? '';
    field.condition.value = rule?.condition ?? '';
    field.outcome.value = rule?.outcome ?? overview.outcomes[0] ?? '';
    field.score.value = rule?.score === undefined ? '' : String(rule.score);
    field.enabled.checked = rule?.enabled !== false;
    checkStatus.textContent = '';
    renderProblems();
  };

  /** The form into the picked rule, as it is typed. */
  const readForm = () => {
    const rule = rules[picked];
    if (!rule) return;
    rule.id = field.id.value.trim();
    rule.description = field.description.value;
    rule.condition = field.condition.value;
    rule.outcome = field.outcome.value as Rule['outcome'];
    rule.score = field.score.value.trim() === '' ? undefined : Number(field.score.value);
    rule.enabled = field.enabled.checked;
  };

  // The server's check, the one a save makes: the latest answer wins, an older one is dropped.
  let checks = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const check = async (select = false) => {
    clearTimeout(timer);
    const mine = ++checks;
    checkStatus.textContent = 'Checking…';
    try {
      const answer = await api.checkRules(set, {
        rules: rules.map(ruleBody),
        lists: Object.fromEntries(listNames().map((name) => [name, []])),
      });
      if (mine !== checks) return;
      problems = answer.problems;
      const here = problemsOf(picked).length;
      checkStatus.textContent = answer.valid
        ? 'No problems: the server compiles every rule.'
        : here
          ? `${here} problem(s) in this rule`
          : `${answer.problems.length} problem(s) in other rules`;
      renderProblems(select);
    } catch (error) {
      if (mine !== checks) return;
      checkStatus.textContent = 'Could not check.';
      explain(error);
    }
  };
  const checkSoon = () => {
    clearTimeout(timer);
    timer = setTimeout(() => void check(), CHECK_DELAY_MS);
  };
  ruleFields.addEventListener('input', () => {
    readForm();
    renderRules();
    checkSoon();
  });
  ruleFields.addEventListener('change', () => {
    readForm();
    renderRules();
    checkSoon();
  });

  const addRule = () => {
    rules.push({
      id: '',
      description: '',
      condition: '',
      outcome: overview.outcomes.includes('REVIEW') ? 'REVIEW' : (overview.outcomes[0] ?? 'REVIEW'),
      enabled: true,
    });
    // A check in flight counts rules that are no longer where they were: its answer is dropped.
    checks++;
    problems = problems.filter((problem) => problem.rule === undefined);
    pick(rules.length - 1);
    field.id.focus();
  };
  removeRule.addEventListener('click', () => {
    if (picked < 0) return;
    rules.splice(picked, 1);
    checks++;
    problems = [];
    pick(Math.min(picked, rules.length - 1));
    if (rules.length > 0) checkSoon();
  });

  /** A refused save's `fields` on the rules they name (`rules.<id or index>.<field>`), the rest in the list. */
  const showRefusal = (fields: readonly { path: string; message: string }[]) => {
    problems = fields.map(({ path, message }) => {
      const [head, key, ...rest] = path.split('.');
      if (head !== 'rules' || key === undefined) return { path, message, field: '' };
      const byId = rules.findIndex((rule) => rule.id === key);
      const index = byId >= 0 ? byId : /^\d+$/.test(key) ? Number(key) : -1;
      return index < 0 || index >= rules.length
        ? { path, message, field: '' }
        : { path, message, rule: index, field: rest.join('.') };
    });
    // Mark a refused condition where it is (the 400 says where only in words): ask the check for it.
    const refused = problems.find((problem) => problem.rule !== undefined && problem.field === 'condition');
    if (refused?.rule !== undefined) pick(refused.rule);
    renderProblems();
    if (refused) void check();
  };

  const save = async (event: Event) => {
    event.preventDefault();
    readForm();
    const body = {
      description: description.value.trim(),
      rules: rules.map(ruleBody),
      lists: Object.fromEntries(lists.map((list) => [list.name, list.entries()])),
    };
    try {
      const created = await api.createDraft(set, body);
      location.hash = versionLink(set, created.version);
      show(`Draft version ${created.version} saved. Propose it when it is ready.`, 'info');
    } catch (error) {
      if (error instanceof ApiError && error.fields.length > 0) showRefusal(error.fields);
      explain(error);
    }
  };

  pick(picked);
  return section(
    'New draft',
    h(
      'form',
      { id: 'draft-form', class: 'editor', onsubmit: (event) => void save(event) },
      h(
        'div',
        {},
        h('label', {}, 'Description of the change', description),
        h('h3', {}, 'Rules'),
        rulesTable,
        h('button', { type: 'button', class: 'secondary', id: 'add-rule', onclick: addRule }, 'Add a rule'),
        ruleFields,
        problemList,
        h('h3', {}, 'Lists'),
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
                if (!name || listNames().includes(name)) return;
                const list = listEditor(name, []);
                lists.push(list);
                listsBox.append(list.element);
                facts.setLists(listNames());
                newList.value = '';
                checkSoon();
              },
            },
            'Add a list',
          ),
        ),
        h('button', { type: 'submit' }, 'Save draft'),
      ),
      facts.element,
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
