import { api } from '../../api/client.js';
import type { RuleSetName, RuleSetOverview, ShadowReport } from '../../api/types.js';
import { h } from '../../dom/h.js';
import { table } from '../../dom/table.js';
import { badge, definitionList, section } from '../../dom/widgets.js';
import { explain, show } from '../../feedback.js';
import { when, words } from '../../format.js';
import { caseLink } from '../../links.js';
import { isSupervisor } from '../../principal.js';
import { windowInstants } from './series.js';

const reportView = (report: ShadowReport) =>
  h(
    'div',
    { id: 'shadow-report' },
    definitionList([
      ['Version', `v${report.version}`],
      ['Running', report.running ? 'yes' : 'no'],
      ['Since', when(report.since)],
      ['Agreed with the live decision', report.agreed],
      ['Disagreed', report.disagreed],
    ]),
    table(
      {
        id: 'shadow-disagreements',
        headers: ['Transaction', 'When', 'Live', 'Shadow', 'Live rules', 'Shadow rules'],
        empty: 'No disagreement.',
      },
      report.disagreements.map((item) => ({
        attrs: { 'data-id': item.transactionId },
        cells: [
          h('a', { href: caseLink(item.transactionId) }, item.transactionId),
          when(item.createdAt),
          badge(item.live),
          badge(item.shadow),
          item.liveHits.join(', ') || '—',
          item.shadowHits.join(', ') || '—',
        ],
      })),
    ),
  );

/** Supervisors start a version in shadow, or stop the one running; the server checks the role. */
const controls = (set: RuleSetName, overview: RuleSetOverview, redraw: (stopped?: number) => Promise<void>) => {
  if (!isSupervisor()) return null;
  const act = (run: () => Promise<unknown>, done: string, stopped?: number) => {
    void run()
      .then(() => redraw(stopped))
      .then(() => show(done, 'info'))
      .catch(explain);
  };
  const running = overview.shadowVersion ?? null;
  if (running !== null)
    return h(
      'p',
      {},
      h(
        'button',
        {
          type: 'button',
          id: 'stop-shadow',
          onclick: () => act(() => api.stopShadow(set, running), `Shadow run of v${running} stopped.`, running),
        },
        `Stop shadow of v${running}`,
      ),
    );
  const candidates = overview.versions.filter((version) => version.version !== overview.active?.version);
  if (candidates.length === 0) return h('p', { class: 'muted' }, 'No version other than the active one to shadow.');
  const choice = h(
    'select',
    { name: 'shadow-version' },
    ...[...candidates]
      .sort((a, b) => b.version - a.version)
      .map((version) =>
        h('option', { value: String(version.version) }, `v${version.version} (${words(version.state).toLowerCase()})`),
      ),
  );
  return h(
    'form',
    {
      id: 'shadow-form',
      class: 'filters',
      onsubmit: (event: Event) => {
        event.preventDefault();
        const version = Number(choice.value);
        act(() => api.startShadow(set, version), `v${version} now runs in shadow.`);
      },
    },
    h('label', {}, 'Version to shadow', choice),
    h('button', { type: 'submit' }, 'Start shadow'),
  );
};

/**
 * The Shadow part: which version runs beside the active one on live traffic (deciding nothing),
 * the buttons to start or stop it, and its report since the window's first day.
 */
export const shadowSection = async (set: RuleSetName, window: { from: string; to: string }) => {
  const holder = h('div', { id: 'shadow' });
  /** After a stop, the stopped version's report stays on the page. */
  const draw = async (stopped?: number) => {
    const overview = await api.getRuleSet(set);
    const running = overview.shadowVersion ?? null;
    const version = running ?? stopped ?? null;
    const report =
      version === null ? null : await api.shadowReport(set, version, windowInstants(window.from, window.to).from);
    holder.replaceChildren(
      section(
        'Shadow run',
        h(
          'p',
          { class: 'muted' },
          running === null
            ? 'No version runs in shadow.'
            : `v${running} runs in shadow: every live decision is also made with it, and only compared.`,
        ),
        controls(set, overview, draw),
        report ? reportView(report) : null,
      ),
    );
  };
  await draw();
  return holder;
};
