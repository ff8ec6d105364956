import { api } from '../api/client.js';
import { CASE_FILTERS, type CaseSummary, type Sla } from '../api/types.js';
import { h, mount } from '../dom/h.js';
import { growingTable, type TableRow } from '../dom/table.js';
import { badge } from '../dom/widgets.js';
import { explain } from '../feedback.js';
import { duration, money, words } from '../format.js';
import { caseLink } from '../links.js';

/** The queue's filters survive a visit to a case (for this tab only). */
const FILTERS_KEY = 'tm-proxy-filters';

const slaCell = (sla: Sla | null) => {
  if (!sla) return h('span', { class: 'muted' }, '—');
  if (sla.expired) return h('span', { class: 'expired' }, 'expired');
  return h(
    'span',
    { class: sla.atRisk ? 'risk' : '' },
    `${duration(sla.remainingMs)} left${sla.atRisk ? ' · at risk' : ''}`,
  );
};

const queueRow = (item: CaseSummary): TableRow => ({
  attrs: {
    class: 'clickable',
    'data-id': item.transactionId,
    onclick: () => {
      location.hash = caseLink(item.transactionId);
    },
  },
  cells: [
    h('a', { href: caseLink(item.transactionId) }, item.transactionId),
    item.customer,
    money(item.baseAmount, item.currency),
    duration(Date.now() - Date.parse(item.createdAt)),
    slaCell(item.sla),
    item.reasons.map((reason) => reason.rule).join(', '),
    item.claimedBy ?? '—',
    badge(item.caseStatus),
  ],
});

const filterForm = (params: URLSearchParams) => {
  const field = (name: string, label: string, attrs: Record<string, string> = {}) =>
    h('label', {}, label, h('input', { name, value: params.get(name) ?? '', ...attrs }));
  const status = h(
    'select',
    { name: 'status' },
    ...CASE_FILTERS.map((value) =>
      h('option', { value, selected: params.get('status') === value }, words(value).toLowerCase()),
    ),
  );
  return h(
    'form',
    {
      class: 'filters',
      onsubmit: (event: Event) => {
        event.preventDefault();
        const data = new URLSearchParams();
        for (const [key, value] of new FormData(event.target as HTMLFormElement))
          if (String(value)) data.set(key, String(value));
        sessionStorage.setItem(FILTERS_KEY, data.toString());
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
};

/** The case queue, oldest first, filtered; "Load more" follows the server's cursor. */
export const renderQueue = async (
  params = new URLSearchParams(sessionStorage.getItem(FILTERS_KEY) ?? 'status=PENDING'),
) => {
  const cases = growingTable({
    id: 'queue',
    headers: ['Transaction', 'Customer', 'Amount', 'Age', 'Time limit', 'Rule hits', 'Claimed by', 'State'],
    empty: 'No cases match.',
  });
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Load more');
  mount(h('h1', {}, 'Case queue'), filterForm(params), cases.element, h('p', {}, more));

  const load = async (cursor?: string | null) => {
    const query = new URLSearchParams(params);
    if (cursor) query.set('cursor', cursor);
    const page = await api.listCases(query);
    cases.append(page.items.map(queueRow));
    more.hidden = !page.nextCursor;
    more.onclick = () => void load(page.nextCursor).catch(explain);
  };
  await load();
};
