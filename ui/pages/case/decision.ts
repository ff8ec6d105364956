import type { CaseDetail, FinalStatus, RecordedDecision } from '../../api/types.js';
import { h } from '../../dom/h.js';
import { definitionList } from '../../dom/widgets.js';
import { show } from '../../feedback.js';
import { when } from '../../format.js';

/** What the decision section can do; the case page runs each and shows the case again. */
export interface DecisionActions {
  claim(): void;
  release(): void;
  decide(status: FinalStatus, reason: string): void;
}

const verb = (decision: RecordedDecision) => (decision.status === 'APPROVED' ? 'approved' : 'rejected');
const quoted = (decision: RecordedDecision) => `${decision.by} ${verb(decision)} (“${decision.reason}”)`;

/** Where four eyes and the time limit have taken the case so far. */
const reviewSoFar = (item: CaseDetail, open: boolean) => {
  const notes: HTMLElement[] = [];
  if (item.firstDecision && item.secondDecision) {
    notes.push(
      h(
        'div',
        { class: 'callout', id: 'escalation' },
        `Escalated to a third person: first ${quoted(item.firstDecision)}, second ${quoted(item.secondDecision)}.`,
        open ? ' A supervisor different from both makes the final decision.' : null,
      ),
    );
  } else if (item.firstDecision) {
    const first = item.firstDecision;
    notes.push(
      h(
        'div',
        { class: 'callout', id: 'first-decision' },
        `First decision: ${first.status} by ${first.by} — “${first.reason}”. `,
        open ? 'A different supervisor must make the final decision.' : null,
      ),
    );
  }
  if (item.slaEscalatedAt) {
    notes.push(
      h(
        'div',
        { class: 'callout', id: 'sla-escalated' },
        `SLA escalated at ${when(item.slaEscalatedAt)}: the time limit passed, but the sweeper never approves `,
        'a payment that needs four eyes, so the case stays open for two people.',
      ),
    );
  }
  return notes;
};

const controls = (item: CaseDetail, actions: DecisionActions) => {
  const reason = h('textarea', { name: 'reason', required: true, minlength: '3', placeholder: 'Why (required)' });
  const decide = (status: FinalStatus) => () => {
    if (reason.value.trim().length < 3) return show('Please give a reason for the decision.');
    actions.decide(status, reason.value.trim());
  };
  return [
    h(
      'div',
      { class: 'row' },
      item.claimedBy
        ? h('button', { type: 'button', class: 'secondary', onclick: () => actions.release() }, 'Release')
        : h('button', { type: 'button', class: 'secondary', onclick: () => actions.claim() }, 'Claim'),
    ),
    h('p', {}, h('label', {}, 'Reason', reason)),
    h(
      'div',
      { class: 'row' },
      h('button', { type: 'button', id: 'approve', onclick: decide('APPROVED') }, 'Approve'),
      h('button', { type: 'button', id: 'reject', class: 'danger', onclick: decide('REJECTED') }, 'Reject'),
    ),
  ];
};

const finalDecision = (item: CaseDetail) =>
  definitionList([
    ['Final status', item.status],
    ['Decided by', item.decidedBy],
    ['When', item.decidedAt],
    ['Reason', item.finalReason],
  ]);

/** The decision section: the review so far, then the actions of an open case or the final decision. */
export const decisionSection = (item: CaseDetail, actions: DecisionActions) => {
  const open = item.reviewStage !== 'FINAL';
  return h(
    'section',
    { id: 'actions' },
    h('h2', {}, 'Decision'),
    ...reviewSoFar(item, open),
    ...(open ? controls(item, actions) : [finalDecision(item)]),
  );
};
