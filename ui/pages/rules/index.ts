import { api } from '../../api/client.js';
import type { RuleSetName, RuleSetVersion } from '../../api/types.js';
import { h, mount } from '../../dom/h.js';
import { table } from '../../dom/table.js';
import { badge, section } from '../../dom/widgets.js';
import { when } from '../../format.js';
import { rulesLink, versionLink } from '../../links.js';
import { isSupervisor } from '../../principal.js';
import { draftEditor, testPanel } from './editor.js';

const SETS: readonly RuleSetName[] = ['outbound', 'inbound'];

/** A version's rules as a table. */
export const rulesTable = (version: RuleSetVersion, id = 'rules') =>
  table(
    { id, headers: ['Rule', 'Description', 'Condition', 'Outcome', 'Score', 'Enabled'] },
    version.rules.map((rule) => [
      rule.id,
      rule.description,
      h('code', {}, rule.condition),
      rule.outcome,
      rule.score === undefined ? '—' : String(rule.score),
      rule.enabled === false ? 'no' : 'yes',
    ]),
  );

/** Each list's name and size. */
export const listsSummary = (lists: Record<string, string[]> | Record<string, number>) =>
  h(
    'ul',
    { class: 'lists' },
    ...Object.entries(lists).map(([name, entries]) =>
      h('li', {}, h('code', {}, `lists.${name}`), ` ${Array.isArray(entries) ? entries.length : entries} entries`),
    ),
  );

/**
 * The Rules page of one set: the ACTIVE version with its rules and lists, every version with its
 * state, author and approver, the history, a new draft (supervisors) and the test panel.
 */
export const renderRules = async (set: RuleSetName) => {
  const [overview, history] = await Promise.all([api.getRuleSet(set), api.ruleSetHistory(set)]);
  const active = overview.active;
  mount(
    h('h1', {}, 'Rules'),
    h(
      'p',
      { class: 'row', id: 'rule-sets' },
      ...SETS.map((name) => (name === set ? h('strong', {}, name) : h('a', { href: rulesLink(name) }, name))),
    ),
    section(
      active ? `Active: version ${active.version}` : 'No active version',
      active
        ? h(
            'div',
            { id: 'active' },
            h('p', {}, active.description),
            h(
              'p',
              { class: 'muted' },
              `By ${active.author}, approved by ${active.approver ?? '—'} ${active.approvedAt ? when(active.approvedAt) : ''}`,
            ),
            rulesTable(active),
            listsSummary(active.lists),
          )
        : null,
    ),
    section(
      'Versions',
      table(
        { id: 'versions', headers: ['Version', 'State', 'Description', 'Author', 'Approver', 'Written', 'Decided'] },
        overview.versions.map((version) => ({
          cells: [
            h('a', { href: versionLink(set, version.version) }, `v${version.version}`),
            badge(version.state),
            version.description,
            version.author,
            version.approver ?? version.rejectedBy ?? '—',
            when(version.createdAt),
            version.approvedAt ? when(version.approvedAt) : version.rejectedAt ? when(version.rejectedAt) : '—',
          ],
          attrs: { 'data-version': String(version.version) },
        })),
      ),
    ),
    isSupervisor() ? draftEditor(set, active, overview) : null,
    testPanel(set),
    section(
      'History',
      table(
        { id: 'rule-history', headers: ['When', 'Who', 'What', 'Version', 'Change against the active version'] },
        history.items.map((entry) => [
          when(entry.at),
          entry.actor,
          entry.action,
          `v${entry.version}`,
          `${entry.diff.rules.added.length} added, ${entry.diff.rules.removed.length} removed, ${entry.diff.rules.changed.length} changed rules; ${Object.keys(entry.diff.lists).length} lists changed${entry.reason ? ` — ${entry.reason}` : ''}`,
        ]),
      ),
    ),
  );
};
