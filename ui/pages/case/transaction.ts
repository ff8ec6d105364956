import type { CaseDetail, NormalisedParty, PayloadAccount } from '../../api/types.js';
import { h } from '../../dom/h.js';
import { badge, definitionList, section } from '../../dom/widgets.js';
import { duration, money, when } from '../../format.js';
import { ruleSetVersionLink } from '../../links.js';

/** "Case <id>" with its state; the browser tests find the state as the badge right after the heading. */
export const caseHeader = (item: CaseDetail) =>
  h(
    'div',
    { class: 'row' },
    h('h1', {}, `Case ${item.transactionId}`),
    badge(item.caseStatus),
    item.fourEyes ? h('span', { class: 'badge' }, 'four-eyes') : null,
  );

const timeLimit = (item: CaseDetail) => {
  if (!item.sla) return 'closed';
  const left = item.sla.expired ? 'expired' : `${duration(item.sla.remainingMs)} left`;
  return `${left}${item.sla.atRisk ? ' (at risk)' : ''}`;
};

export const transactionSummary = (item: CaseDetail) =>
  section(
    'Transaction',
    definitionList([
      ['Amount', money(item.baseAmount, item.currency)],
      ['Direction / pay type', `${item.transaction?.direction ?? ''} · ${item.transaction?.payType ?? ''}`],
      ['Customer', item.customer],
      ['Concept', item.payload.concept],
      ['Date', item.payload.date],
      ['Received', when(item.createdAt)],
      ['Time limit', timeLimit(item)],
      ['Claimed by', item.claimedBy],
    ]),
    rulesUsed(item),
  );

/** The rules the payment was decided with: a stored version links to it (it can be read forever). */
const rulesUsed = (item: CaseDetail) => {
  const link = ruleSetVersionLink(item.ruleSetVersion);
  return h(
    'p',
    { id: 'rule-set-version' },
    'Decided with rules ',
    link ? h('a', { href: link }, item.ruleSetVersion ?? '') : (item.ruleSetVersion ?? '—'),
  );
};

export const heldBecause = (item: CaseDetail) =>
  section(
    'Why it was held',
    h(
      'ul',
      { id: 'reasons' },
      ...item.reasons.map((reason) => h('li', {}, h('strong', {}, reason.rule), ` — ${reason.description}`)),
    ),
  );

/** One side of the payment as Toqio sent it, with what validation found (an invalid IBAN). */
export const party = (
  title: string,
  account: PayloadAccount | null | undefined,
  normalised: NormalisedParty | undefined,
) =>
  section(
    title,
    definitionList([
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
