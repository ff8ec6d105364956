import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { aTransaction } from '../fixtures/transactions.js';
import { testDocumentClient } from '../integration/stack.js';
import {
  ANA,
  type Answer,
  adminCall,
  existingKeys,
  inPool,
  invoke,
  ONEPIPE_KEY,
  ONEPIPE_SECRET,
  SAM,
  startSecurityStack,
  validateCall,
} from './harness.js';

/**
 * Generated hostile input against the real handlers on DynamoDB Local (in-process, as the gateway
 * calls them): no 5xx, no answer slower than the budget allows, no SERVICE_DEGRADED while storage
 * is up, and nothing stored for a refused call. Counts are printed.
 */
const BUDGET_MS = 2000;
/** An answer may take the budget plus this on a loaded 2-core CI machine, never more. */
const SLACK_MS = 1500;
const SEED = Number(process.env.FUZZ_SEED ?? 20261123);
const RUNS = { validate: 10_000, admin: 1_000, onepipe: 2_000 };

const db = testDocumentClient();
let suite: Awaited<ReturnType<typeof startSecurityStack>>;

beforeAll(async () => {
  suite = await startSecurityStack();
  await validateCall(JSON.stringify(aTransaction())); // warm: cold start is not what is measured
});
afterAll(async () => {
  await suite.stop();
  db.destroy();
});

/** Tallies answers by status and remembers the worst ones to report. */
const tally = () => {
  const byStatus: Record<string, number> = {};
  const failures: string[] = [];
  let slowest = 0;
  return {
    byStatus,
    failures,
    record(answer: Answer, sample: string, extra: string[] = []) {
      byStatus[answer.status] = (byStatus[answer.status] ?? 0) + 1;
      slowest = Math.max(slowest, answer.ms);
      const problems = [...extra];
      if (answer.status >= 500) problems.push(`status ${answer.status}`);
      if (answer.ms > BUDGET_MS + SLACK_MS) problems.push(`took ${Math.round(answer.ms)} ms`);
      if (problems.length && failures.length < 20) failures.push(`${problems.join(', ')}: ${sample.slice(0, 300)}`);
    },
    get slowest() {
      return Math.round(slowest);
    },
  };
};

// ---- hostile values -------------------------------------------------------------------------------
const bigString = fc
  .tuple(
    fc.constantFrom('x', 'a@', '😀', 'é', '"', '\\\\', '\u0000', ' ', 'GB29', '%'),
    fc.integer({ min: 1, max: 130_000 }),
  )
  .map(([unit, count]) => unit.repeat(count));
const hostileNumber = fc.oneof(
  fc.double(),
  fc.constantFrom(1e308, -1e308, 5e-324, 1e-131, 1e126, 9.999999999999999e125, 1e12, -1e12, 0, -0, 2 ** 53 + 1),
  fc.integer(),
  fc.bigInt().map((value) => Number(value)),
);
const hostileString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.constantFrom('__proto__', 'constructor', 'toString', 'onepipe#x', '', ' ', 'null', 'NaN', '%ZZ'),
  bigString,
);
const hostileValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    hostileString,
    hostileNumber,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(
      hostileString.filter((key) => key.length < 50),
      tie('value'),
      { maxKeys: 4 },
    ),
  ),
})).value;

const KNOWN = [
  'id',
  'customer',
  'company',
  'user',
  'type',
  'payType',
  'currency',
  'baseCurrency',
  'total',
  'baseTotal',
  'balance',
  'concept',
  'reference',
  'country',
  'date',
  'sourceAccount',
  'destinationAccount',
] as const;
const ACCOUNT = ['id', 'name', 'iban', 'bicSwift', 'accountNumber', 'ukSortCode', 'countryCode', 'city'] as const;

/** Raw bodies: broken JSON, deep nesting, non-objects, and transactions with hostile fields. */
const validateBody = (index: number) =>
  fc.oneof(
    fc.string({ maxLength: 200 }).map((text) => ({ raw: text, id: undefined as string | undefined })),
    fc.integer({ min: 30, max: 120_000 }).map((levels) => ({
      raw: `{"id":"deep-${index}","x":${'['.repeat(levels)}${']'.repeat(levels)}}`,
      id: `deep-${index}`,
    })),
    fc
      .constantFrom('[]', '1', '"x"', 'null', 'true', '{"id":null}', '{"id":1e400}')
      .map((raw) => ({ raw, id: undefined })),
    fc
      .record({
        field: fc.constantFrom(...KNOWN),
        accountField: fc.constantFrom(...ACCOUNT),
        value: hostileValue,
        extra: fc.dictionary(fc.string({ maxLength: 20 }), hostileValue, { maxKeys: 3 }),
        nullish: fc.boolean(),
      })
      .map(({ field, accountField, value, extra, nullish }) => {
        // Each payment its own customer and beneficiary: hostile input, not one hot counter item, is under test.
        const tx: Record<string, unknown> = {
          ...aTransaction({
            customer: `fz-customer-${index}`,
            destinationAccount: { iban: undefined, accountNumber: `${index}` },
          }),
          id: `fz-${index}`,
          ...extra,
        };
        if (field === 'sourceAccount' || field === 'destinationAccount') {
          tx[field] = nullish ? value : { ...(tx[field] as object), [accountField]: value };
        } else tx[field] = value;
        tx.id = field === 'id' ? value : `fz-${index}`;
        return { raw: JSON.stringify(tx) ?? '', id: typeof tx.id === 'string' ? tx.id.trim() : undefined };
      }),
  );

describe('fuzzing', () => {
  it(`answers ${RUNS.validate} hostile validate bodies with no 5xx, no hang, no SERVICE_DEGRADED, nothing stored when refused`, async () => {
    const samples = Array.from(
      { length: RUNS.validate },
      (_, index) =>
        fc.sample(validateBody(index), { numRuns: 1, seed: SEED + index })[0] as { raw: string; id?: string },
    );
    const seen = tally();
    const refusedIds: string[] = [];
    let degraded = 0;
    await inPool(samples, 6, async (sample) => {
      const answer = await validateCall(sample.raw);
      const degradedAnswer =
        answer.status === 200 &&
        answer.body.reasons?.some((reason: { rule: string }) => reason.rule === 'SERVICE_DEGRADED');
      if (degradedAnswer) degraded++;
      seen.record(answer, sample.raw, degradedAnswer ? ['SERVICE_DEGRADED while storage is up'] : []);
      if (answer.status !== 200 && sample.id) refusedIds.push(sample.id);
    });
    const storedRefused = await existingKeys(db, suite.stack.tables.decisions, 'transactionId', refusedIds);
    console.log(
      `validate fuzz: ${samples.length} bodies, by status ${JSON.stringify(seen.byStatus)}, ` +
        `slowest ${seen.slowest} ms, SERVICE_DEGRADED ${degraded}, refused with an id ${refusedIds.length}, ` +
        `stored after refusal ${storedRefused.length} (seed ${SEED})`,
    );
    expect(seen.failures).toEqual([]);
    expect(storedRefused).toEqual([]);
    expect(Object.keys(seen.byStatus).sort()).toEqual(expect.arrayContaining(['200', '400']));
  });

  it(`answers ${RUNS.admin} hostile admin API requests with no 5xx, no hang, and no change from a refused one`, async () => {
    const pending = aTransaction({ baseTotal: 20_000, total: 20_000 });
    expect((await validateCall(JSON.stringify(pending))).body.status).toBe('PENDING_EXTERNAL_APPROVAL');
    const caseId = String(pending.id);
    const segment = fc.oneof(
      fc.constantFrom(
        caseId,
        '%ZZ',
        '%E0%A4%A',
        '%',
        '..',
        'x'.repeat(3000),
        '%F0%9F%98%80',
        'onepipe%23x',
        '__proto__',
      ),
      fc.string({ maxLength: 40 }).map(encodeURIComponent),
    );
    const cursor = fc.oneof(
      fc.string({ maxLength: 60 }),
      fc
        .dictionary(fc.constantFrom('transactionId', 'status', 'createdAt', 'deliveryId', 'dueAt', 'x'), hostileValue, {
          maxKeys: 4,
        })
        .map((key) => Buffer.from(JSON.stringify(key)).toString('base64url')),
    );
    const query = fc
      .record(
        {
          status: fc.constantFrom('PENDING', 'APPROVED', 'DEAD', 'QUEUED', 'nope', ''),
          minAmount: hostileNumber.map(String),
          olderThanHours: hostileNumber.map(String),
          limit: hostileNumber.map(String),
          customer: hostileString.map((text) => text.slice(0, 300)),
          since: fc.constantFrom('2026-01-01T00:00:00Z', 'yesterday', '1e400'),
          cursor,
        },
        { requiredKeys: [] },
      )
      .map((params) => new URLSearchParams(params as Record<string, string>).toString());
    const request = fc.record({
      method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE'),
      path: fc.oneof(
        fc.constantFrom(
          '/api/cases',
          '/api/deliveries',
          '/api/me',
          '/api/providers/report',
          '/api/onepipe/unmatched',
          '/api/deliveries/retry-dead',
        ),
        fc
          .tuple(
            fc.constantFrom('cases', 'deliveries', 'account-mappings'),
            segment,
            fc.constantFrom('', '/claim', '/release', '/notes', '/decision', '/retry', '/approve'),
          )
          .map(([kind, id, action]) => `/api/${kind}/${id}${action}`),
      ),
      query,
      body: fc.oneof(
        hostileValue.map((value) => JSON.stringify(value) ?? ''),
        fc.constantFrom(
          '{"text":"note"}',
          '{"status":"APPROVED","reason":"fuzz says yes"}',
          '{"since":"2026-01-01T00:00:00Z"}',
          `${'['.repeat(5000)}${']'.repeat(5000)}`,
          '{',
        ),
      ),
      token: fc.constantFrom(ANA, SAM, 'Bearer wrong-token-000001', '', 'Basic x'),
      sourceIp: fc.ipV4(),
    });
    const samples = fc.sample(request, { numRuns: RUNS.admin, seed: SEED });
    const seen = tally();
    const versionOf = async () =>
      (await adminCall('GET', `/api/cases/${caseId}`, { token: SAM })).body.version as number;
    let refusedOnCase = 0;
    // One at a time: each refused call on the fixture case is checked to have changed nothing.
    for (const sample of samples) {
      const onCase = sample.path.includes(caseId);
      const before = onCase ? await versionOf() : undefined;
      const answer = await adminCall(sample.method, sample.path, {
        ...(sample.token ? { token: sample.token } : {}),
        query: sample.query,
        body: sample.body,
        sourceIp: sample.sourceIp,
      });
      const extra: string[] = [];
      if (onCase && answer.status >= 400) {
        refusedOnCase++;
        const after = await versionOf();
        if (after !== before) extra.push(`refused call changed the case (version ${before} -> ${after})`);
      }
      seen.record(
        answer,
        `${sample.method} ${sample.path.slice(0, 100)}?${sample.query.slice(0, 100)} ${sample.body.slice(0, 100)}`,
        extra,
      );
    }
    console.log(
      `admin fuzz: ${samples.length} requests, by status ${JSON.stringify(seen.byStatus)}, slowest ${seen.slowest} ms, ` +
        `refused on the fixture case ${refusedOnCase} (seed ${SEED})`,
    );
    expect(seen.failures).toEqual([]);
  });

  it(`answers ${RUNS.onepipe} hostile OnePipe notifications, signed and unsigned, with no 5xx and nothing stored unsigned`, async () => {
    let refCounter = 0;
    const notification = fc
      .record({
        signed: fc.boolean(),
        // Mostly refs OnePipe could send (so signed ones get past the signature), some hostile.
        ref: fc.oneof(
          { weight: 4, arbitrary: fc.stringMatching(/^[A-Za-z0-9]{1,20}$/) },
          fc.string({ minLength: 1, maxLength: 40 }),
          fc.constantFrom('x'.repeat(3000), '__proto__', ' '),
        ),
        amount: fc.oneof(hostileNumber, hostileString, fc.constant(undefined)),
        crAccount: fc.oneof(fc.constantFrom('0123456789', 'x'.repeat(3000)), hostileString),
        transactionRef: fc.oneof(fc.string({ maxLength: 30 }), fc.constant('t'.repeat(400))),
        eventType: fc.constantFrom('credit', 'debit', '__proto__', 'constructor', undefined),
        requestType: fc.constantFrom(
          'transaction_notification',
          'transaction_info',
          'payment_fulfillment',
          'toString',
          undefined,
        ),
        status: fc.constantFrom('Successful', 'Failed', 'toString', undefined),
        extra: fc.dictionary(fc.string({ maxLength: 20 }), hostileValue, { maxKeys: 3 }),
        // One in ten is not JSON at all.
        raw: fc.oneof(
          { weight: 9, arbitrary: fc.constant(null) },
          { weight: 1, arbitrary: fc.string({ maxLength: 100 }) },
        ),
      })
      .map((n) => {
        const requestRef = `${n.ref}-${refCounter++}-${Date.now()}`;
        const body =
          n.raw ??
          JSON.stringify({
            request_ref: requestRef,
            request_type: n.requestType,
            requester: 'fuzz',
            mock_mode: 'live',
            details: {
              amount: n.amount,
              status: n.status,
              provider: 'Fuzz',
              transaction_type: 'transfer',
              transaction_ref: n.transactionRef,
              transaction_desc: 'fuzz',
              customer_ref: 'c',
              meta: { event_type: n.eventType, cr_account: n.crAccount },
            },
            ...n.extra,
          });
        return { body, requestRef, signed: n.signed };
      });
    const samples = fc.sample(notification, { numRuns: RUNS.onepipe, seed: SEED });
    const seen = tally();
    const unsignedRefs: string[] = [];
    const refusals: Record<string, number> = {};
    await inPool(samples, 4, async (sample) => {
      const signature = createHash('md5').update(`${sample.requestRef};${ONEPIPE_SECRET}`).digest('hex');
      const answer = await invoke('onepipeNotifications', {
        method: 'POST',
        path: '/onepipe/notifications',
        headers: sample.signed ? { signature, authorization: `Bearer ${ONEPIPE_KEY}` } : {},
        body: sample.body,
      });
      seen.record(answer, `${sample.signed ? 'signed' : 'unsigned'} ${sample.body}`);
      if (answer.status === 400) {
        const why = String(answer.body?.message ?? '')
          .replace(/\d+/g, 'N')
          .slice(0, 80);
        refusals[why] = (refusals[why] ?? 0) + 1;
      }
      if (!sample.signed) unsignedRefs.push(sample.requestRef);
    });
    const storedUnsigned = await existingKeys(db, suite.stack.tables.notifications, 'requestRef', unsignedRefs);
    console.log(
      `onepipe fuzz: ${samples.length} notifications (${samples.filter((s) => s.signed).length} signed), by status ` +
        `${JSON.stringify(seen.byStatus)}, slowest ${seen.slowest} ms, stored unsigned ${storedUnsigned.length} (seed ${SEED}); ` +
        `400s by reason ${JSON.stringify(refusals)}`,
    );
    expect(seen.failures).toEqual([]);
    expect(storedUnsigned).toEqual([]);
  });
});
