/** How the UI writes amounts, durations and times: plain text, shared by every page. */

export const money = (amount: number, currency?: string | null) =>
  `${amount.toLocaleString('en-GB', { minimumFractionDigits: 2, maximumFractionDigits: 2 })} ${currency ?? ''}`.trim();

/** `3h 20m` or `45m`, whichever way the time runs. */
export const duration = (ms: number) => {
  const minutes = Math.round(Math.abs(ms) / 60_000);
  const hours = Math.floor(minutes / 60);
  return hours > 0 ? `${hours}h ${minutes % 60}m` : `${minutes}m`;
};

/** An ISO time in the analyst's locale. */
export const when = (iso: string) => new Date(iso).toLocaleString();

/** `AWAITING_SECOND_APPROVAL` as `AWAITING SECOND APPROVAL`. */
export const words = (value: string) => value.replaceAll('_', ' ');
