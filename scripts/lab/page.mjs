// The browser side of every `lab` command: build (when stale) and serve the page, open it in headless
// Chromium, wait for window.loraLab and a WebGPU adapter, run `fn(page, adapter, version)`, clean up.
import { resolve } from 'node:path';
import { chromium } from '@playwright/test';
import { launchOptions } from '../browser.mjs';
import { ensureBuilt, serve } from './serve.mjs';
import { LabError, log, ROOT } from './cli.mjs';

export async function withLabPage(command, opts, fn) {
  const timeoutMs = Number(opts.timeout ?? 3600) * 1000;
  if (!(timeoutMs > 0)) throw new LabError(`lab ${command}: --timeout must be a positive number of seconds (got ${opts.timeout})`, 2);
  const dist = opts.dist ?? process.env.LAB_DIST ?? 'dist';
  ensureBuilt(ROOT, dist, log);
  const server = await serve(resolve(ROOT, dist));
  const browser = await chromium.launch({ ...launchOptions(), headless: !opts.headed });
  const timer = setTimeout(() => {
    log(`timed out after ${timeoutMs / 1000} s`);
    process.exit(1);
  }, timeoutMs);
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on('console', (m) => m.type() === 'error' && log(`page console error: ${m.text()}`));
    page.on('pageerror', (e) => log(`page error: ${e.message}`));
    await page.goto(server.url);
    await page.waitForFunction(() => window.loraLab !== undefined);
    const adapter = await page.evaluate(() => window.loraLab.ready()).catch((e) => {
      throw new LabError(`no WebGPU in the browser: ${e.message}`);
    });
    const version = await page.evaluate(() => window.loraLab.version);
    log(`WebGPU adapter: ${adapter.vendor || '?'} ${adapter.architecture || ''}${adapter.isFallbackAdapter ? ' (software fallback, slow)' : ''}`);
    return await fn(page, adapter, version);
  } finally {
    clearTimeout(timer);
    await browser.close();
    await server.close();
  }
}
