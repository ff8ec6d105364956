import { api } from '../../api/client.js';
import { type AccountMappingInput, CLIENT_TYPES } from '../../api/types.js';
import { h } from '../../dom/h.js';

type TextField = Exclude<keyof AccountMappingInput, 'clientType' | 'corePaymentType'> | 'accountNumber';

/** The form's text fields: name, label, and whether the server requires it. */
const TEXT_FIELDS: readonly (readonly [TextField, string, boolean])[] = [
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

/**
 * Maps a virtual account to a Toqio customer. A new account is saved at once; for one already
 * mapped the server records a proposal that a second supervisor approves. `saved` gets what
 * the server said; a required field left empty is sent as empty so the server's 400 names it.
 */
export const mappingForm = (saved: (save: () => ReturnType<typeof api.saveAccountMapping>) => void) => {
  const inputs = new Map(
    TEXT_FIELDS.map(([name, , required]) => [
      name,
      h('input', { name, required, ...(name === 'accountType' ? { value: 'ngn' } : {}) }),
    ]),
  );
  const text = (name: TextField) => inputs.get(name)?.value.trim() ?? '';
  const clientType = h('select', { name: 'clientType' }, ...CLIENT_TYPES.map((value) => h('option', { value }, value)));
  const corePaymentType = h(
    'select',
    { name: 'corePaymentType' },
    ...CORE_PAYMENT_TYPES.map((value) => h('option', { value }, value)),
  );
  const submit = (event: Event) => {
    event.preventDefault();
    const mapping: AccountMappingInput = {
      company: text('company'),
      customer: text('customer'),
      accountId: text('accountId'),
      clientType: clientType.value as AccountMappingInput['clientType'],
      accountType: text('accountType'),
      ...(text('accountName') ? { accountName: text('accountName') } : {}),
      bankName: text('bankName'),
      bankDescription: text('bankDescription'),
      corePaymentType: corePaymentType.value,
    };
    saved(() => api.saveAccountMapping(text('accountNumber'), mapping));
  };
  return h(
    'form',
    { class: 'filters', onsubmit: submit },
    ...TEXT_FIELDS.map(([name, label]) => h('label', {}, label, inputs.get(name))),
    h('label', {}, 'Client type', clientType),
    h('label', {}, 'Core payment type', corePaymentType),
    h('button', { type: 'submit' }, 'Save mapping'),
  );
};
