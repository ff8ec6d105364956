import { randomUUID } from 'node:crypto';
import { ruleSetRepository } from '#adapters/rule-set-repository.js';
import { activeRulesFrom } from '#shared/rule-source.js';
import { readRuleSetFile } from '#shared/rules-loader.js';
import { aTransaction } from '../fixtures/transactions.js';
import { adminFunction, bodyOf, type HandlerResources, handlerResources, validateFunction } from './resources.js';

/** Audit finding (branch `audit`): a shadow run that ended when its version was approved comes back. */

const ANA = { authorization: 'Bearer audit-shadow-analyst-00001' };
const SAM = { authorization: 'Bearer audit-shadow-supervisor-001' };
const KIM = { authorization: 'Bearer audit-shadow-supervisor-002' };
let resources: HandlerResources;
let admin: ReturnType<typeof adminFunction>;
let validate: Awaited<ReturnType<typeof validateFunction>>;

beforeAll(async () => {
  resources = await handlerResources();
  admin = adminFunction(resources, {
    ADMIN_TOKENS:
      'ana:analyst:audit-shadow-analyst-00001,sam:supervisor:audit-shadow-supervisor-001,kim:supervisor:audit-shadow-supervisor-002',
  });
  validate = await validateFunction(
    resources,
    activeRulesFrom(ruleSetRepository(resources.documentClient, resources.tables.ruleSets), 'outbound', {
      file: 'rules/default.yaml',
      refreshSeconds: 1,
    }),
  );
  expect((await admin('GET', '/api/rule-sets/outbound', ANA)).statusCode).toBe(200);
});
afterAll(() => resources.destroy());

const draft = async (description: string) => {
  const file = (await readRuleSetFile('rules/default.yaml')) as { lists: Record<string, string[]>; rules: unknown[] };
  const created = await admin('POST', '/api/rule-sets/outbound/versions', SAM, {
    description,
    lists: file.lists,
    rules: file.rules,
  });
  expect(created.statusCode).toBe(201);
  return Number(bodyOf(created).version);
};
const approve = async (version: number) => {
  expect((await admin('POST', `/api/rule-sets/outbound/versions/${version}/propose`, SAM)).statusCode).toBe(200);
  expect((await admin('POST', `/api/rule-sets/outbound/versions/${version}/approve`, KIM)).statusCode).toBe(200);
};

describe('audit: a shadowed version approved, then retired by the next approval', () => {
  it('is not shadowed again: its run ended when it went live, and nobody started another', async () => {
    const shadowed = await draft('Shadowed, then approved');
    expect((await admin('POST', `/api/rule-sets/outbound/versions/${shadowed}/shadow`, SAM)).statusCode).toBe(200);
    await approve(shadowed);
    const next = await draft('The next one');
    await approve(next);
    const versionView = bodyOf(await admin('GET', `/api/rule-sets/outbound/versions/${shadowed}`, ANA));
    expect(versionView.state).toBe('RETIRED');

    // Today the pointer still names it: the report says it runs, and validate evaluates it again.
    const report = bodyOf(await admin('GET', `/api/rule-sets/outbound/versions/${shadowed}/shadow-report`, ANA));
    expect(report.running).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    // The first after the refresh interval looks the pointer up again; the next decides with it.
    await validate(aTransaction({ customer: `audit-${randomUUID()}` }));
    const last = aTransaction({ customer: `audit-${randomUUID()}` });
    await validate(last);
    const item = await resources.item('decisions', { transactionId: String(last.id) });
    expect(item?.shadow).toBeUndefined();
  });
});
