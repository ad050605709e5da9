/**
 * The page reaches nothing beyond its own origin: a whole session (train a run, export it, import the
 * export back, a tiny sweep and its CSV) issues requests to the page's origin only (every request of
 * the page and its engine worker, through the context's request event) and no Content-Security-Policy
 * violation; and the policy does block a fetch to another origin, so the first check could fail.
 */
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { downloadOf, dropFile } from './bundle';

const LINK = 'width=16&layers=1&steps=20&batch=8&evalSize=16&logEvery=5&r=2&sweep.ranks=1&sweep.lr=-6,-5,1';
const TIMEOUT = 120_000;

/** Collect securitypolicyviolation events from the start of every document. */
async function watchViolations(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { cspViolations: string[] }).cspViolations = seen;
    document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.effectiveDirective} ${e.blockedURI}`));
  });
}

const violations = (page: Page) => page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations);

test('a session (train, export, import, sweep) requests only the page origin, with no CSP violation', async ({ page, context, consoleErrors, baseURL }) => {
  const origin = new URL(baseURL!).origin;
  const requests: string[] = [];
  context.on('request', (r) => requests.push(r.url()));
  await watchViolations(page);

  await page.goto(`/#${LINK}`);
  // the built page carries the policy
  expect(await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content')).toContain("default-src 'self'");
  const train = page.getByRole('button', { name: 'Train', exact: true });
  await expect(train).toBeEnabled({ timeout: 60_000 });
  await train.click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-state', 'done', { timeout: TIMEOUT });
  await expect(page.locator('[data-testid="export-panel"] li').last()).toHaveAttribute('data-ready', 'true');
  const zip = await downloadOf(page, /^Export bundle of run/);
  await dropFile(page, zip.name, zip.bytes);
  await expect(page.getByTestId('imported-adapter')).toContainText('r = 2');

  await page.getByRole('button', { name: 'Run sweep' }).click();
  await expect(page.getByTestId('sweep-table').locator('tbody tr')).toHaveCount(2, { timeout: 60_000 });
  await expect(page.getByTestId('sweep-table').locator('tbody tr[data-state="pending"]')).toHaveCount(0, { timeout: TIMEOUT });
  await downloadOf(page, /as CSV$/);

  const origins = [...new Set(requests.map((u) => (u.startsWith('data:') || u.startsWith('blob:') ? u.slice(0, u.indexOf(':') + 1) : new URL(u).origin)))];
  console.log(`csp session: ${requests.length} requests, origins ${origins.join(' ')}; violations ${(await violations(page)).length}`);
  expect(requests.length).toBeGreaterThan(0);
  expect(origins.filter((o) => o !== origin && o !== 'data:' && o !== 'blob:')).toEqual([]);
  expect(await violations(page)).toEqual([]);
  expect(consoleErrors).toEqual([]);
});

test('the policy blocks a fetch and a blob worker the page did not ship', async ({ page, context }) => {
  const requests: string[] = [];
  context.on('request', (r) => requests.push(r.url()));
  await watchViolations(page);
  await page.goto('/');
  const outcome = await page.evaluate(async () => {
    const fetched = await fetch('https://example.com/leak').then(
      () => 'fetched',
      (e) => `refused: ${String(e)}`,
    );
    let worker = 'started';
    try {
      new Worker(URL.createObjectURL(new Blob(['postMessage(1)'], { type: 'text/javascript' })));
    } catch (e) {
      worker = `refused: ${String(e)}`;
    }
    return { fetched, worker };
  });
  // each is reported once per copy of the policy (the <meta> tag and the preview server's header)
  await expect.poll(async () => new Set(await violations(page)).size).toBe(2);
  const seen = await violations(page);
  console.log(`csp blocks: fetch ${outcome.fetched}; worker ${outcome.worker}; violations ${[...new Set(seen)].join(', ')}`);
  expect(outcome.fetched).toMatch(/^refused/);
  expect(seen.some((v) => v.startsWith('connect-src https://example.com'))).toBe(true);
  expect(seen.some((v) => v.startsWith('worker-src blob'))).toBe(true);
  expect(requests.filter((u) => u.includes('example.com'))).toEqual([]);
});
