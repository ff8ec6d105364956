import type { CaseDetail, CaseSnapshot, Delivery, HistoryEntry } from '../../api/types.js';
import { h } from '../../dom/h.js';
import { table } from '../../dom/table.js';
import { badge, section } from '../../dom/widgets.js';
import { money, when } from '../../format.js';
import { caseLink } from '../../links.js';

const NONE_YET = 'None yet.';

export const notesSection = (item: CaseDetail, addNote: (text: string) => void) => {
  const text = h('textarea', { name: 'note', placeholder: 'Add a note' });
  return section(
    'Notes',
    h('ul', {}, ...item.notes.map((note) => h('li', {}, `${when(note.at)} · ${note.by}: ${note.text}`))),
    text,
    h(
      'button',
      {
        type: 'button',
        class: 'secondary',
        onclick: () => {
          if (text.value.trim()) addNote(text.value.trim());
        },
      },
      'Add note',
    ),
  );
};

export const customerPayments = (item: CaseDetail) =>
  section(
    "Customer's recent payments",
    table(
      { headers: ['Transaction', 'Amount', 'Status', 'When'], empty: NONE_YET },
      item.customerHistory.map((payment) => [
        h('a', { href: caseLink(payment.transactionId) }, payment.transactionId),
        money(payment.baseAmount, payment.currency),
        badge(payment.status),
        when(payment.createdAt),
      ]),
    ),
  );

const lastAttempt = (delivery: Delivery) => {
  const last = delivery.attempts.at(-1);
  return last ? `${when(last.at)} · ${last.httpStatus ?? last.error} · ${last.latencyMs} ms` : 'not yet sent';
};

export const webhooksSection = (item: CaseDetail) =>
  section(
    'Webhooks to Toqio',
    table(
      { id: 'deliveries', headers: ['Type', 'Status', 'Attempts', 'Last attempt'], empty: NONE_YET },
      item.deliveries.map((delivery) => [
        delivery.type,
        badge(delivery.status),
        String(delivery.attemptCount),
        lastAttempt(delivery),
      ]),
    ),
  );

const stageOf = (snapshot: CaseSnapshot) => `${snapshot.reviewStage}/${snapshot.claimedBy ?? '—'}`;

/** A state change as `FIRST/ana → FINAL/—`; otherwise the note or the reason the entry carries. */
const change = (entry: HistoryEntry) =>
  entry.before && entry.after
    ? `${stageOf(entry.before)} → ${stageOf(entry.after)}`
    : String(entry.details?.text ?? entry.details?.reason ?? '');

export const historySection = (item: CaseDetail) =>
  section(
    'History',
    table(
      { headers: ['When', 'Who', 'What', 'Change'], empty: NONE_YET },
      item.history.map((entry) => [when(entry.at), entry.actor, entry.action, change(entry)]),
    ),
  );
