import { ApiError, api } from '../../api/client.js';
import type { AccountMapping } from '../../api/types.js';
import { h, mount } from '../../dom/h.js';
import { section } from '../../dom/widgets.js';
import { explain, show } from '../../feedback.js';
import { mappingForm } from './mapping-form.js';
import { mappingsTable } from './mappings.js';
import { waitingNotifications } from './waiting-notifications.js';

/** Runs a mapping change, shows the page again, then says what happened. */
const change = async (run: () => Promise<string>) => {
  try {
    const done = await run();
    await renderAccounts();
    show(done, 'info');
  } catch (error) {
    explain(error);
  }
};

/** Mappings are for supervisors only: an analyst (403) sees the notifications without them. */
const mappingsIfAllowed = async (): Promise<AccountMapping[] | undefined> => {
  try {
    return (await api.listAccountMappings()).items;
  } catch (error) {
    if (error instanceof ApiError && error.status === 403) return undefined;
    throw error;
  }
};

/** OnePipe accounts: the mappings to Toqio customers (with pending changes to approve) and the notifications waiting for a person. */
export const renderAccounts = async () => {
  const waiting = await api.listWaitingNotifications();
  const mappings = await mappingsIfAllowed();
  const approve = (accountNumber: string) =>
    void change(async () => {
      const result = await api.approveMappingChange(accountNumber);
      return `Change approved (${result.status}).`;
    });
  const save = (send: () => ReturnType<typeof api.saveAccountMapping>) =>
    void change(async () => {
      const result = await send();
      return result.status === 'PROPOSED'
        ? 'Change proposed: a second supervisor must approve it.'
        : `Mapping saved; ${result.registeredCredits.length} parked credit(s) sent to Toqio.`;
    });
  mount(
    h('h1', {}, 'OnePipe accounts'),
    mappings
      ? section('Account mappings', mappingsTable(mappings, approve), mappingForm(save))
      : section(null, h('p', { class: 'muted' }, 'Only supervisors can see and change account mappings.')),
    waitingNotifications(waiting.items),
  );
};
