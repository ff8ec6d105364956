import { randomUUID } from 'node:crypto';
import { aTransaction } from '../fixtures/transactions.js';
import { adminFunction, bodyOf, type HandlerResources, handlerResources, validateFunction } from './resources.js';

const ANA = { authorization: 'Bearer perf-test-analyst-000001' };
const SAM = { authorization: 'Bearer perf-test-supervisor-00001' };
let resources: HandlerResources;
let admin: ReturnType<typeof adminFunction>;
let validate: Awaited<ReturnType<typeof validateFunction>>;

beforeAll(async () => {
  resources = await handlerResources({ ruleStatsStream: true });
  admin = adminFunction(resources, {
    ADMIN_TOKENS: 'ana:analyst:perf-test-analyst-000001,sam:supervisor:perf-test-supervisor-00001',
  });
  validate = await validateFunction(resources);
  // The first call pays for the connections (an approval with no hit: it adds no row).
  await validate(aTransaction({ customer: `warm-${randomUUID()}` }));
});
afterAll(() => resources.destroy());

const DAY_MS = 86_400_000;
const day = (offset: number) => new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS + offset * DAY_MS);
const at = (offsetDays: number, hour: number) => new Date(day(offsetDays).getTime() + hour * 3_600_000).toISOString();

const eventually = async <T>(read: () => Promise<T>, done: (value: T) => boolean, withinMs = 20_000): Promise<T> => {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

describe('GET /api/rules/performance', () => {
  it('counts hits, cases, analysts’ decisions and the queue per day as hand-counted', async () => {
    // Today, through validate: three large payments open three cases; sam rejects one, approves one.
    const cases = [1, 2, 3].map(() => aTransaction({ baseTotal: 20_000, customer: `perf-${randomUUID()}` }));
    for (const body of cases) expect(bodyOf(await validate(body)).status).toBe('PENDING_EXTERNAL_APPROVAL');
    const [rejected, approved, open] = cases.map((body) => String(body.id));
    const decide = async (id: string | undefined, status: string) =>
      expect((await admin('POST', `/api/cases/${id}/decision`, SAM, { status, reason: 'checked' })).statusCode).toBe(
        200,
      );
    await decide(rejected, 'REJECTED');
    await decide(approved, 'APPROVED');

    // Earlier days: validate cannot backdate a decision, so these items are written directly, as
    // validate and the case workflow would have left them, with chosen times.
    const stored = (id: string, fields: Record<string, unknown>) =>
      resources.put('decisions', { transactionId: id, customer: 'perf-earlier', ruleErrors: [], ...fields });
    // Two days ago: a large-amount case kim rejected two hours after it opened.
    await stored('perf-two-days-ago', {
      status: 'REJECTED',
      createdAt: at(-2, 10),
      updatedAt: at(-2, 12),
      caseOpenedAt: at(-2, 10),
      decidedAt: at(-2, 12),
      decidedBy: 'kim',
      hits: [{ rule: 'large-amount', description: 'x', outcome: 'REVIEW' }],
    });
    // Yesterday: a high-risk-country case the SLA sweeper closed (not a person's decision).
    await stored('perf-yesterday', {
      status: 'REJECTED',
      createdAt: at(-1, 8),
      updatedAt: at(-1, 20),
      caseOpenedAt: at(-1, 8),
      decidedAt: at(-1, 20),
      decidedBy: 'system:sla',
      hits: [{ rule: 'high-risk-country', description: 'x', outcome: 'REVIEW' }],
    });
    // Three days ago: before the window asked for.
    await stored('perf-before-window', {
      status: 'APPROVED',
      createdAt: at(-3, 10),
      hits: [{ rule: 'large-amount', description: 'x', outcome: 'REVIEW' }],
    });

    const from = day(-2).toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();
    const query = `/api/rules/performance?set=outbound&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
    const result = await eventually(
      async () => bodyOf(await admin('GET', query, ANA)),
      (body) => {
        const large = body.rules?.find((rule: { rule: string }) => rule.rule === 'large-amount');
        // Every row written: the stream has passed the last item stored.
        return (
          large?.analystRejected === 2 &&
          large?.analystApproved === 1 &&
          body.queue?.[0]?.closed === 1 &&
          body.queue?.[1]?.closed === 1
        );
      },
    );

    const decided = async (id: string | undefined) => {
      const item = await resources.item('decisions', { transactionId: String(id) });
      return (Date.parse(String(item?.decidedAt)) - Date.parse(String(item?.caseOpenedAt))) / 1000;
    };
    // The median of three: the middle one of sam's two and kim's 7,200 s.
    const times = [await decided(rejected), await decided(approved), 7200].sort((a, b) => a - b);
    const days = [day(-2), day(-1), day(0)].map((date) => date.toISOString().slice(0, 10));
    expect(result.days).toEqual(days);
    expect(result.from).toBe(from);
    expect(result.to).toBe(to);
    expect(result.rules.find((rule: { rule: string }) => rule.rule === 'large-amount')).toEqual({
      rule: 'large-amount',
      hits: 4,
      casesOpened: 4,
      analystApproved: 1,
      analystRejected: 2,
      precision: 2 / 3,
      medianTimeToDecisionSeconds: times[1],
      hitsPerDay: 4 / 3,
      daily: [
        { day: days[0], hits: 1 },
        { day: days[1], hits: 0 },
        { day: days[2], hits: 3 },
      ],
    });
    expect(result.rules.find((rule: { rule: string }) => rule.rule === 'high-risk-country')).toMatchObject({
      hits: 1,
      casesOpened: 1,
      analystApproved: 0,
      analystRejected: 0,
      precision: null,
      medianTimeToDecisionSeconds: null,
    });
    // A rule of the set that never hit is listed with zeros.
    expect(result.rules.find((rule: { rule: string }) => rule.rule === 'fatf-call-for-action-country')).toMatchObject({
      hits: 0,
      casesOpened: 0,
      precision: null,
      hitsPerDay: 0,
    });
    expect(result.queue).toEqual([
      { day: days[0], opened: 1, closed: 1, open: 0 },
      { day: days[1], opened: 1, closed: 1, open: 0 },
      { day: days[2], opened: 3, closed: 2, open: 1 },
    ]);
    expect(open).toBeDefined();
  });

  it('counts a case still open at the window start when opened up to 90 days before it, and reads no older case', async () => {
    // Case rows as ruleStats writes them, far in the past so no other test's rows are in range.
    const caseRow = (openedAt: string) => {
      const transactionId = `lookback-${randomUUID()}`;
      return resources.put('analytics', {
        pk: 'cases#outbound',
        sk: `${openedAt}#${transactionId}`,
        kind: 'case',
        transactionId,
        openedAt,
        status: 'PENDING_EXTERNAL_APPROVAL',
        imageAt: openedAt,
      });
    };
    await caseRow(at(-410, 9)); // 10 days before the window: still open in it
    await caseRow(at(-500, 9)); // 100 days before: beyond the lookback, not read
    const from = day(-400).toISOString();
    const to = day(-398).toISOString();
    const result = bodyOf(await admin('GET', `/api/rules/performance?set=outbound&from=${from}&to=${to}`, ANA));
    expect(result.queue).toEqual([
      { day: from.slice(0, 10), opened: 0, closed: 0, open: 1 },
      { day: day(-399).toISOString().slice(0, 10), opened: 0, closed: 0, open: 1 },
    ]);
  });

  it('answers 400 for the inbound set or a bad time, 401 without a token, and defaults to the last 30 days', async () => {
    const inbound = await admin('GET', '/api/rules/performance?set=inbound', ANA);
    expect(inbound.statusCode).toBe(400);
    expect(bodyOf(inbound).error.fields).toEqual([
      { path: 'set', message: 'only the outbound rule set has performance figures for now' },
    ]);
    const badFrom = await admin('GET', '/api/rules/performance?from=last-week', ANA);
    expect(bodyOf(badFrom).error.fields).toEqual([{ path: 'from', message: 'must be an ISO date-time' }]);
    expect((await admin('GET', '/api/rules/performance')).statusCode).toBe(401);
    const defaults = bodyOf(await admin('GET', '/api/rules/performance', ANA));
    expect(defaults.days).toHaveLength(30);
  });
});
