import { api } from '../../api/client.js';
import type { Backtest, BacktestSummary, RuleSetName, VersionSummary } from '../../api/types.js';
import { h } from '../../dom/h.js';
import { table } from '../../dom/table.js';
import { badge, definitionList, section } from '../../dom/widgets.js';
import { explain } from '../../feedback.js';
import { when, words } from '../../format.js';
import { backtestLink, caseLink } from '../../links.js';
import { barChart } from './charts.js';
import { agreementPercent, outcomeComparison, progressText, windowInstants, windowText } from './series.js';

/** How often a RUNNING backtest is asked again. */
const POLL_MS = 1000;

const dateField = (name: string, label: string, value: string) =>
  h('label', {}, label, h('input', { name, type: 'date', value, required: true }));

/** Start a backtest of a version over a window of days; the page then shows it as it runs. */
const startForm = (set: RuleSetName, versions: readonly VersionSummary[], window: { from: string; to: string }) => {
  const newest = [...versions].sort((a, b) => b.version - a.version);
  return h(
    'form',
    {
      id: 'backtest-form',
      class: 'filters',
      onsubmit: (event: Event) => {
        event.preventDefault();
        const data = new FormData(event.target as HTMLFormElement);
        const { from, to } = windowInstants(String(data.get('from')), String(data.get('to')));
        void api
          .startBacktest(set, Number(data.get('version')), from, to)
          .then(({ backtestId }) => {
            location.hash = backtestLink(backtestId);
          })
          .catch(explain);
      },
    },
    h(
      'label',
      {},
      'Version to backtest',
      h(
        'select',
        { name: 'version' },
        ...newest.map((version) =>
          h(
            'option',
            { value: String(version.version) },
            `v${version.version} (${words(version.state).toLowerCase()})`,
          ),
        ),
      ),
    ),
    dateField('from', 'Replay from', window.from),
    dateField('to', 'Replay to', window.to),
    h('button', { type: 'submit' }, 'Start backtest'),
  );
};

const backtestsTable = (backtests: readonly BacktestSummary[], chosen?: string) =>
  table(
    {
      id: 'backtests',
      headers: ['Backtest', 'Version', 'Window', 'By', 'Started', 'State', 'Progress'],
      empty: 'No backtest yet.',
    },
    backtests.map((backtest) => ({
      attrs: { 'data-id': backtest.backtestId, class: backtest.backtestId === chosen ? 'chosen' : '' },
      cells: [
        h('a', { href: backtestLink(backtest.backtestId) }, backtest.backtestId),
        `v${backtest.version}`,
        windowText(backtest.from, backtest.to),
        backtest.createdBy,
        when(backtest.createdAt),
        badge(backtest.status),
        progressText(backtest),
      ],
    })),
  );

/** What the candidate version would have done with the window's decisions, against what was recorded. */
const resultView = (backtest: Backtest) => {
  const { result } = backtest;
  const agreement = agreementPercent(result.vsAnalysts);
  return h(
    'div',
    { id: 'backtest-result' },
    h(
      'div',
      { class: 'charts' },
      barChart('chart-outcomes', 'Outcomes: recorded against the candidate version', outcomeComparison(result)),
      h(
        'div',
        { id: 'vs-analysts' },
        h('h3', {}, 'Against the analysts’ decisions'),
        definitionList([
          ['Cases analysts decided', result.vsAnalysts.decided],
          ['The candidate agrees', `${result.vsAnalysts.agreed}${agreement === null ? '' : ` (${agreement}%)`}`],
          ['It would let through what analysts rejected', result.vsAnalysts.letThrough],
          ['It would reject what analysts approved', result.vsAnalysts.wouldReject],
          ['Decisions whose outcome flips', result.flipCount],
        ]),
      ),
    ),
    table(
      {
        id: 'backtest-outcomes',
        headers: ['Outcome', 'Recorded', 'Candidate'],
      },
      (['APPROVED', 'REJECTED', 'PENDING_EXTERNAL_APPROVAL'] as const).map((outcome) => ({
        attrs: { 'data-outcome': outcome },
        cells: [words(outcome), String(result.recorded[outcome]), String(result.candidate[outcome])],
      })),
    ),
    h('h3', {}, 'Per rule of the candidate'),
    table(
      {
        id: 'backtest-rules',
        headers: ['Rule', 'Hits', 'Of which analysts rejected', 'Of which analysts approved'],
        empty: 'No rule of the candidate hit.',
      },
      result.perRule.map((rule) => ({
        attrs: { 'data-rule': rule.rule },
        cells: [
          h('code', {}, rule.rule),
          String(rule.hits),
          String(rule.analystRejected),
          String(rule.analystApproved),
        ],
      })),
    ),
    h(
      'h3',
      {},
      `Flips${result.flips.length < result.flipCount ? ` (the first ${result.flips.length} of ${result.flipCount})` : ''}`,
    ),
    table(
      {
        id: 'backtest-flips',
        headers: ['Transaction', 'When', 'Recorded', 'Candidate', 'Rules that made the difference', 'Analyst'],
        empty: 'No decision would change.',
      },
      result.flips.map((flip) => ({
        attrs: { 'data-id': flip.transactionId },
        cells: [
          h('a', { href: caseLink(flip.transactionId) }, flip.transactionId),
          when(flip.createdAt),
          badge(flip.from),
          badge(flip.to),
          flip.rules.join(', ') || '—',
          flip.analyst ? badge(flip.analyst) : '—',
        ],
      })),
    ),
  );
};

/** One backtest: its state and progress, and its result once there is one. */
const detailView = (backtest: Backtest) =>
  h(
    'div',
    { id: 'backtest', 'data-status': backtest.status },
    h(
      'h3',
      {},
      `Backtest ${backtest.backtestId}: v${backtest.version} over ${windowText(backtest.from, backtest.to)} `,
      badge(backtest.status),
    ),
    h(
      'p',
      { id: 'backtest-progress' },
      h('progress', { max: String(Math.max(1, backtest.total)), value: String(backtest.processed) }),
      ` ${progressText(backtest)}`,
      backtest.finishedAt ? ` · finished ${when(backtest.finishedAt)}` : '',
    ),
    backtest.status === 'FAILED'
      ? h('p', { class: 'error-text' }, 'This backtest failed; start another.')
      : backtest.status === 'DONE'
        ? resultView(backtest)
        : h('p', { class: 'muted' }, 'Running: this updates by itself.'),
  );

/**
 * Asks again every second while the backtest runs, redrawing its part of the page, and stops
 * once it has finished or the page shows something else; `finished` redraws the list.
 */
const follow = (backtest: Backtest, holder: HTMLElement, finished: () => Promise<void>) => {
  if (backtest.status !== 'RUNNING') return;
  setTimeout(() => {
    if (!holder.isConnected) return;
    void api
      .getBacktest(backtest.backtestId)
      .then(async (next) => {
        if (!holder.isConnected) return;
        holder.replaceChildren(detailView(next));
        if (next.status === 'RUNNING') follow(next, holder, finished);
        else await finished();
      })
      .catch(explain);
  }, POLL_MS);
};

/** The Backtests part: the form, the list (newest first) and the chosen backtest, followed while it runs. */
export const backtestsSection = async (
  set: RuleSetName,
  versions: readonly VersionSummary[],
  window: { from: string; to: string },
  chosenId?: string,
) => {
  const [{ backtests }, chosen] = await Promise.all([
    api.listBacktests(set),
    chosenId ? api.getBacktest(chosenId) : Promise.resolve(undefined),
  ]);
  const list = h('div', {}, backtestsTable(backtests, chosenId));
  const holder = h('div', { id: 'backtest-holder' }, chosen ? detailView(chosen) : null);
  if (chosen)
    follow(chosen, holder, async () => {
      list.replaceChildren(backtestsTable((await api.listBacktests(set)).backtests, chosenId));
    });
  return section(
    'Backtests',
    h(
      'p',
      { class: 'muted' },
      'Replays the stored decisions of a window through a version and compares what it would have decided.',
    ),
    startForm(set, versions, window),
    list,
    holder,
  );
};
