/// <reference lib="dom" />
import { mkdirSync } from 'node:fs';
import type { Browser, Locator, Page } from 'playwright-core';
import type { LocalStack } from '../../local/stack.js';
import { eventually } from '../fixtures/receiver.js';
import { aTransaction } from '../fixtures/transactions.js';
import { startTestStack, validate } from '../integration/stack.js';
import { launchTestChromium } from './chromium.js';

/** `UPDATE_SCREENSHOTS=1 npm test` refreshes the README's screenshots in docs/. */
const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === '1' ? 'docs' : undefined;

let stack: LocalStack;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  stack = await startTestStack();
  ({ browser } = await launchTestChromium());
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
});
afterAll(async () => {
  await browser?.close();
  await stack.stop();
});

/** The whole page, or one part of it. */
const screenshot = async (name: string, part?: Locator) => {
  if (!SCREENSHOTS) return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = `${SCREENSHOTS}/${name}.png`;
  await (part ? part.screenshot({ path }) : page.screenshot({ path, fullPage: true }));
};

describe('the analysts’ web UI', () => {
  it('refuses an unknown token with a clear message', async () => {
    await page.goto(stack.adminUrl);
    await page.getByLabel('Token').fill('not-a-real-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'not accepted (401)' }).waitFor();
  });

  it('signs in, opens a pending case, approves it, sees it leave the queue and the webhook delivered', async () => {
    const customer = `Acme Trading ${Date.now()}`;
    const held = aTransaction({ customer, baseTotal: 25_000, total: 25_000, concept: 'Supplier invoice 2211' });
    const other = aTransaction({ customer, baseTotal: 14_500, total: 14_500, concept: 'Equipment' });
    await validate(stack.apiUrl, held);
    await validate(stack.apiUrl, other);

    await page.goto(stack.adminUrl);
    await page.getByLabel('Token').fill('local-analyst-token-0001');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('ana (analyst)').waitFor();
    // The token lives in this tab's session storage, never in the address.
    expect(page.url()).not.toContain('local-analyst-token');
    expect(await page.evaluate(() => sessionStorage.getItem('tm-proxy-token'))).toBe('local-analyst-token-0001');

    const row = page.locator(`#queue tr[data-id="${held.id}"]`);
    await row.waitFor();
    await expect(row.textContent()).resolves.toContain('large-amount');
    await screenshot('queue');

    await row.click();
    await page.getByRole('heading', { name: `Case ${held.id}` }).waitFor();
    await page.locator('#reasons').getByText('large-amount').waitFor();
    await screenshot('case');

    // A decision needs a reason.
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByRole('alert').filter({ hasText: 'give a reason' }).waitFor();

    await page.getByLabel('Reason').fill('Invoice matches the purchase order');
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByRole('alert').filter({ hasText: 'Approved.' }).waitFor();
    await page.locator('h1 + .badge.APPROVED').waitFor();

    // The Toqio webhook is delivered; reopening the case shows it.
    await eventually(async () => {
      await page.evaluate(() => {
        location.hash = '#/queue';
      });
      await page.evaluate((id) => {
        location.hash = `#/cases/${encodeURIComponent(id)}`;
      }, String(held.id));
      await page.locator('#deliveries').waitFor();
      return ((await page.locator('#deliveries').textContent()) ?? '').includes('DELIVERED');
    }, 'the webhook to show as delivered');

    await page.getByRole('link', { name: '← Queue' }).click();
    await page.locator(`#queue tr[data-id="${other.id}"]`).waitFor();
    expect(await page.locator(`#queue tr[data-id="${held.id}"]`).count()).toBe(0);
  });

  it('lists an escalated case under its own filter and says who disagreed and when the time limit escalated it', async () => {
    const held = aTransaction({ customer: `Escalated ${Date.now()}`, baseTotal: 150_000, total: 150_000 });
    await validate(stack.apiUrl, held);
    const decide = async (token: string, status: string, reason: string) => {
      const response = await fetch(`${stack.adminUrl}/api/cases/${encodeURIComponent(String(held.id))}/decision`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ status, reason }),
      });
      expect(response.status).toBe(202);
    };
    await decide('local-analyst-token-0001', 'REJECTED', 'source of funds unclear');
    await decide('local-supervisor-token-0001', 'APPROVED', 'documents received');

    await page.goto(`${stack.adminUrl}/#/queue`);
    await page.evaluate(() => sessionStorage.setItem('tm-proxy-token', 'local-analyst-token-0001'));
    await page.reload();
    await page.getByText('ana (analyst)').waitFor();
    await page.getByLabel('Status').selectOption('ESCALATED');
    await page.getByRole('button', { name: 'Apply' }).click();
    const row = page.locator(`#queue tr[data-id="${held.id}"]`);
    await row.locator('.badge.ESCALATED').waitFor();

    // The sweeper's escalation cannot be waited for here: the case's answer gets the field it would set.
    const slaEscalatedAt = '2030-01-02T03:04:05.000Z';
    await page.route(`**/api/cases/${encodeURIComponent(String(held.id))}`, async (route) => {
      const response = await route.fetch();
      await route.fulfill({ response, json: { ...(await response.json()), slaEscalatedAt } });
    });
    await row.click();
    await page.locator('h1 + .badge.ESCALATED').waitFor();
    await expect(page.locator('#escalation').textContent()).resolves.toContain(
      'Escalated to a third person: first ana rejected (“source of funds unclear”), second sam approved (“documents received”).',
    );
    await expect(page.locator('#sla-escalated').textContent()).resolves.toContain(
      `SLA escalated at ${await page.evaluate((at) => new Date(at).toLocaleString(), slaEscalatedAt)}`,
    );
    await page.unroute(`**/api/cases/${encodeURIComponent(String(held.id))}`);
  });

  it('lets a supervisor map a OnePipe account on the accounts page', async () => {
    await page.evaluate(() => sessionStorage.setItem('tm-proxy-token', 'local-supervisor-token-0001'));
    await page.goto(`${stack.adminUrl}/#/accounts`);
    await page.getByRole('heading', { name: 'OnePipe accounts' }).waitFor();
    await page.getByLabel('Virtual account number').fill('9012345678');
    await page.getByLabel('Toqio company').fill('company-1');
    await page.getByLabel('Toqio customer').fill('customer-1');
    await page.getByLabel('Toqio account id').fill('acc-1');
    await page.getByLabel('Bank name').fill('Fidelity Bank');
    await page.getByLabel('Bank description').fill('Virtual account via OnePipe');
    await page.getByRole('button', { name: 'Save mapping' }).click();
    await page.getByRole('alert').filter({ hasText: 'Mapping saved' }).waitFor();
    await page.locator('#mappings').getByText('9012345678').waitFor();
  });

  it('takes a rule change through four eyes on the Rules page, and the case names the version that held it', async () => {
    const signInAs = async (token: string, who: string, hash: string) => {
      await page.goto(stack.adminUrl);
      await page.evaluate((value) => sessionStorage.setItem('tm-proxy-token', value), token);
      // A new hash alone would not start the app again: load the page anew as this person.
      await page.goto(`${stack.adminUrl}/${hash}`);
      await page.reload();
      await page.getByText(who).waitFor();
    };
    await signInAs('local-supervisor-token-0001', 'sam (supervisor)', '#/rules');
    await page.locator('#versions tr[data-version="1"] .badge.ACTIVE').waitFor();
    await page.getByLabel('Description of the change', { exact: true }).fill('Hold 777.77 for review');

    // The draft starts as the active version, edited one rule at a time: pick one to see its fields.
    const draftRules = page.locator('#draft-rules');
    await draftRules.getByRole('button', { name: 'large-amount', exact: true }).click();
    expect(await page.getByLabel('Id', { exact: true }).inputValue()).toBe('large-amount');

    // A new rule through the form; its condition starts from a fact listed beside it (the server's catalogue).
    await page.getByRole('button', { name: 'Add a rule' }).click();
    await page.getByLabel('Id', { exact: true }).fill('exact-777-77');
    await page.getByLabel('Rule description', { exact: true }).fill('Base amount of exactly 777.77');
    await page.getByLabel('Outcome', { exact: true }).selectOption('REVIEW');
    const condition = page.getByLabel('Condition', { exact: true });
    await page.locator('#facts').getByRole('button', { name: 'tx.baseAmount', exact: true }).click();
    await page.keyboard.type(' ==');
    expect(await condition.inputValue()).toBe('tx.baseAmount ==');

    // The server checks it as it is typed and marks the error where it is: a caret under column 17.
    const conditionProblem = page.locator('#rule-condition-problem');
    await conditionProblem.getByText('Line 1, column 17').waitFor();
    await expect(conditionProblem.locator('pre.caret').textContent()).resolves.toBe(
      `tx.baseAmount ==\n${' '.repeat(16)}^`,
    );
    await expect(condition.getAttribute('aria-invalid')).resolves.toBe('true');
    await expect(condition.getAttribute('aria-describedby')).resolves.toBe('rule-condition-problem');
    await draftRules.locator('tr.invalid').getByText('exact-777-77').waitFor();
    await screenshot('rule-editor', page.locator('#draft-form'));

    // Saved anyway from another rule, it is refused (400), and the editor goes to the rule the refusal names.
    await draftRules.getByRole('button', { name: 'large-amount', exact: true }).click();
    await page.getByRole('button', { name: 'Save draft' }).click();
    await page.getByRole('alert').filter({ hasText: '(400)' }).waitFor();
    expect(await page.getByLabel('Id', { exact: true }).inputValue()).toBe('exact-777-77');
    await conditionProblem.getByText(/position 16/).waitFor();

    // Lists: paste many entries at once, search them, remove one; the new list is a fact beside the condition.
    await page.getByLabel('New list name').fill('watchNames');
    await page.getByRole('button', { name: 'Add a list' }).click();
    await page.getByLabel('lists.watchNames', { exact: true }).fill('ACME LTD\nGLOBEX CORP\nINITECH');
    await page.getByLabel('Search lists.watchNames').fill('corp');
    await page.getByRole('button', { name: 'Remove GLOBEX CORP' }).click();
    expect(await page.getByLabel('lists.watchNames', { exact: true }).inputValue()).toBe('ACME LTD\nINITECH');
    await page.locator('#facts').getByRole('button', { name: 'lists.watchNames' }).waitFor();

    // Fixed, the mark goes; Check confirms it with the server.
    await condition.fill('tx.baseAmount == 777.77');
    await page.getByRole('button', { name: 'Check', exact: true }).click();
    await page.locator('#condition-status').getByText('No problems').waitFor();
    await expect(condition.getAttribute('aria-invalid')).resolves.toBe('false');
    expect(await conditionProblem.textContent()).toBe('');

    await page.getByRole('button', { name: 'Save draft' }).click();
    await page.getByRole('heading', { name: 'outbound version 2' }).waitFor();
    await page.locator('h1 + .badge.DRAFT').waitFor();
    await page.locator('#diff-rules tr.added').getByText('exact-777-77').waitFor();
    await screenshot('rules');

    await page.getByRole('button', { name: 'Propose' }).click();
    await page.locator('h1 + .badge.PROPOSED').waitFor();
    // Its author is not offered the approval (and the server refuses it: 403, tested in the handler tests).
    await page.locator('#own-proposal').waitFor();
    expect(await page.getByRole('button', { name: 'Approve' }).count()).toBe(0);

    await signInAs('local-supervisor-token-0002', 'kim (supervisor)', '#/rules/outbound/versions/2');
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByRole('alert').filter({ hasText: 'now ACTIVE' }).waitFor();
    await page.locator('h1 + .badge.ACTIVE').waitFor();

    // validate picks the new version up without a restart (RULES_REFRESH_SECONDS is 5 locally).
    const held = await eventually(
      async () => {
        const payment = aTransaction({ baseTotal: 777.77, total: 777.77 });
        const answer = await validate(stack.apiUrl, payment);
        return answer.body.status === 'PENDING_EXTERNAL_APPROVAL' ? payment : undefined;
      },
      'validate to hold 777.77 with the approved version',
      60_000,
    );
    await page.goto(`${stack.adminUrl}/#/cases/${encodeURIComponent(String(held.id))}`);
    await page.locator('#rule-set-version').getByRole('link', { name: 'outbound@2' }).click();
    await page.getByRole('heading', { name: 'outbound version 2' }).waitFor();
  });
});
