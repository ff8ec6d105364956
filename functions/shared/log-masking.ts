/**
 * Keeps personal and secret data out of logs (the stored records are encrypted at rest; logs are
 * read by more people). Used as the Powertools logger's JSON replacer, so it applies to every
 * log line, however deep the value sits.
 */
const ACCOUNT_KEYS =
  /^(iban|accountnumber|ukaccountnumber|account_no|account_number|cr_account|originator_account_number|beneficiary_account|pwt_account_number|destinationuserid|beneficiarykey)$/i;
const PERSONAL_KEYS =
  /^(name|namekey|firstname|surname|lastname|customer_firstname|customer_surname|originator_account_name|cr_account_name|account_name|beneficiary_name|email|emails|customer_email|mobile_no|customer_mobile_no|address|address2|postalcode|dateofbirth|user|customer|customer_ref)$/i;
const SECRET_KEYS = /(authorization|api[-_]?key|token|secret|signature|password|rawjson)/i;
const IBAN_IN_TEXT = /\b([A-Z]{2}\d{2})[A-Z0-9]{8,26}([A-Z0-9]{4})\b/g;
const EMAIL_IN_TEXT = /[^\s@"]+@[^\s@"]+\.[^\s@"]+/g;

const lastFour = (value: string) => (value.length > 4 ? `****${value.slice(-4)}` : '****');

export const maskSensitive = (key: string, value: unknown): unknown => {
  if (value === null || value === undefined || typeof value === 'object' || typeof value === 'boolean') return value;
  const text = String(value);
  if (SECRET_KEYS.test(key)) return '[redacted]';
  if (ACCOUNT_KEYS.test(key)) return lastFour(text);
  if (PERSONAL_KEYS.test(key)) return '[masked]';
  return typeof value === 'string' ? value.replace(IBAN_IN_TEXT, '$1****$2').replace(EMAIL_IN_TEXT, '[email]') : value;
};
