import { api } from '../../api/client.js';
import type { RuleSetName } from '../../api/types.js';
import { h, mount } from '../../dom/h.js';
import { section } from '../../dom/widgets.js';
import { explain } from '../../feedback.js';
import { backtestsSection } from './backtests.js';
import { performanceSection } from './performance.js';
import { lastDays, windowInstants } from './series.js';
import { shadowSection } from './shadow.js';

/** The window (whole UTC days) survives a visit to a case, for this tab only. */
const WINDOW_KEY = 'tm-proxy-insights-window';
const DEFAULT_DAYS = 30;

const savedWindow = (): { from: string; to: string } => {
  const saved = new URLSearchParams(sessionStorage.getItem(WINDOW_KEY) ?? '');
  const from = saved.get('from');
  const to = saved.get('to');
  return from && to ? { from, to } : lastDays(DEFAULT_DAYS);
};

/** One part of the page; if it cannot be loaded, the others still show and it says why. */
const part = async (title: string, build: () => Promise<HTMLElement>): Promise<HTMLElement> => {
  try {
    return await build();
  } catch (error) {
    explain(error);
    return section(title, h('p', { class: 'error-text' }, `Could not load this part: ${String(error)}`));
  }
};

const windowForm = (window: { from: string; to: string }, apply: () => void) =>
  h(
    'form',
    {
      id: 'insights-window',
      class: 'filters',
      onsubmit: (event: Event) => {
        event.preventDefault();
        const data = new FormData(event.target as HTMLFormElement);
        sessionStorage.setItem(
          WINDOW_KEY,
          new URLSearchParams({ from: String(data.get('from')), to: String(data.get('to')) }).toString(),
        );
        apply();
      },
    },
    h('label', {}, 'From', h('input', { name: 'from', type: 'date', value: window.from, required: true })),
    h('label', {}, 'To', h('input', { name: 'to', type: 'date', value: window.to, required: true })),
    h('button', { type: 'submit' }, 'Show'),
  );

/**
 * The Insights page of the outbound rule set, for whoever tunes it: how each rule did over a
 * window (charts and a table, the rule to tune next first), backtests of a version against the
 * stored decisions, and the shadow run. `#/insights/backtests/<id>` shows that backtest.
 */
export const renderInsights = async (backtestId?: string, set: RuleSetName = 'outbound') => {
  const window = savedWindow();
  const instants = windowInstants(window.from, window.to);
  const overview = await api.getRuleSet(set);
  const [performance, backtests, shadow] = await Promise.all([
    part('Rule performance', async () =>
      performanceSection(await api.rulePerformance(set, instants.from, instants.to)),
    ),
    part('Backtests', () => backtestsSection(set, overview.versions, window, backtestId)),
    part('Shadow run', () => shadowSection(set, window)),
  ]);
  mount(
    h('h1', {}, `Rule insights: ${set}`),
    windowForm(window, () => void renderInsights(backtestId, set).catch(explain)),
    performance,
    backtests,
    shadow,
  );
  if (backtestId) document.getElementById('backtest')?.scrollIntoView();
};
