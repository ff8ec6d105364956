import type { Facts, WindowFacts } from '../rules/engine.js';
import { fromMillis } from '../shared/money.js';

/**
 * Velocity is kept as one counter item per customer and per beneficiary. Each window is cut into
 * 12 buckets (5 min for 1 h, 2 h for 24 h, 14 h for 7 d); a window's figure is the sum of the
 * current bucket and the 12 before it, so it always covers the whole window and at most 1/12
 * more: a conservative over-count, never an under-count. Buckets are attributes of the one item
 * (`c_h1_<n>` counts, `s_h1_<n>` sums in thousandths, `n_h24_<n>` new beneficiaries), so reading
 * all windows costs one GetItem and updating them one atomic UpdateItem with ADD.
 *
 * Each item carries a version (`ver`). A decision is stored only if the counters it was decided on
 * are still at the version that was read (optimistic concurrency): a payment decided at the same
 * moment as another of the same customer is decided again on counters that include the other.
 */
export const WINDOWS = {
  h1: 60 * 60,
  h24: 24 * 60 * 60,
  d7: 7 * 24 * 60 * 60,
} as const;
export type WindowName = keyof typeof WINDOWS;
const BUCKETS_PER_WINDOW = 12;
/** Counter items expire a little after the longest window has passed without activity. */
export const COUNTER_TTL_SECONDS = WINDOWS.d7 + 24 * 60 * 60;

export type CounterItem = Record<string, unknown>;

const bucketSeconds = (window: WindowName) => WINDOWS[window] / BUCKETS_PER_WINDOW;
export const bucketIndex = (window: WindowName, nowSeconds: number) => Math.floor(nowSeconds / bucketSeconds(window));

const ATTRIBUTE = /^([csn])_(h1|h24|d7)_(\d+)$/;

const isLive = (window: WindowName, index: number, nowSeconds: number) => {
  const current = bucketIndex(window, nowSeconds);
  return index <= current && index >= current - BUCKETS_PER_WINDOW;
};

const sumBuckets = (item: CounterItem | undefined, kind: 'c' | 's' | 'n', window: WindowName, now: number) => {
  let total = 0;
  for (const [name, value] of Object.entries(item ?? {})) {
    const match = ATTRIBUTE.exec(name);
    if (!match || match[1] !== kind || match[2] !== window) continue;
    if (isLive(window, Number(match[3]), now) && typeof value === 'number') total += value;
  }
  return total;
};

/** The version of a counter item as read (0 when it does not exist yet, or predates versions). */
export const counterVersion = (item: CounterItem | undefined): number =>
  typeof item?.ver === 'number' && Number.isInteger(item.ver) ? item.ver : 0;

/**
 * Whether a payment moves velocity. Refunds (type REFUND, or any negative amount) are not money
 * leaving: they are not counted, and never lower a sum.
 */
export const countsTowardsVelocity = (payment: { isRefund: boolean; baseAmountMillis: number }) =>
  !payment.isRefund && payment.baseAmountMillis >= 0;

const windowFacts = (
  item: CounterItem | undefined,
  window: WindowName,
  now: number,
  millis: number,
  counted: boolean,
): WindowFacts => ({
  count: sumBuckets(item, 'c', window, now) + (counted ? 1 : 0),
  sum: fromMillis(sumBuckets(item, 's', window, now) + (counted ? millis : 0)),
});

/**
 * Velocity facts as they will be once this payment is counted. A payment that does not count
 * (a refund) sees the windows as they are.
 */
export const velocityFacts = (input: {
  customerItem?: CounterItem | undefined;
  beneficiaryItem?: CounterItem | undefined;
  hasBeneficiary: boolean;
  firstTimeBeneficiary: boolean;
  baseAmountMillis: number;
  nowSeconds: number;
  /** False for a payment that is not counted (see countsTowardsVelocity); default true. */
  counted?: boolean;
}): Facts['velocity'] => {
  const { customerItem, beneficiaryItem, nowSeconds: now, baseAmountMillis: millis } = input;
  const counted = input.counted ?? true;
  const emptyWindow = { count: 0, sum: 0 };
  return {
    customer: {
      h1: windowFacts(customerItem, 'h1', now, millis, counted),
      h24: windowFacts(customerItem, 'h24', now, millis, counted),
      d7: windowFacts(customerItem, 'd7', now, millis, counted),
      newBeneficiaries24h: sumBuckets(customerItem, 'n', 'h24', now) + (counted && input.firstTimeBeneficiary ? 1 : 0),
    },
    beneficiary: input.hasBeneficiary
      ? {
          h1: windowFacts(beneficiaryItem, 'h1', now, millis, counted),
          h24: windowFacts(beneficiaryItem, 'h24', now, millis, counted),
          d7: windowFacts(beneficiaryItem, 'd7', now, millis, counted),
        }
      : { h1: emptyWindow, h24: emptyWindow, d7: emptyWindow },
  };
};

/**
 * What to add to a counter item for one payment, and which stale buckets to drop; applied only
 * while the item is still at `expectedVersion` (the version the decision was made on).
 */
export interface CounterChange {
  add: Record<string, number>;
  remove: string[];
  expiresAt: number;
  expectedVersion: number;
}

export const counterChange = (input: {
  item: CounterItem | undefined;
  baseAmountMillis: number;
  newBeneficiary: boolean;
  nowSeconds: number;
}): CounterChange => {
  const { nowSeconds: now } = input;
  const add: Record<string, number> = {};
  for (const window of Object.keys(WINDOWS) as WindowName[]) {
    const index = bucketIndex(window, now);
    add[`c_${window}_${index}`] = 1;
    add[`s_${window}_${index}`] = input.baseAmountMillis;
  }
  if (input.baseAmountMillis < 0) throw new RangeError('a negative amount is never counted (refunds do not count)');
  if (input.newBeneficiary) add[`n_h24_${bucketIndex('h24', now)}`] = 1;
  const remove = Object.keys(input.item ?? {}).filter((name) => {
    const match = ATTRIBUTE.exec(name);
    return match !== null && !isLive(match[2] as WindowName, Number(match[3]), now);
  });
  return { add, remove, expiresAt: now + COUNTER_TTL_SECONDS, expectedVersion: counterVersion(input.item) };
};
