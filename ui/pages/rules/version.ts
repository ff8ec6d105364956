import { api } from '../../api/client.js';
import type { RuleSetName, VersionView } from '../../api/types.js';
import { h, mount } from '../../dom/h.js';
import { badge, definitionList, section } from '../../dom/widgets.js';
import { explain, show } from '../../feedback.js';
import { when } from '../../format.js';
import { rulesLink, versionLink } from '../../links.js';
import { isSupervisor, principal } from '../../principal.js';
import { diffView } from './diff.js';
import { listsSummary, rulesTable } from './index.js';

const at = (iso: string | null) => (iso ? when(iso) : null);

/** The buttons a signed-in supervisor may use on this version; the server checks four-eyes again. */
const actions = (set: RuleSetName, version: VersionView) => {
  if (!isSupervisor()) return null;
  const me = principal()?.name;
  const act = (run: () => Promise<unknown>, done: string) => async () => {
    try {
      await run();
      await renderVersion(set, version.version);
      show(done, 'info');
    } catch (error) {
      explain(error);
    }
  };
  const buttons: HTMLElement[] = [];
  if (version.state === 'DRAFT') {
    buttons.push(
      h(
        'button',
        {
          id: 'propose',
          onclick: act(() => api.proposeVersion(set, version.version), 'Proposed: another supervisor must approve it.'),
        },
        'Propose',
      ),
    );
  }
  if (version.state === 'PROPOSED') {
    const own = me === version.author || me === version.proposedBy;
    buttons.push(
      own
        ? h(
            'p',
            { class: 'muted', id: 'own-proposal' },
            'You wrote or proposed this version: another supervisor must approve it.',
          )
        : h(
            'button',
            {
              id: 'approve',
              onclick: act(() => api.approveVersion(set, version.version), 'Approved: it is now ACTIVE.'),
            },
            'Approve',
          ),
    );
    const reason = h('input', { name: 'reject-reason', placeholder: 'Why it is rejected' });
    buttons.push(
      reason,
      h(
        'button',
        {
          id: 'reject',
          class: 'danger',
          onclick: act(() => api.rejectVersion(set, version.version, reason.value), 'Rejected.'),
        },
        'Reject',
      ),
    );
  }
  if (version.state === 'RETIRED') {
    const rollback = async () => {
      try {
        const created = await api.rollbackTo(set, version.version);
        location.hash = versionLink(set, created.version);
        show(`Rollback proposed as version ${created.version}: another supervisor must approve it.`, 'info');
      } catch (error) {
        explain(error);
      }
    };
    buttons.push(
      h(
        'button',
        { id: 'rollback', class: 'secondary', onclick: () => void rollback() },
        'Propose rolling back to this version',
      ),
    );
  }
  return buttons.length ? h('div', { class: 'row', id: 'version-actions' }, ...buttons) : null;
};

/** One version, whole: who wrote, proposed and approved it and when, its rules and lists, and its diff against the active one. */
export const renderVersion = async (set: RuleSetName, number: number) => {
  const version = await api.getRuleSetVersion(set, number);
  mount(
    h('p', {}, h('a', { href: rulesLink(set) }, `← ${set} rules`)),
    h('div', { class: 'row' }, h('h1', {}, `${set} version ${version.version}`), badge(version.state)),
    section(
      null,
      h('p', {}, version.description),
      definitionList([
        ['Author', `${version.author} · ${when(version.createdAt)}`],
        ['Proposed by', version.proposedBy ? `${version.proposedBy} · ${at(version.proposedAt)}` : null],
        ['Approved by', version.approver ? `${version.approver} · ${at(version.approvedAt)}` : null],
        [
          'Rejected by',
          version.rejectedBy ? `${version.rejectedBy} · ${at(version.rejectedAt)} — ${version.rejectReason}` : null,
        ],
        ['Retired', at(version.retiredAt)],
        ['Copy of', version.copiedFrom ? `version ${version.copiedFrom}` : null],
      ]),
      actions(set, version),
    ),
    section('Changes', diffView(version.diff, version.activeVersion)),
    section('Rules', rulesTable(version, 'version-rules')),
    section('Lists', listsSummary(version.lists)),
  );
};
