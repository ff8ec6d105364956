/**
 * The analysts' web UI: sign in with a token (kept for this browser session only, never in a
 * URL), the case queue, a case page with its actions, dead webhooks and OnePipe accounts. Plain
 * TypeScript, one module per page (pages/), one typed client for the admin API (api/) and one
 * way to build elements and tables (dom/); all data is written as text, never as HTML, and no
 * view library: the pages are redrawn whole after each action, which `h` does in a few lines.
 */
import { api } from './api/client.js';
import { byId } from './dom/h.js';
import { clearMessage, explain, onTokenRefused } from './feedback.js';
import { ACCOUNTS, DEAD_WEBHOOKS } from './links.js';
import { renderAccounts } from './pages/accounts/index.js';
import { renderCase } from './pages/case/index.js';
import { renderDeliveries } from './pages/deliveries.js';
import { renderQueue } from './pages/queue.js';
import { renderSignIn } from './pages/sign-in.js';
import { forgetToken, token } from './session.js';

const CASE_PREFIX = '#/cases/';

/** Shows the page the URL hash names; the queue is the home page. */
const route = async () => {
  if (!token()) return signIn();
  const hash = location.hash;
  try {
    if (hash.startsWith(CASE_PREFIX)) await renderCase(decodeURIComponent(hash.slice(CASE_PREFIX.length)));
    else if (hash === DEAD_WEBHOOKS) await renderDeliveries();
    else if (hash === ACCOUNTS) await renderAccounts();
    else await renderQueue();
  } catch (error) {
    explain(error);
  }
};

/** Checks the token with the server, names the person in the header and shows the page. */
const start = async () => {
  const me = await api.whoAmI();
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
