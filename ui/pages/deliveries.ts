import { api } from '../api/client.js';
import type { Delivery } from '../api/types.js';
import { h, mount } from '../dom/h.js';
import { type TableRow, table } from '../dom/table.js';
import { section } from '../dom/widgets.js';
import { explain, show } from '../feedback.js';
import { when } from '../format.js';
import { caseLink } from '../links.js';

/** Runs a supervisor's retry, says what happened and shows the list again. */
const retry = async (send: () => Promise<string>) => {
  try {
    show(await send(), 'info');
    await renderDeliveries();
  } catch (error) {
    explain(error);
  }
};

const deadRow = (delivery: Delivery): TableRow => {
  const last = delivery.attempts.at(-1);
  return {
    attrs: { 'data-id': delivery.deliveryId },
    cells: [
      delivery.type,
      h('a', { href: caseLink(delivery.subject) }, delivery.subject),
      String(delivery.attemptCount),
      delivery.deadReason ?? '',
      last ? when(last.at) : '',
      h(
        'button',
        {
          type: 'button',
          class: 'secondary',
          onclick: () =>
            void retry(async () => {
              await api.retryDelivery(delivery.deliveryId);
              return 'Sent again.';
            }),
        },
        'Retry',
      ),
    ],
  };
};

/** Dead webhooks: each can be sent again, or every one since a time (a new round of retries). */
export const renderDeliveries = async () => {
  const page = await api.listDeadDeliveries();
  const since = h('input', { type: 'datetime-local', name: 'since' });
  const retryAll = () => {
    if (!since.value) return show('Choose since when.');
    void retry(async () => {
      const result = await api.retryDeadSince(new Date(since.value));
      return `Sent ${result.retried} dead webhook(s) again.`;
    });
  };
  mount(
    h('h1', {}, 'Dead webhooks'),
    section(
      null,
      h(
        'div',
        { class: 'row' },
        h('label', {}, 'Retry every dead webhook since', since),
        h('button', { type: 'button', onclick: retryAll }, 'Retry all'),
      ),
    ),
    table(
      {
        id: 'dead',
        headers: ['Type', 'Transaction', 'Attempts', 'Why', 'Last attempt', ''],
        empty: 'No dead webhooks.',
      },
      page.items.map(deadRow),
    ),
  );
};
