/// <reference lib="dom" />
import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import type { LocalStack } from '../../local/stack.js';
import { eventually } from '../fixtures/receiver.js';
import { aTransaction } from '../fixtures/transactions.js';
import { startTestStack, validate } from '../integration/stack.js';
import { launchTestChromium } from './chromium.js';

/** `UPDATE_SCREENSHOTS=1` refreshes the README's screenshot of this page in docs/. */
const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === '1' ? 'docs' : undefined;

const ANALYST = 'local-analyst-token-0001';
const SUPERVISOR = 'local-supervisor-token-0001';

let stack: LocalStack;
let browser: Browser;
let page: Page;
/** The draft the first test makes (large-amount only from 30,000), which the second shadows. */
let candidate: number;

beforeAll(async () => {
  stack = await startTestStack();
  ({ browser } = await launchTestChromium());
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
});
afterAll(async () => {
  await browser?.close();
  await stack.stop();
});

/** One admin API call as a person; answers the status and the body. */
const admin = async (token: string, path: string, method = 'GET', body?: unknown) => {
  const response = await fetch(`${stack.adminUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

const decide = async (transactionId: string, status: 'APPROVED' | 'REJECTED') => {
  const answer = await admin(ANALYST, `/api/cases/${encodeURIComponent(transactionId)}/decision`, 'POST', {
    status,
    reason: `checked: ${status.toLowerCase()}`,
  });
  expect(answer.status).toBe(200);
};

/** A held payment of one customer of its own, so only the rules the test means hit it. */
const held = async (changes: Record<string, unknown>) => {
  const payment = aTransaction({ customer: `Insights ${Math.random().toString(36).slice(2, 10)}`, ...changes });
  const answer = await validate(stack.apiUrl, payment);
  expect(answer.body.status).toBe('PENDING_EXTERNAL_APPROVAL');
  return String(payment.id);
};

/** Counts a chart's coloured canvas pixels: its series (axes, grid and text are grey or black). */
const colouredPixels = (chartId: string) =>
  page.evaluate((chartId) => {
    let count = 0;
    for (const canvas of document.querySelectorAll<HTMLCanvasElement>(`#${chartId} canvas`)) {
      // Read through a copy made for reading, so Chromium does not warn about repeated readbacks.
      const copy = document.createElement('canvas');
      copy.width = canvas.width;
      copy.height = canvas.height;
      const context = copy.getContext('2d', { willReadFrequently: true });
      context?.drawImage(canvas, 0, 0);
      const data = context?.getImageData(0, 0, copy.width, copy.height).data ?? [];
      for (let index = 0; index < data.length; index += 4) {
        const rgb = [data[index] ?? 0, data[index + 1] ?? 0, data[index + 2] ?? 0];
        if ((data[index + 3] ?? 0) > 128 && Math.max(...rgb) - Math.min(...rgb) > 60) count += 1;
      }
    }
    return count;
  }, chartId);

describe('the Insights page', () => {
  it('draws the rules’ figures from real decisions, runs a backtest and compares it, with no CSP or console error', async () => {
    // Three large payments held by large-amount: analysts approve two (false alarms) and reject one.
    const large = [await held({ baseTotal: 25_000, total: 25_000 }), await held({ baseTotal: 31_000, total: 31_000 })];
    const largeRejected = await held({ baseTotal: 27_500, total: 27_500 });
    // A small payment to a FATF grey-list country held by high-risk-country: rejected (precision 100%).
    const grey = await held({
      baseTotal: 300,
      total: 300,
      destinationAccount: { ...(aTransaction().destinationAccount as object), countryCode: 'KE' },
    });
    for (const id of large) await decide(id, 'APPROVED');
    await decide(largeRejected, 'REJECTED');
    await decide(grey, 'REJECTED');

    // The figures are counted from the decisions' stream: wait until the API has them all.
    const today = new Date().toISOString().slice(0, 10);
    const query = new URLSearchParams({
      set: 'outbound',
      from: `${today}T00:00:00.000Z`,
      to: new Date(Date.now() + 86_400_000).toISOString(),
    });
    await eventually(async () => {
      const answer = await admin(ANALYST, `/api/rules/performance?${query}`);
      const rules = (answer.body.rules ?? []) as { rule: string; analystApproved: number; analystRejected: number }[];
      const largeAmount = rules.find((rule) => rule.rule === 'large-amount');
      return largeAmount?.analystApproved === 2 && largeAmount.analystRejected === 1;
    }, 'the performance figures to count the analysts’ decisions');

    // A candidate version that holds only from 30,000: a backtest of it over today.
    const active = (await admin(SUPERVISOR, '/api/rule-sets/outbound')).body.active as {
      description: string;
      lists: Record<string, string[]>;
      rules: { id: string; condition: string }[];
    };
    const draft = await admin(SUPERVISOR, '/api/rule-sets/outbound/versions', 'POST', {
      description: 'Hold only from 30,000',
      lists: active.lists,
      rules: active.rules.map((rule) =>
        rule.id === 'large-amount' ? { ...rule, condition: 'tx.baseAmount >= 30000.0' } : rule,
      ),
    });
    expect(draft.status).toBe(201);
    candidate = Number(draft.body.version);

    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(String(error)));

    await page.goto(stack.adminUrl);
    await page.evaluate((token) => sessionStorage.setItem('tm-proxy-token', token), SUPERVISOR);
    await page.goto(`${stack.adminUrl}/#/insights`);
    await page.reload();
    await page.getByText('sam (supervisor)').waitFor();
    await page.evaluate(() => {
      document.addEventListener('securitypolicyviolation', (event) => {
        console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`);
      });
    });
    await page.getByRole('heading', { name: 'Rule insights: outbound' }).waitFor();

    // The table: large-amount first (two false alarms), then high-risk-country.
    const rows = page.locator('#rule-performance tbody tr');
    await rows.first().waitFor();
    expect(await rows.first().getAttribute('data-rule')).toBe('large-amount');
    const cells = async (rule: string) =>
      page.locator(`#rule-performance tr[data-rule="${rule}"] td`).allTextContents();
    expect((await cells('large-amount')).slice(0, 6)).toEqual(['large-amount', '3', '3', '2', '1', '33% (1 of 3)']);
    expect((await cells('high-risk-country')).slice(0, 6)).toEqual([
      'high-risk-country',
      '1',
      '1',
      '0',
      '1',
      '100% (1 of 1)',
    ]);

    // The charts are drawn, with their data: 4 hits; 33.3% and 100%; 4 opened, 4 closed, none left open.
    const drawn = async (chart: string) => ({
      total: Number(await page.locator(`#${chart}`).getAttribute('data-total')),
      pixels: await colouredPixels(chart),
    });
    expect(await drawn('chart-hits')).toEqual({ total: 4, pixels: expect.any(Number) });
    expect(await drawn('chart-precision')).toEqual({ total: 133.3, pixels: expect.any(Number) });
    expect(await drawn('chart-queue')).toEqual({ total: 8, pixels: expect.any(Number) });
    for (const chart of ['chart-hits', 'chart-precision', 'chart-queue'])
      expect((await drawn(chart)).pixels).toBeGreaterThan(20);

    // A backtest of the candidate over today, followed until it is done.
    await page.getByLabel('Version to backtest').selectOption(String(candidate));
    await page.getByRole('button', { name: 'Start backtest' }).click();
    await page.locator('#backtest[data-status="DONE"]').waitFor({ timeout: 60_000 });
    const outcome = async (name: string) =>
      page.locator(`#backtest-outcomes tr[data-outcome="${name}"] td`).allTextContents();
    // Recorded: the four held. The candidate lets the 25,000 and 27,500 through.
    expect(await outcome('PENDING_EXTERNAL_APPROVAL')).toEqual(['PENDING EXTERNAL APPROVAL', '4', '2']);
    expect(await outcome('APPROVED')).toEqual(['APPROVED', '0', '2']);
    expect(await drawn('chart-outcomes')).toEqual({ total: 8, pixels: expect.any(Number) });
    expect((await drawn('chart-outcomes')).pixels).toBeGreaterThan(20);
    // The 27,500 an analyst rejected would be let through.
    const vsAnalysts = await page.locator('#vs-analysts dd').allTextContents();
    expect(vsAnalysts).toEqual(['4', '2 (50%)', '1', '0', '2']);
    expect(await page.locator('#backtest-flips tbody tr').count()).toBe(2);
    await page.locator(`#backtest-flips tr[data-id="${large[0]}"]`).waitFor();
    await page.locator(`#backtest-flips tr[data-id="${largeRejected}"]`).waitFor();
    const rejectedFlip = await page.locator(`#backtest-flips tr[data-id="${largeRejected}"] td`).allTextContents();
    expect(rejectedFlip.slice(2)).toEqual(['PENDING EXTERNAL APPROVAL', 'APPROVED', 'large-amount', 'REJECTED']);
    expect(await page.locator('#backtest-rules tr[data-rule="large-amount"] td').allTextContents()).toEqual([
      'large-amount',
      '1',
      '0',
      '1',
    ]);
    if (SCREENSHOTS) {
      mkdirSync(SCREENSHOTS, { recursive: true });
      await page.screenshot({ path: `${SCREENSHOTS}/insights.png`, fullPage: true });
    }
    // A flip links to its case.
    await page.locator(`#backtest-flips tr[data-id="${largeRejected}"] a`).click();
    await page.getByRole('heading', { name: `Case ${largeRejected}` }).waitFor();

    expect(errors).toEqual([]);
  });

  it('lets a supervisor shadow a version, shows where it disagrees with the live rules, and stop it', async () => {
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') errors.push(message.text());
    });
    await page.goto(`${stack.adminUrl}/#/insights`);
    await page.reload();
    await page.getByText('sam (supervisor)').waitFor();
    await page.getByLabel('Version to shadow').selectOption(String(candidate));
    await page.getByRole('button', { name: 'Start shadow' }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: `v${candidate} now runs in shadow.` })
      .waitFor();
    await page.locator('#shadow-report').waitFor();

    // validate learns the shadow within RULES_REFRESH_SECONDS; its outcome reaches the report through the stream.
    const sent: string[] = [];
    const disagreeing = await eventually(
      async () => {
        sent.push(await held({ baseTotal: 25_000, total: 25_000 }));
        const report = await admin(ANALYST, `/api/rule-sets/outbound/versions/${candidate}/shadow-report`);
        const listed = (report.body.disagreements ?? []) as { transactionId: string }[];
        return listed.find((item) => sent.includes(item.transactionId))?.transactionId;
      },
      'a shadowed decision in the report',
      60_000,
    );
    await page.reload();
    const row = page.locator(`#shadow-disagreements tr[data-id="${disagreeing}"] td`);
    await row.first().waitFor();
    expect((await row.allTextContents()).slice(2)).toEqual([
      'PENDING EXTERNAL APPROVAL',
      'APPROVED',
      'large-amount',
      '—',
    ]);

    await page.getByRole('button', { name: `Stop shadow of v${candidate}` }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: `Shadow run of v${candidate} stopped.` })
      .waitFor();
    await page.getByText('No version runs in shadow.').waitFor();
    // The stopped run's report stays on the page.
    await page.locator(`#shadow-disagreements tr[data-id="${disagreeing}"]`).waitFor();
    expect(errors).toEqual([]);
  });
});
