import type { WaitingNotification } from '../../api/types.js';
import { table } from '../../dom/table.js';
import { section } from '../../dom/widgets.js';
import { when } from '../../format.js';

/** OnePipe notifications no rule could settle: unmatched credits, and parked, refused or unconfirmed ones. */
export const waitingNotifications = (items: readonly WaitingNotification[]) =>
  section(
    'OnePipe notifications waiting for a person',
    table(
      {
        id: 'unmatched',
        headers: ['Received', 'State', 'Account', 'Amount (kobo)', 'Reference', 'From', 'Why'],
        empty: 'None: every notification was handled.',
      },
      items.map((item) =>
        [
          when(item.receivedAt),
          item.state,
          item.accountNumber,
          item.amountKobo,
          item.transactionRef,
          item.requester,
          item.why,
        ].map((value) => value ?? ''),
      ),
    ),
  );
