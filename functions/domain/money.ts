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
