import { bucketIndex, counterChange, velocityFacts, WINDOWS } from '../../functions/domain/decisions/velocity.js';

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
});
