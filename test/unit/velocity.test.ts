import {
  bucketIndex,
  counterChange,
  counterVersion,
  countsTowardsVelocity,
  velocityFacts,
  WINDOWS,
  type WindowName,
} from '../../functions/domain/decisions/velocity.js';

const NOW = 1_800_000_000;

/** Applies a counter change to an in-memory item the way DynamoDB's ADD/REMOVE would. */
const apply = (item: Record<string, number>, change: ReturnType<typeof counterChange>) => {
  const next = { ...item };
  for (const name of change.remove) delete next[name];
  for (const [name, value] of Object.entries(change.add)) next[name] = (next[name] ?? 0) + value;
  return next;
};

describe('velocity', () => {
  it('counts the payment being decided in every window', () => {
    const facts = velocityFacts({
      hasBeneficiary: true,
      firstTimeBeneficiary: true,
      baseAmountMillis: 1500,
      nowSeconds: NOW,
    });
    expect(facts.customer.h1).toEqual({ count: 1, sum: 1.5 });
    expect(facts.customer.d7).toEqual({ count: 1, sum: 1.5 });
    expect(facts.customer.newBeneficiaries24h).toBe(1);
    expect(facts.beneficiary.h24).toEqual({ count: 1, sum: 1.5 });
  });

  it('adds up earlier payments within each window and forgets them after it', () => {
    let item: Record<string, number> = {};
    item = apply(item, counterChange({ item, baseAmountMillis: 100_000, newBeneficiary: true, nowSeconds: NOW }));
    const twoHoursLater = NOW + 2 * 3600;
    item = apply(
      item,
      counterChange({ item, baseAmountMillis: 50_000, newBeneficiary: false, nowSeconds: twoHoursLater }),
    );

    const later = velocityFacts({
      customerItem: item,
      hasBeneficiary: false,
      firstTimeBeneficiary: false,
      baseAmountMillis: 0,
      nowSeconds: twoHoursLater,
    });
    expect(later.customer.h1).toEqual({ count: 2, sum: 50 }); // the first payment is outside the hour
    expect(later.customer.h24).toEqual({ count: 3, sum: 150 });
    expect(later.customer.newBeneficiaries24h).toBe(1);
    expect(later.beneficiary.h1).toEqual({ count: 0, sum: 0 });

    const eightDaysLater = NOW + 8 * 86400;
    const change = counterChange({ item, baseAmountMillis: 0, newBeneficiary: false, nowSeconds: eightDaysLater });
    expect(change.remove.sort()).toEqual(Object.keys(item).sort()); // every old bucket is dropped
    expect(change.expiresAt).toBeGreaterThan(eightDaysLater + WINDOWS.d7);
  });

  it('never under-counts: a payment just inside the window is always included', () => {
    let item: Record<string, number> = {};
    item = apply(item, counterChange({ item, baseAmountMillis: 1000, newBeneficiary: false, nowSeconds: NOW }));
    const justInside = NOW + WINDOWS.h1 - 1;
    const facts = velocityFacts({
      customerItem: item,
      hasBeneficiary: false,
      firstTimeBeneficiary: false,
      baseAmountMillis: 0,
      nowSeconds: justInside,
    });
    expect(facts.customer.h1.count).toBe(2);
    expect(bucketIndex('h1', justInside)).toBeGreaterThan(bucketIndex('h1', NOW));
  });

  it.each(Object.keys(WINDOWS) as WindowName[])(
    'forgets a payment at most one bucket (1/12) after its %s window has passed',
    (window) => {
      const item = apply(
        {},
        counterChange({ item: {}, baseAmountMillis: 1000, newBeneficiary: false, nowSeconds: NOW }),
      );
      const bucket = WINDOWS[window] / 12;
      const firstExcluded = (bucketIndex(window, NOW) + 13) * bucket;
      const countAt = (nowSeconds: number) =>
        velocityFacts({
          customerItem: item,
          hasBeneficiary: false,
          firstTimeBeneficiary: false,
          baseAmountMillis: 0,
          nowSeconds,
          counted: false,
        }).customer[window].count;
      expect(countAt(firstExcluded - 1)).toBe(1);
      expect(countAt(firstExcluded)).toBe(0);
      // Never an under-count, and an over-count of at most one bucket.
      expect(firstExcluded - NOW).toBeGreaterThan(WINDOWS[window]);
      expect(firstExcluded - NOW).toBeLessThanOrEqual(WINDOWS[window] + bucket);
    },
  );

  it('adds sums in thousandths, so decimal amounts add up exactly', () => {
    let item: Record<string, number> = {};
    item = apply(item, counterChange({ item, baseAmountMillis: 100, newBeneficiary: false, nowSeconds: NOW }));
    const facts = velocityFacts({
      customerItem: item,
      hasBeneficiary: false,
      firstTimeBeneficiary: false,
      baseAmountMillis: 200,
      nowSeconds: NOW,
    });
    expect(facts.customer.h1).toEqual({ count: 2, sum: 0.3 });
  });

  it('lets a payment that does not count (a refund) see the windows as they are', () => {
    const item = apply({}, counterChange({ item: {}, baseAmountMillis: 5000, newBeneficiary: true, nowSeconds: NOW }));
    const facts = velocityFacts({
      customerItem: item,
      hasBeneficiary: true,
      firstTimeBeneficiary: true,
      baseAmountMillis: 7000,
      nowSeconds: NOW,
      counted: false,
    });
    expect(facts.customer.h24).toEqual({ count: 1, sum: 5 });
    expect(facts.customer.newBeneficiaries24h).toBe(1);
    expect(facts.beneficiary.h1).toEqual({ count: 0, sum: 0 });
  });

  it('counts neither refunds nor negative amounts, and refuses to add a negative amount', () => {
    expect(countsTowardsVelocity({ isRefund: false, baseAmountMillis: 0 })).toBe(true);
    expect(countsTowardsVelocity({ isRefund: true, baseAmountMillis: 5000 })).toBe(false);
    expect(countsTowardsVelocity({ isRefund: false, baseAmountMillis: -1 })).toBe(false);
    expect(() => counterChange({ item: {}, baseAmountMillis: -1, newBeneficiary: false, nowSeconds: NOW })).toThrow(
      RangeError,
    );
  });

  it('adds a new beneficiary to the 24 h bucket only when it is new', () => {
    const fresh = counterChange({ item: {}, baseAmountMillis: 1, newBeneficiary: true, nowSeconds: NOW });
    const known = counterChange({ item: {}, baseAmountMillis: 1, newBeneficiary: false, nowSeconds: NOW });
    expect(fresh.add[`n_h24_${bucketIndex('h24', NOW)}`]).toBe(1);
    expect(Object.keys(known.add).filter((name) => name.startsWith('n_'))).toEqual([]);
  });

  it('plans each change on the version it read (0 for a new or unversioned item)', () => {
    expect(counterVersion(undefined)).toBe(0);
    expect(counterVersion({ ver: 7 })).toBe(7);
    expect(counterVersion({ ver: '7' })).toBe(0);
    expect(counterVersion({ ver: 1.5 })).toBe(0);
    expect(
      counterChange({ item: { ver: 7 }, baseAmountMillis: 1, newBeneficiary: false, nowSeconds: NOW }),
    ).toMatchObject({ expectedVersion: 7 });
  });
});
