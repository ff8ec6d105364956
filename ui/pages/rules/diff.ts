import type { Rule, VersionDiff } from '../../api/types.js';
import { h } from '../../dom/h.js';
import { table } from '../../dom/table.js';

const ruleCells = (rule: Rule | undefined) =>
  rule ? `${rule.outcome}${rule.enabled === false ? ' (disabled)' : ''} · ${rule.condition}` : '—';

/**
 * A version against the active one, side by side: each rule added, removed or changed with its
 * condition before and after, and each list's entries added and removed (the first 100 of each).
 */
export const diffView = (diff: VersionDiff, against: number | null) => {
  const rows = [
    ...diff.rules.added.map((rule) => ({ cells: [rule.id, 'added', '—', ruleCells(rule)], attrs: { class: 'added' } })),
    ...diff.rules.removed.map((rule) => ({
      cells: [rule.id, 'removed', ruleCells(rule), '—'],
      attrs: { class: 'removed' },
    })),
    ...diff.rules.changed.map((change) => ({
      cells: [change.id, 'changed', ruleCells(change.before), ruleCells(change.after)],
      attrs: { class: 'changed' },
    })),
  ];
  const lists = Object.entries(diff.lists).map(([name, change]) =>
    h(
      'p',
      {},
      h('strong', {}, name),
      ` +${change.addedCount} / −${change.removedCount}`,
      change.added.length
        ? ` added: ${change.added.join(', ')}${change.addedCount > change.added.length ? ', …' : ''}`
        : null,
      change.removed.length
        ? ` removed: ${change.removed.join(', ')}${change.removedCount > change.removed.length ? ', …' : ''}`
        : null,
    ),
  );
  return h(
    'div',
    { id: 'diff' },
    h(
      'p',
      { class: 'muted' },
      against === null ? 'No active version to compare with.' : `Against active version ${against}.`,
    ),
    diff.description ? h('p', {}, `Description: “${diff.description.before}” → “${diff.description.after}”`) : null,
    table(
      {
        id: 'diff-rules',
        headers: ['Rule', 'Change', `Active (v${against ?? '—'})`, 'This version'],
        empty: 'No rule changes.',
      },
      rows,
    ),
    ...lists,
  );
};
