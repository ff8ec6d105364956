/**
 * The analysts' web UI: sign in with a token (kept for this browser session only, never in a
 * URL), the case queue, a case page with its actions, dead webhooks, OnePipe accounts, the
 * rules and their insights (charts drawn by uPlot). Plain TypeScript, one module per page
 * (pages/), one typed client for the admin API (api/) and one way to build elements and tables
 * (dom/); all data is written as text, never as HTML, and no view library: the pages are redrawn
 * whole after each action, which `h` does in a few lines.
 */
// First: a browser language Intl refuses must be fixed before uPlot loads (see locale-guard.ts).
import './locale-guard.js';
import { api } from './api/client.js';
import { byId } from './dom/h.js';
import { clearMessage, explain, onTokenRefused } from './feedback.js';
import { ACCOUNTS, DEAD_WEBHOOKS, INSIGHTS, RULES } from './links.js';
import { renderAccounts } from './pages/accounts/index.js';
import { renderCase } from './pages/case/index.js';
import { renderDeliveries } from './pages/deliveries.js';
import { renderInsights } from './pages/insights/index.js';
import { renderQueue } from './pages/queue.js';
import { renderRules } from './pages/rules/index.js';
import { renderVersion } from './pages/rules/version.js';
import { renderSignIn } from './pages/sign-in.js';
import { rememberPrincipal } from './principal.js';
import { forgetToken, token } from './session.js';

const CASE_PREFIX = '#/cases/';
const BACKTEST_PREFIX = `${INSIGHTS}/backtests/`;

/** `#/rules/<set>` and `#/rules/<set>/versions/<n>`; the outbound set by default. */
const routeRules = (rest: string) => {
  const [set, , version] = rest.split('/');
  const name = set === 'inbound' ? 'inbound' : 'outbound';
  return version ? renderVersion(name, Number(version)) : renderRules(name);
};

/** Shows the page the URL hash names; the queue is the home page. */
const route = async () => {
  if (!token()) return signIn();
  const hash = location.hash;
  try {
    if (hash.startsWith(CASE_PREFIX)) await renderCase(decodeURIComponent(hash.slice(CASE_PREFIX.length)));
    else if (hash === DEAD_WEBHOOKS) await renderDeliveries();
    else if (hash === ACCOUNTS) await renderAccounts();
    else if (hash === RULES || hash.startsWith(`${RULES}/`)) await routeRules(hash.slice(RULES.length + 1));
    else if (hash.startsWith(BACKTEST_PREFIX))
      await renderInsights(decodeURIComponent(hash.slice(BACKTEST_PREFIX.length)));
    else if (hash === INSIGHTS) await renderInsights();
    else await renderQueue();
  } catch (error) {
    explain(error);
  }
};

/** Checks the token with the server, names the person in the header and shows the page. */
const start = async () => {
  const me = await api.whoAmI();
  rememberPrincipal(me);
  byId('who').textContent = `${me.name} (${me.role})`;
  byId('nav').hidden = false;
  clearMessage();
  await route();
};

const signIn = () => renderSignIn(start);

onTokenRefused(signIn);
window.addEventListener('hashchange', () => {
  clearMessage();
  void route();
});
byId('sign-out').addEventListener('click', () => {
  forgetToken();
  signIn();
});

if (token()) void start().catch(explain);
else signIn();
