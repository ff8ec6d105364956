import type { AccountMapping } from '../../api/types.js';
import { h } from '../../dom/h.js';
import { table } from '../../dom/table.js';

/** A mapping's state: a pending change (with its approval), complete, or what Toqio would miss. */
const state = (mapping: AccountMapping, approve: (accountNumber: string) => void) => {
  if (mapping.pendingChange)
    return h(
      'span',
      {},
      `${mapping.pendingChange.change} proposed by ${mapping.pendingChange.proposedBy} `,
      h('button', { type: 'button', onclick: () => approve(mapping.accountNumber) }, 'Approve'),
    );
  if (mapping.complete) return 'complete';
  return h('span', { class: 'muted' }, `incomplete, credits parked: ${mapping.problems?.join('; ') ?? ''}`);
};

/** The account mappings, each with its pending change for a second supervisor to approve. */
export const mappingsTable = (mappings: readonly AccountMapping[], approve: (accountNumber: string) => void) =>
  table(
    {
      id: 'mappings',
      headers: ['Account', 'Company', 'Customer', 'Toqio account', 'Type', 'Payment type', 'State'],
    },
    mappings.map((mapping) => [
      ...[
        mapping.accountNumber,
        mapping.company,
        mapping.customer,
        mapping.accountId,
        mapping.clientType,
        mapping.corePaymentType,
      ].map((value) => value ?? ''),
      state(mapping, approve),
    ]),
  );
