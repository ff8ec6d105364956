/**
 * The analysts' web UI: sign in with a token (kept for this browser session only, never in a
 * URL), the case queue, a case page with its actions, and dead webhooks. Plain TypeScript; all
 * data is written as text, never as HTML.
 */

// biome-ignore lint/suspicious/noExplicitAny: API answers are read loosely here; the server validates everything.
type Json = Record<string, any>;

const TOKEN_KEY = 'tm-proxy-token';
const main = document.getElementById('main') as HTMLElement;
const message = document.getElementById('message') as HTMLElement;

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Builds an element: h('td', { class: 'x' }, 'text', child). Strings become text nodes. */
const h = (
  tag: string,
  attrs: Record<string, string | boolean | ((e: Event) => void)> = {},
  ...children: (Node | string | null | undefined)[]
) => {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (typeof value === 'function') element.addEventListener(name.replace(/^on/, ''), value);
    else if (value === true) element.setAttribute(name, '');
    else if (value !== false) element.setAttribute(name, value);
  }
  for (const child of children) if (child !== null && child !== undefined) element.append(child);
  return element;
};

const show = (text: string, kind: 'error' | 'info' = 'error') => {
  message.textContent = text;
  message.className = kind;
  message.hidden = false;
};
const clearMessage = () => {
  message.hidden = true;
};

const token = () => sessionStorage.getItem(TOKEN_KEY);

const api = async (path: string, init: { method?: string; body?: unknown } = {}): Promise<Json> => {
  const response = await fetch(path, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${token() ?? ''}`, 'content-type': 'application/json' },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const body = (await response.json().catch(() => ({}))) as Json;
  if (!response.ok)
    throw new ApiError(response.status, body.error?.code ?? 'ERROR', body.error?.message ?? response.statusText);
  return body;
};

/** Clear words for what went wrong; a 401 sends the user back to sign-in. */
const explain = (error: unknown) => {
  if (!(error instanceof ApiError)) return show(`Something went wrong: ${(error as Error).message}`);
  if (error.status === 401) {
    sessionStorage.removeItem(TOKEN_KEY);
    renderSignIn();
    return show('Your token was not accepted (401). Sign in again.');
  }
  if (error.status === 403) return show(`Not allowed (403): ${error.message}`);
  if (error.status === 409) return show(`Conflict (409): ${error.message}. The page shows the current state.`);
  if (error.status === 404) return show(`Not found (404): ${error.message}`);
  if (error.status === 400) return show(`Please check the form (400): ${error.message}`);
  return show(`The server could not do that (${error.status}): ${error.message}`);
};

const money = (amount: number, currency?: string | null) =>
  `${amount.toLocaleString('en-GB', { minimumFractionDigits: 2, maximumFractionDigits: 2 })} ${currency ?? ''}`.trim();

const duration = (ms: number) => {
  const minutes = Math.round(Math.abs(ms) / 60_000);
  const hours = Math.floor(minutes / 60);
  return hours > 0 ? `${hours}h ${minutes % 60}m` : `${minutes}m`;
};

const slaCell = (sla: Json | null) => {
  if (!sla) return h('span', { class: 'muted' }, '—');
  if (sla.expired) return h('span', { class: 'expired' }, 'expired');
  return h(
    'span',
    { class: sla.atRisk ? 'risk' : '' },
    `${duration(sla.remainingMs)} left${sla.atRisk ? ' · at risk' : ''}`,
  );
};

const badge = (text: string) => h('span', { class: `badge ${text}` }, text.replaceAll('_', ' '));

// ---------- sign in ----------

const renderSignIn = () => {
  (document.getElementById('nav') as HTMLElement).hidden = true;
  const input = h('input', {
    type: 'password',
    name: 'token',
    autocomplete: 'off',
    required: true,
    'aria-label': 'Token',
  }) as HTMLInputElement;
  const form = h(
    'form',
    {
      onsubmit: async (event: Event) => {
        event.preventDefault();
        sessionStorage.setItem(TOKEN_KEY, input.value.trim());
        try {
          await start();
        } catch (error) {
          explain(error);
        }
      },
    },
    h('label', {}, 'Your access token', input),
    h('p', { class: 'muted' }, 'It is kept for this browser tab only.'),
    h('button', { type: 'submit' }, 'Sign in'),
  );
  main.replaceChildren(h('section', { class: 'signin' }, h('h1', {}, 'Sign in'), form));
};

// ---------- queue ----------

const renderQueue = async (
  params = new URLSearchParams(sessionStorage.getItem('tm-proxy-filters') ?? 'status=PENDING'),
) => {
  const field = (name: string, label: string, attrs: Record<string, string> = {}) =>
    h('label', {}, label, h('input', { name, value: params.get(name) ?? '', ...attrs }));
  const status = h(
    'select',
    { name: 'status' },
    ...['PENDING', 'AWAITING_SECOND_APPROVAL', 'APPROVED', 'REJECTED', 'INFORMATIONAL'].map((value) =>
      h('option', { value, selected: params.get('status') === value }, value.replaceAll('_', ' ').toLowerCase()),
    ),
  );
  const filters = h(
    'form',
    {
      class: 'filters',
      onsubmit: (event: Event) => {
        event.preventDefault();
        const data = new URLSearchParams();
        for (const [key, value] of new FormData(event.target as HTMLFormElement))
          if (String(value)) data.set(key, String(value));
        sessionStorage.setItem('tm-proxy-filters', data.toString());
        void renderQueue(data).catch(explain);
      },
    },
    h('label', {}, 'Status', status),
    field('minAmount', 'Minimum amount', { type: 'number', min: '0', step: 'any' }),
    field('rule', 'Rule'),
    field('customer', 'Customer'),
    field('olderThanHours', 'Older than (hours)', { type: 'number', min: '0', step: 'any' }),
    h('button', { type: 'submit' }, 'Apply'),
  );
  const body = h('tbody');
  const table = h(
    'table',
    { id: 'queue' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...['Transaction', 'Customer', 'Amount', 'Age', 'Time limit', 'Rule hits', 'Claimed by', 'State'].map((t) =>
          h('th', {}, t),
        ),
      ),
    ),
    body,
  );
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Load more');
  main.replaceChildren(h('h1', {}, 'Case queue'), filters, table, h('p', {}, more));

  const load = async (cursor?: string) => {
    const query = new URLSearchParams(params);
    if (cursor) query.set('cursor', cursor);
    const page = await api(`/api/cases?${query}`);
    for (const item of page.items as Json[]) {
      body.append(
        h(
          'tr',
          {
            class: 'clickable',
            'data-id': item.transactionId,
            onclick: () => (location.hash = `#/cases/${encodeURIComponent(item.transactionId)}`),
          },
          h('td', {}, h('a', { href: `#/cases/${encodeURIComponent(item.transactionId)}` }, item.transactionId)),
          h('td', {}, item.customer),
          h('td', {}, money(item.baseAmount, item.currency)),
          h('td', {}, duration(Date.now() - Date.parse(item.createdAt))),
          h('td', {}, slaCell(item.sla)),
          h('td', {}, (item.reasons as Json[]).map((reason) => reason.rule).join(', ')),
          h('td', {}, item.claimedBy ?? '—'),
          h('td', {}, badge(item.caseStatus)),
        ),
      );
    }
    if (body.children.length === 0)
      body.append(h('tr', {}, h('td', { colspan: '8', class: 'muted' }, 'No cases match.')));
    more.hidden = !page.nextCursor;
    more.onclick = () => void load(page.nextCursor).catch(explain);
  };
  await load();
};

// ---------- case page ----------

const definition = (pairs: [string, unknown][]) =>
  h(
    'dl',
    {},
    ...pairs.flatMap(([term, value]) => [
      h('dt', {}, term),
      h('dd', {}, value === null || value === undefined || value === '' ? '—' : String(value)),
    ]),
  );

const party = (title: string, account: Json | undefined, normalised: Json | undefined) =>
  h(
    'section',
    {},
    h('h2', {}, title),
    definition([
      ['Name', account?.name],
      [
        'IBAN',
        account?.iban ? `${account.iban}${normalised?.ibanValid === false ? ' (not a valid IBAN)' : ''}` : undefined,
      ],
      ['BIC', account?.bicSwift],
      ['Account number', account?.accountNumber ?? account?.ukAccountNumber],
      ['Sort / routing code', account?.ukSortCode ?? account?.routingNumber],
      ['Country', account?.countryCode],
    ]),
  );

const renderCase = async (transactionId: string) => {
  const item = await api(`/api/cases/${encodeURIComponent(transactionId)}`);
  const open = item.reviewStage !== 'FINAL';
  const act = async (path: string, body?: unknown, done?: string) => {
    try {
      const result = await api(`/api/cases/${encodeURIComponent(transactionId)}/${path}`, {
        method: 'POST',
        body: body ?? {},
      });
      await renderCase(transactionId);
      show(done ?? 'Saved.', 'info');
      return result;
    } catch (error) {
      explain(error);
      await renderCase(transactionId).catch(() => undefined);
      return undefined;
    }
  };

  const header = h(
    'div',
    { class: 'row' },
    h('h1', {}, `Case ${item.transactionId}`),
    badge(item.caseStatus),
    item.fourEyes ? h('span', { class: 'badge' }, 'four-eyes') : null,
  );
  const tx = item.transaction ?? {};
  const payload = item.payload ?? {};
  const summary = h(
    'section',
    {},
    h('h2', {}, 'Transaction'),
    definition([
      ['Amount', money(item.baseAmount, item.currency)],
      ['Direction / pay type', `${tx.direction ?? ''} · ${tx.payType ?? ''}`],
      ['Customer', item.customer],
      ['Concept', payload.concept],
      ['Date', payload.date],
      ['Received', new Date(item.createdAt).toLocaleString()],
      [
        'Time limit',
        item.sla
          ? `${item.sla.expired ? 'expired' : `${duration(item.sla.remainingMs)} left`}${item.sla.atRisk ? ' (at risk)' : ''}`
          : 'closed',
      ],
      ['Claimed by', item.claimedBy],
    ]),
  );
  const reasons = h(
    'section',
    {},
    h('h2', {}, 'Why it was held'),
    h(
      'ul',
      { id: 'reasons' },
      ...(item.reasons as Json[]).map((reason) =>
        h('li', {}, h('strong', {}, reason.rule), ` — ${reason.description}`),
      ),
    ),
  );

  const actions = h('section', { id: 'actions' }, h('h2', {}, 'Decision'));
  if (item.firstDecision) {
    actions.append(
      h(
        'div',
        { class: 'callout', id: 'first-decision' },
        `First decision: ${item.firstDecision.status} by ${item.firstDecision.by} — “${item.firstDecision.reason}”. `,
        'A different supervisor must make the final decision.',
      ),
    );
  }
  if (open) {
    const reason = h('textarea', {
      name: 'reason',
      required: true,
      minlength: '3',
      placeholder: 'Why (required)',
    }) as HTMLTextAreaElement;
    const decide = (status: 'APPROVED' | 'REJECTED') => async () => {
      if (reason.value.trim().length < 3) return show('Please give a reason for the decision.');
      await act('decision', { status, reason: reason.value.trim() }, status === 'APPROVED' ? 'Approved.' : 'Rejected.');
    };
    actions.append(
      h(
        'div',
        { class: 'row' },
        item.claimedBy
          ? h(
              'button',
              { type: 'button', class: 'secondary', onclick: () => void act('release', {}, 'Released.') },
              'Release',
            )
          : h(
              'button',
              { type: 'button', class: 'secondary', onclick: () => void act('claim', {}, 'Claimed.') },
              'Claim',
            ),
      ),
      h('p', {}, h('label', {}, 'Reason', reason)),
      h(
        'div',
        { class: 'row' },
        h('button', { type: 'button', id: 'approve', onclick: decide('APPROVED') }, 'Approve'),
        h('button', { type: 'button', id: 'reject', class: 'danger', onclick: decide('REJECTED') }, 'Reject'),
      ),
    );
  } else {
    actions.append(
      definition([
        ['Final status', item.status],
        ['Decided by', item.decidedBy],
        ['When', item.decidedAt],
        ['Reason', item.finalReason],
      ]),
    );
  }

  const noteText = h('textarea', { name: 'note', placeholder: 'Add a note' }) as HTMLTextAreaElement;
  const notes = h(
    'section',
    {},
    h('h2', {}, 'Notes'),
    h(
      'ul',
      {},
      ...(item.notes as Json[]).map((note) =>
        h('li', {}, `${new Date(note.at).toLocaleString()} · ${note.by}: ${note.text}`),
      ),
    ),
    noteText,
    h(
      'button',
      {
        type: 'button',
        class: 'secondary',
        onclick: () => noteText.value.trim() && void act('notes', { text: noteText.value.trim() }, 'Note added.'),
      },
      'Add note',
    ),
  );

  const rows = (headers: string[], data: (string | Node)[][], id?: string) =>
    h(
      'table',
      id ? { id } : {},
      h('thead', {}, h('tr', {}, ...headers.map((title) => h('th', {}, title)))),
      h(
        'tbody',
        {},
        ...(data.length
          ? data.map((cells) => h('tr', {}, ...cells.map((cell) => h('td', {}, cell))))
          : [h('tr', {}, h('td', { colspan: String(headers.length), class: 'muted' }, 'None yet.'))]),
      ),
    );
  const history = h(
    'section',
    {},
    h('h2', {}, 'History'),
    rows(
      ['When', 'Who', 'What', 'Change'],
      (item.history as Json[]).map((entry) => [
        new Date(entry.at).toLocaleString(),
        entry.actor,
        entry.action,
        entry.before && entry.after
          ? `${entry.before.reviewStage}/${entry.before.claimedBy ?? '—'} → ${entry.after.reviewStage}/${entry.after.claimedBy ?? '—'}`
          : (entry.details?.text ?? entry.details?.reason ?? ''),
      ]),
    ),
  );
  const deliveries = h(
    'section',
    {},
    h('h2', {}, 'Webhooks to Toqio'),
    rows(
      ['Type', 'Status', 'Attempts', 'Last attempt'],
      (item.deliveries as Json[]).map((delivery) => {
        const last = (delivery.attempts as Json[]).at(-1);
        return [
          delivery.type,
          badge(delivery.status),
          String(delivery.attemptCount),
          last
            ? `${new Date(last.at).toLocaleString()} · ${last.httpStatus ?? last.error} · ${last.latencyMs} ms`
            : 'not yet sent',
        ];
      }),
      'deliveries',
    ),
  );
  const customer = h(
    'section',
    {},
    h('h2', {}, "Customer's recent payments"),
    rows(
      ['Transaction', 'Amount', 'Status', 'When'],
      (item.customerHistory as Json[]).map((entry) => [
        h('a', { href: `#/cases/${encodeURIComponent(entry.transactionId)}` }, entry.transactionId),
        money(entry.baseAmount, entry.currency),
        badge(entry.status),
        new Date(entry.createdAt).toLocaleString(),
      ]),
    ),
  );

  main.replaceChildren(
    h('p', {}, h('a', { href: '#/queue' }, '← Queue')),
    header,
    h('div', { class: 'grid' }, summary, reasons),
    h(
      'div',
      { class: 'grid' },
      party('Paying from', payload.sourceAccount, tx.source),
      party('Paying to', payload.destinationAccount, tx.destination),
    ),
    actions,
    h('div', { class: 'grid' }, notes, customer),
    deliveries,
    history,
  );
};

// ---------- dead webhooks ----------

const renderDeliveries = async () => {
  const page = await api('/api/deliveries?status=DEAD');
  const since = h('input', { type: 'datetime-local', name: 'since' }) as HTMLInputElement;
  const retryAll = async () => {
    if (!since.value) return show('Choose since when.');
    try {
      const result = await api('/api/deliveries/retry-dead', {
        method: 'POST',
        body: { since: new Date(since.value).toISOString() },
      });
      show(`Sent ${result.retried} dead webhook(s) again.`, 'info');
      await renderDeliveries();
    } catch (error) {
      explain(error);
    }
  };
  const body = h('tbody');
  for (const delivery of page.items as Json[]) {
    const last = (delivery.attempts as Json[]).at(-1);
    body.append(
      h(
        'tr',
        { 'data-id': delivery.deliveryId },
        h('td', {}, delivery.type),
        h('td', {}, h('a', { href: `#/cases/${encodeURIComponent(delivery.subject)}` }, delivery.subject)),
        h('td', {}, String(delivery.attemptCount)),
        h('td', {}, delivery.deadReason ?? ''),
        h('td', {}, last ? new Date(last.at).toLocaleString() : ''),
        h(
          'td',
          {},
          h(
            'button',
            {
              type: 'button',
              class: 'secondary',
              onclick: async () => {
                try {
                  await api(`/api/deliveries/${encodeURIComponent(delivery.deliveryId)}/retry`, {
                    method: 'POST',
                    body: {},
                  });
                  show('Sent again.', 'info');
                  await renderDeliveries();
                } catch (error) {
                  explain(error);
                }
              },
            },
            'Retry',
          ),
        ),
      ),
    );
  }
  if (body.children.length === 0)
    body.append(h('tr', {}, h('td', { colspan: '6', class: 'muted' }, 'No dead webhooks.')));
  main.replaceChildren(
    h('h1', {}, 'Dead webhooks'),
    h(
      'section',
      {},
      h(
        'div',
        { class: 'row' },
        h('label', {}, 'Retry every dead webhook since', since),
        h('button', { type: 'button', onclick: retryAll }, 'Retry all'),
      ),
    ),
    h(
      'table',
      { id: 'dead' },
      h(
        'thead',
        {},
        h('tr', {}, ...['Type', 'Transaction', 'Attempts', 'Why', 'Last attempt', ''].map((t) => h('th', {}, t))),
      ),
      body,
    ),
  );
};

// ---------- OnePipe accounts ----------

const MAPPING_FIELDS: [string, string, boolean][] = [
  ['accountNumber', 'Virtual account number', true],
  ['company', 'Toqio company', true],
  ['customer', 'Toqio customer', true],
  ['accountId', 'Toqio account id', true],
  ['accountName', 'Account name', false],
  ['bankName', 'Bank name', true],
  ['bankDescription', 'Bank description', true],
  ['accountType', 'Toqio account type', true],
];

/** Toqio's corePaymentType values most likely for a Nigerian virtual account; the API accepts the seed's whole list. */
const CORE_PAYMENT_TYPES = ['INTERNAL-TRANSFER', 'payment-type-inter-ledger', 'EFT', 'payment-type-Global-SWIFT'];

const renderAccounts = async () => {
  const unmatched = await api('/api/onepipe/unmatched');
  let mappings: Json[] | undefined;
  try {
    mappings = (await api('/api/account-mappings')).items as Json[];
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 403)) throw error;
  }
  const inputs = Object.fromEntries(
    MAPPING_FIELDS.map(([name, , required]) => [
      name,
      h('input', { name, required, ...(name === 'accountType' ? { value: 'ngn' } : {}) }) as HTMLInputElement,
    ]),
  );
  const clientType = h(
    'select',
    { name: 'clientType' },
    h('option', { value: 'BUSINESS' }, 'BUSINESS'),
    h('option', { value: 'CONSUMER' }, 'CONSUMER'),
  ) as HTMLSelectElement;
  const corePaymentType = h(
    'select',
    { name: 'corePaymentType' },
    ...CORE_PAYMENT_TYPES.map((value) => h('option', { value }, value)),
  ) as HTMLSelectElement;
  const save = async (event: Event) => {
    event.preventDefault();
    const body: Json = { clientType: clientType.value, corePaymentType: corePaymentType.value };
    for (const [name, , required] of MAPPING_FIELDS) {
      const value = inputs[name]?.value.trim();
      if (name !== 'accountNumber' && (value || required)) body[name] = value;
    }
    try {
      const result = await api(
        `/api/account-mappings/${encodeURIComponent(inputs.accountNumber?.value.trim() ?? '')}`,
        { method: 'PUT', body },
      );
      await renderAccounts();
      if (result.status === 'PROPOSED') show('Change proposed: a second supervisor must approve it.', 'info');
      else show(`Mapping saved; ${result.registeredCredits.length} parked credit(s) sent to Toqio.`, 'info');
    } catch (error) {
      explain(error);
    }
  };
  const approve = (accountNumber: string) => async () => {
    try {
      const result = await api(`/api/account-mappings/${encodeURIComponent(accountNumber)}/approve`, {
        method: 'POST',
      });
      await renderAccounts();
      show(`Change approved (${result.status}).`, 'info');
    } catch (error) {
      explain(error);
    }
  };
  const state = (m: Json) =>
    m.pendingChange
      ? h(
          'span',
          {},
          `${m.pendingChange.change} proposed by ${m.pendingChange.proposedBy} `,
          h('button', { type: 'button', onclick: approve(String(m.accountNumber)) }, 'Approve'),
        )
      : m.complete
        ? 'complete'
        : h(
            'span',
            { class: 'muted' },
            `incomplete, credits parked: ${(m.problems as string[] | undefined)?.join('; ') ?? ''}`,
          );
  const mappingSection = mappings
    ? h(
        'section',
        {},
        h('h2', {}, 'Account mappings'),
        h(
          'table',
          { id: 'mappings' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ...['Account', 'Company', 'Customer', 'Toqio account', 'Type', 'Payment type', 'State'].map((t) =>
                h('th', {}, t),
              ),
            ),
          ),
          h(
            'tbody',
            {},
            ...mappings.map((m) =>
              h(
                'tr',
                {},
                ...[m.accountNumber, m.company, m.customer, m.accountId, m.clientType, m.corePaymentType].map((v) =>
                  h('td', {}, String(v ?? '')),
                ),
                h('td', {}, state(m)),
              ),
            ),
          ),
        ),
        h(
          'form',
          { class: 'filters', onsubmit: save },
          ...MAPPING_FIELDS.map(([name, label]) => h('label', {}, label, inputs[name] ?? null)),
          h('label', {}, 'Client type', clientType),
          h('label', {}, 'Core payment type', corePaymentType),
          h('button', { type: 'submit' }, 'Save mapping'),
        ),
      )
    : h('section', {}, h('p', { class: 'muted' }, 'Only supervisors can see and change account mappings.'));
  main.replaceChildren(
    h('h1', {}, 'OnePipe accounts'),
    mappingSection,
    h(
      'section',
      {},
      h('h2', {}, 'OnePipe notifications waiting for a person'),
      h(
        'table',
        { id: 'unmatched' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ...['Received', 'State', 'Account', 'Amount (kobo)', 'Reference', 'From', 'Why'].map((t) => h('th', {}, t)),
          ),
        ),
        h(
          'tbody',
          {},
          ...((unmatched.items as Json[]).length
            ? (unmatched.items as Json[]).map((item) =>
                h(
                  'tr',
                  {},
                  ...[
                    new Date(item.receivedAt).toLocaleString(),
                    item.state,
                    item.accountNumber,
                    item.amountKobo,
                    item.transactionRef,
                    item.requester,
                    item.why,
                  ].map((v) => h('td', {}, String(v ?? ''))),
                ),
              )
            : [h('tr', {}, h('td', { colspan: '7', class: 'muted' }, 'None: every notification was handled.'))]),
        ),
      ),
    ),
  );
};

// ---------- routing ----------

const route = async () => {
  if (!token()) return renderSignIn();
  const hash = location.hash;
  try {
    if (hash.startsWith('#/cases/')) await renderCase(decodeURIComponent(hash.slice('#/cases/'.length)));
    else if (hash === '#/deliveries') await renderDeliveries();
    else if (hash === '#/accounts') await renderAccounts();
    else await renderQueue();
  } catch (error) {
    explain(error);
  }
};

const start = async () => {
  const me = await api('/api/me');
  (document.getElementById('who') as HTMLElement).textContent = `${me.name} (${me.role})`;
  (document.getElementById('nav') as HTMLElement).hidden = false;
  clearMessage();
  await route();
};

window.addEventListener('hashchange', () => {
  clearMessage();
  void route();
});
(document.getElementById('sign-out') as HTMLElement).addEventListener('click', () => {
  sessionStorage.removeItem(TOKEN_KEY);
  renderSignIn();
});

if (token()) void start().catch(explain);
else renderSignIn();
