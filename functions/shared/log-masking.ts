/**
 * Keeps personal and secret data out of logs (the stored records are encrypted at rest; logs are
 * read by more people). Used as the Powertools logger's JSON replacer, so it applies to every
 * log line, however deep the value sits.
 *
 * Hostile input reaches the logs (the degraded path logs the payload), so every step here runs in
 * time linear in the string, and every logged string is cut to MAX_LOGGED_CHARS first: one request
 * can never stall the process that is logging it.
 */
const ACCOUNT_KEYS =
  /^(iban|accountnumber|ukaccountnumber|account_no|account_number|cr_account|originator_account_number|beneficiary_account|pwt_account_number|destinationuserid|beneficiarykey)$/i;
const PERSONAL_KEYS =
  /^(name|namekey|firstname|surname|lastname|customer_firstname|customer_surname|originator_account_name|cr_account_name|account_name|beneficiary_name|email|emails|customer_email|mobile_no|customer_mobile_no|address|address2|postalcode|dateofbirth|user|customer|customer_ref)$/i;
const SECRET_KEYS = /(authorization|api[-_]?key|token|secret|signature|password|rawjson)/i;
/** Bounded quantifiers only: at most a few dozen steps per start position, so linear overall. */
const IBAN_IN_TEXT = /\b([A-Z]{2}\d{2})[A-Z0-9]{8,26}([A-Z0-9]{4})\b/g;

/** Longest string a log line carries; the rest is cut and counted. */
export const MAX_LOGGED_CHARS = 4096;
/** Masking looks this far past the cut, so an address straddling it is still recognised. */
const LOOKAHEAD = 320;

const lastFour = (value: string) => (value.length > 4 ? `****${value.slice(-4)}` : '****');

const isLocalChar = (code: number) =>
  (code >= 48 && code <= 57) || // 0-9
  (code >= 65 && code <= 90) || // A-Z
  (code >= 97 && code <= 122) || // a-z
  code === 46 || // .
  code === 95 || // _
  code === 37 || // %
  code === 43 || // +
  code === 45 || // -
  code === 39; // '
const isDomainChar = (code: number) =>
  (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 45 || code === 46;

/**
 * Replaces e-mail addresses with `[email]` in one pass: from each `@`, walk left over the local
 * part and right over the domain; each character is visited a bounded number of times. (A
 * regular expression such as `[^\s@]+@[^\s@]+\.[^\s@]+` backtracks quadratically on long runs.)
 * Only host-like domains count, so `node_modules/@aws-sdk/...` in a stack frame is left alone.
 */
export const maskEmails = (text: string): string => {
  let out = '';
  let copied = 0;
  let at = text.indexOf('@');
  while (at !== -1) {
    let start = at;
    while (start > copied && isLocalChar(text.charCodeAt(start - 1))) start--;
    let end = at + 1;
    while (end < text.length && isDomainChar(text.charCodeAt(end))) end++;
    while (end > at + 1 && text.charCodeAt(end - 1) === 46) end--; // a sentence's full stop is not the domain's
    const domain = text.slice(at + 1, end);
    const dot = domain.indexOf('.', 1);
    if (start < at && dot > 0 && dot < domain.length - 1) {
      out += `${text.slice(copied, start)}[email]`;
      copied = at + 1 + domain.length;
    }
    at = text.indexOf('@', Math.max(at + 1, copied));
  }
  return copied === 0 ? text : out + text.slice(copied);
};

/** Masks IBANs and e-mail addresses in free text, after cutting it to MAX_LOGGED_CHARS. */
export const maskText = (text: string, max = MAX_LOGGED_CHARS): string => {
  const head = text.length > max + LOOKAHEAD ? text.slice(0, max + LOOKAHEAD) : text;
  const masked = maskEmails(head.replace(IBAN_IN_TEXT, '$1****$2'));
  return text.length > max ? `${masked.slice(0, max)}…[${text.length - max} more chars]` : masked;
};

/**
 * A stack trace: its first line (the message) may quote input and is masked; the frames are
 * code locations operators need as they are (paths like `node_modules/@aws-sdk/...`).
 */
const maskStack = (stack: string): string => {
  const newline = stack.indexOf('\n');
  if (newline === -1) return maskText(stack);
  return `${maskText(stack.slice(0, newline))}${stack.slice(newline, newline + MAX_LOGGED_CHARS)}`;
};

/** `file:line` of the first stack frame, as Powertools reports an error's location. */
const locationOf = (stack: string | undefined): string => {
  for (const line of (stack ?? '').split('\n').slice(1, 20)) {
    const match = /\(([^()]{1,1024}):(\d{1,9}):\d{1,9}\)$/.exec(line.slice(0, 1100));
    if (match) return `${match[1]}:${Number(match[2])}`;
  }
  return '';
};

/**
 * An error as Powertools would format it, masked where input can hide (message, the stack's first
 * line) and left whole where operators need it (name, frames). The strings are wrapped in String
 * objects: JSON.stringify prints them as strings and the replacer does not visit them again, so
 * an error's `name` is not taken for a person's name.
 */
const formatError = (error: Error, depth = 0): Record<string, unknown> => ({
  name: Object(maskText(String(error.name), 256)),
  location: Object(locationOf(error.stack)),
  message: Object(maskText(String(error.message))),
  stack: Object(maskStack(String(error.stack ?? ''))),
  ...(error.cause === undefined
    ? {}
    : { cause: error.cause instanceof Error && depth < 3 ? formatError(error.cause, depth + 1) : error.cause }),
});

/** The JSON replacer of every log line (Powertools calls it with each key and value). */
export const maskSensitive = (key: string, value: unknown): unknown => {
  if (value instanceof Error) return formatError(value);
  if (value === null || value === undefined || typeof value === 'object' || typeof value === 'boolean') return value;
  const text = String(value);
  if (SECRET_KEYS.test(key)) return '[redacted]';
  if (ACCOUNT_KEYS.test(key)) return lastFour(text.slice(-MAX_LOGGED_CHARS));
  if (PERSONAL_KEYS.test(key)) return '[masked]';
  return typeof value === 'string' ? maskText(value) : value;
};
