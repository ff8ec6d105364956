/** The UI's addresses: it routes with the URL hash (app.ts), so `/` is its only page. */
export const caseLink = (transactionId: string) => `#/cases/${encodeURIComponent(transactionId)}`;
export const QUEUE = '#/queue';
export const DEAD_WEBHOOKS = '#/deliveries';
export const ACCOUNTS = '#/accounts';
