import { h } from '../../dom/h.js';

const SHOWN_MATCHES = 20;

const entriesOf = (area: HTMLTextAreaElement) =>
  area.value
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);

/**
 * One list's entries as a textarea (one a line: paste many at once), with a search that counts
 * matches and shows the first of them, each with a button that removes it from the list.
 */
export const listEditor = (name: string, entries: readonly string[]) => {
  const area = h('textarea', { name: `list-${name}`, rows: '4', 'data-list': name, 'aria-label': `lists.${name}` });
  area.value = entries.join('\n');
  const found = h('span', { class: 'muted', 'aria-live': 'polite' }, `${entries.length} entries`);
  const matches = h('ul', { class: 'list-matches' });
  const search = h('input', {
    type: 'search',
    placeholder: 'Search this list',
    'aria-label': `Search lists.${name}`,
    oninput: () => refresh(),
  });
  const remove = (entry: string) => {
    area.value = entriesOf(area)
      .filter((line) => line !== entry)
      .join('\n');
    refresh();
  };
  const refresh = () => {
    const lines = entriesOf(area);
    const term = search.value.trim().toUpperCase();
    const matching = term ? lines.filter((line) => line.toUpperCase().includes(term)) : [];
    found.textContent = term ? `${matching.length} of ${lines.length} match` : `${lines.length} entries`;
    matches.replaceChildren(
      ...matching
        .slice(0, SHOWN_MATCHES)
        .map((entry) =>
          h(
            'li',
            {},
            h('code', {}, entry),
            ' ',
            h(
              'button',
              { type: 'button', class: 'link', 'aria-label': `Remove ${entry}`, onclick: () => remove(entry) },
              'Remove',
            ),
          ),
        ),
      ...(matching.length > SHOWN_MATCHES ? [h('li', { class: 'muted' }, '…')] : []),
    );
  };
  area.addEventListener('change', refresh);
  return {
    name,
    entries: () => entriesOf(area),
    element: h(
      'div',
      { class: 'list-editor' },
      h('strong', {}, `lists.${name}`),
      area,
      h('div', { class: 'row' }, search, found),
      matches,
    ),
  };
};
export type ListEditor = ReturnType<typeof listEditor>;
