import { Decimal } from 'decimal.js';

/**
 * Amounts are added up as integer thousandths of a currency unit: three decimals cover every
 * ISO 4217 currency (KWD, BHD, OMR), and integers below 2^53 add exactly in JavaScript.
 * Conversions go through decimal.js so 0.1 + 0.2 style float errors never reach a total.
 */
export const toMillis = (amount: number | string): number =>
  new Decimal(amount).times(1000).toDecimalPlaces(0, Decimal.ROUND_HALF_EVEN).toNumber();

/** Thousandths back to a major-unit number for display and rule comparisons. */
export const fromMillis = (millis: number): number => new Decimal(millis).dividedBy(1000).toNumber();

/** Minor units (kobo, cents) with the given exponent to a major-unit decimal string: 1250050 -> "12500.50". */
export const minorToMajor = (minor: number | string, exponent = 2): string =>
  new Decimal(minor).dividedBy(new Decimal(10).pow(exponent)).toFixed(exponent);

/**
 * ISO 4217 minor-unit exponents other than 2 (list one, 2024). Kept here rather than read from Intl:
 * Intl follows CLDR, which differs from ISO for some codes (IDR and HUF are 2 in ISO, 0 in CLDR).
 */
const ISO_EXPONENTS: Record<string, number> = {
  BIF: 0,
  CLP: 0,
  DJF: 0,
  GNF: 0,
  ISK: 0,
  JPY: 0,
  KMF: 0,
  KRW: 0,
  PYG: 0,
  RWF: 0,
  UGX: 0,
  UYI: 0,
  VND: 0,
  VUV: 0,
  XAF: 0,
  XOF: 0,
  XPF: 0,
  BHD: 3,
  IQD: 3,
  JOD: 3,
  KWD: 3,
  LYD: 3,
  OMR: 3,
  TND: 3,
  CLF: 4,
  UYW: 4,
};

/** The ISO 4217 minor-unit exponent of a currency (NGN 2, JPY 0, KWD 3); undefined for an unknown code. */
export const currencyExponent = (currency: string): number | undefined => {
  if (!Intl.supportedValuesOf('currency').includes(currency)) return undefined;
  return Object.hasOwn(ISO_EXPONENTS, currency) ? ISO_EXPONENTS[currency] : 2;
};

/** Major units to integer minor units with the currency's exponent; undefined when that is not possible exactly. */
export const majorToMinor = (amount: number | string, currency: string): number | undefined => {
  const exponent = currencyExponent(currency);
  if (exponent === undefined) return undefined;
  const minor = new Decimal(amount).times(new Decimal(10).pow(exponent));
  return minor.isInteger() && minor.abs().lte(Number.MAX_SAFE_INTEGER) ? minor.toNumber() : undefined;
};
