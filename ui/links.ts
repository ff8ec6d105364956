/** The UI's addresses: it routes with the URL hash (app.ts), so `/` is its only page. */
export const caseLink = (transactionId: string) => `#/cases/${encodeURIComponent(transactionId)}`;
export const QUEUE = '#/queue';
export const DEAD_WEBHOOKS = '#/deliveries';
export const ACCOUNTS = '#/accounts';
export const RULES = '#/rules';
export const rulesLink = (set: string) => `${RULES}/${encodeURIComponent(set)}`;
export const versionLink = (set: string, version: number) => `${rulesLink(set)}/versions/${version}`;
/** A decision's rule set label (`outbound@3`) as a link to that version, or undefined for a shipped file's version. */
export const ruleSetVersionLink = (label: string | undefined) => {
  const match = /^(outbound|inbound)@(\d+)$/.exec(label ?? '');
  return match?.[1] && match[2] ? versionLink(match[1], Number(match[2])) : undefined;
};
export const INSIGHTS = '#/insights';
export const backtestLink = (backtestId: string) => `${INSIGHTS}/backtests/${encodeURIComponent(backtestId)}`;
