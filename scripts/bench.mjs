// `npm run bench [-- --quick] [-- --json FILE] [-- --only matmul,adamw]`
// Serves bench/index.html from a Vite dev server on a free localhost port, opens it in headless Chromium
// (WebGPU), waits for the page's measurements (bench/registry.ts), adds the PyTorch CPU peer of the lmstep
// row (scripts/torchLmPeer.mjs, when lmstep is among them), prints the table, optionally writes it as JSON,
// and exits non-zero if any correctness check failed.
import { createServer } from 'vite';
import { chromium } from '@playwright/test';
import { createServer as createNetServer } from 'node:net';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import { launchOptions } from './browser.mjs';
import { torchLmRow } from './torchLmPeer.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TIMEOUT_MS = 20 * 60_000;

function parseArgs(argv) {
  const opts = { quick: false, json: null, only: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') opts.quick = true;
    else if (a === '--json') opts.json = argv[++i];
    else if (a === '--only') opts.only = argv[++i];
    else throw new Error(`unknown argument ${a} (use --quick, --json FILE, --only NAME[,NAME])`);
    if ((a === '--json' || a === '--only') && !argv[i]) throw new Error(`${a} needs a value`);
  }
  return opts;
}

function freePort() {
  return new Promise((res, rej) => {
    const s = createNetServer();
    s.once('error', rej);
    s.listen(0, 'localhost', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

const fmt = (x) => (x === null || x === undefined ? '-' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toPrecision(3));

function table(rows) {
  const head = ['name', 'shape', 'ours median (best)', 'peer median', 'ratio ours/peer', 'unit', 'note'];
  const body = rows.map((r) => [r.name, r.shape, `${fmt(r.ours)} (${fmt(r.oursBest)})`, fmt(r.peer), r.ratio === null ? '-' : `${r.ratio.toFixed(2)}x`, r.unit, r.note ?? '']);
  const widths = head.map((h, c) => Math.max(h.length, ...body.map((b) => b[c].length)));
  const line = (cells) => cells.map((x, c) => x.padEnd(widths[c])).join(' | ').trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('-|-'), ...body.map(line)].join('\n');
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const port = await freePort();
  const server = await createServer({
    root,
    configFile: resolve(root, 'vite.config.ts'),
    logLevel: 'warn',
    clearScreen: false,
    // No watcher, no HMR: others may edit sources during a run, and a reload would restart the page.
    server: { port, strictPort: true, host: 'localhost', hmr: false, watch: null },
    // Pre-bundle tfjs up front, so Vite does not discover it mid-run and reload the page.
    optimizeDeps: { entries: ['bench/index.html'], include: ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-webgpu'] },
  });
  let browser;
  try {
    await server.listen();
    browser = await chromium.launch({ ...launchOptions(), headless: true });
    const page = await browser.newPage();
    page.on('console', (m) => {
      const t = m.text();
      if (t.startsWith('[bench]')) console.log(t.slice(8));
      else if (m.type() === 'error' || m.type() === 'warning') console.log(`  (page ${m.type()}) ${t}`);
    });
    page.on('pageerror', (e) => console.log(`  (page error) ${e.message}`));
    const q = new URLSearchParams();
    if (opts.quick) q.set('quick', '1');
    if (opts.only) q.set('only', opts.only);
    const t0 = Date.now();
    await page.goto(`http://localhost:${port}/bench/index.html?${q}`);
    await page.waitForFunction(() => window.__bench?.status === 'done', null, { timeout: TIMEOUT_MS, polling: 500 });
    const state = await page.evaluate(() => window.__bench);
    if (!opts.only || opts.only.split(',').includes('lmstep')) {
      // After the page is done, so that the two do not share the CPU.
      try {
        const torch = torchLmRow(root, opts.quick);
        if (torch.row) state.rows.push(torch.row);
        else console.log(torch.skipped);
      } catch (e) {
        state.failures.push(`PyTorch peer: ${e.message}`);
      }
    }
    console.log(`\n${state.adapter}, ${opts.quick ? 'quick' : 'full'} run, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    console.log('shapes MxKxN: A (M,K) times B (K,N); ours/peer from the median repetition, best = fastest repetition\n');
    console.log(table(state.rows));
    if (opts.json) {
      writeFileSync(opts.json, JSON.stringify(state.rows, null, 2) + '\n');
      console.log(`\nwrote ${opts.json}`);
    }
    if (state.failures.length) {
      console.log(`\n${state.failures.length} failure(s):\n${state.failures.map((f) => `  ${f}`).join('\n')}`);
      process.exitCode = 1;
    }
  } finally {
    await browser?.close();
    await server.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
