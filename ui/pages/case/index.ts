import { api } from '../../api/client.js';
import type { CaseDetail } from '../../api/types.js';
import { h, mount } from '../../dom/h.js';
import { explain, show } from '../../feedback.js';
import { QUEUE } from '../../links.js';
import { customerPayments, historySection, notesSection, webhooksSection } from './activity.js';
import { decisionSection } from './decision.js';
import { caseHeader, heldBecause, party, transactionSummary } from './transaction.js';

/**
 * The case page: what was paid and why it was held, the decision, notes, the customer's other
 * payments, the webhooks to Toqio and the history. After every action the page shows the case
 * as the server now has it, also when the action was refused (409: someone changed it meanwhile).
 */
export const renderCase = async (transactionId: string) => {
  const item = await api.getCase(transactionId);
  const act = (action: () => Promise<CaseDetail>, done: string) => {
    void (async () => {
      try {
        await action();
        await renderCase(transactionId);
        show(done, 'info');
      } catch (error) {
        explain(error);
        await renderCase(transactionId).catch(() => undefined);
      }
    })();
  };
  mount(
    h('p', {}, h('a', { href: QUEUE }, '← Queue')),
    caseHeader(item),
    h('div', { class: 'grid' }, transactionSummary(item), heldBecause(item)),
    h(
      'div',
      { class: 'grid' },
      party('Paying from', item.payload.sourceAccount, item.transaction?.source),
      party('Paying to', item.payload.destinationAccount, item.transaction?.destination),
    ),
    decisionSection(item, {
      claim: () => act(() => api.claimCase(transactionId), 'Claimed.'),
      release: () => act(() => api.releaseCase(transactionId), 'Released.'),
      decide: (status, reason) =>
        act(() => api.decideCase(transactionId, status, reason), status === 'APPROVED' ? 'Approved.' : 'Rejected.'),
    }),
    h(
      'div',
      { class: 'grid' },
      notesSection(item, (text) => act(() => api.addCaseNote(transactionId, text), 'Note added.')),
      customerPayments(item),
    ),
    webhooksSection(item),
    historySection(item),
  );
};
