// `lab sweep`: a sweep of the page's engine in headless Chromium (batched, as the page runs it), then
// results.json, results.csv and sweep.png (the muA chart, as drawn by the page) in the output folder.
// The config file is the page's settings plus a "sweep" object with the sweep's axes (src/sweep/types.ts).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runnerImport } from 'vite';
import { withLabPage } from './page.mjs';
import { LabError, loadSchema, log, parseOptions, readJsonFile, ROOT, validateOrExit } from './cli.mjs';

async function loadGrid() {
  const { module } = await runnerImport(`${ROOT}src/sweep/grid.ts`, { root: ROOT, configFile: false, logLevel: 'silent' });
  return module;
}

/** Settings and sweep definition from the file, strictly checked (exit code 2 names the field). */
async function readSweepFile(file) {
  const schema = await loadSchema();
  const raw = file ? readJsonFile(file) : {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new LabError(`${file}: must be a JSON object`, 2);
  const { sweep: rawDef, ...settings } = raw;
  const config = validateOrExit(schema, settings, file);
  const grid = await loadGrid();
  const def = structuredClone(grid.DEFAULT_SWEEP);
  if (rawDef !== undefined) {
    if (typeof rawDef !== 'object' || rawDef === null || Array.isArray(rawDef)) throw new LabError(`${file}: "sweep" must be an object`, 2);
    for (const [k, v] of Object.entries(rawDef)) {
      if (!Object.hasOwn(grid.DEFAULT_SWEEP, k)) throw new LabError(`${file}: unknown sweep field "${k}" (known: ${Object.keys(grid.DEFAULT_SWEEP).join(', ')})`, 2);
      def[k] = v;
    }
  }
  let errors;
  try {
    errors = grid.gridErrors(def, config);
  } catch (e) {
    errors = [`malformed sweep definition (${e.message})`];
  }
  if (errors.length) throw new LabError(errors.map((e) => `${file}: sweep: ${e}`).join('\n'), 2);
  return { config, def, runs: grid.gridSize(def) };
}

export async function sweepCommand(argv) {
  const opts = parseOptions('sweep', argv);
  if (!opts.out) throw new LabError('lab sweep: --out DIR is required (see lab sweep --help)', 2);
  const { config, def, runs } = await readSweepFile(opts.config);
  const out = resolve(opts.out);
  await withLabPage('sweep', opts, async (page) => {
    await page.exposeFunction('labSweepProgress', (p) => log(`runs finished: ${p.done}/${p.total}`));
    log(`sweep of ${runs} runs (${config.steps} steps each)…`);
    const began = Date.now();
    let result;
    try {
      result = await page.evaluate(([c, d]) => window.loraLab.sweep(c, d, { onProgress: (p) => window.labSweepProgress(p) }), [config, def]);
    } catch (e) {
      throw new LabError(`the sweep failed: ${e.message.replace(/^.*Error: /, '')}`);
    }
    const wall = (Date.now() - began) / 1000;
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'results.json'), result.json);
    writeFileSync(join(out, 'results.csv'), result.csv);
    const chart = page.getByTestId('mua-chart').first();
    await chart.scrollIntoViewIfNeeded();
    await chart.screenshot({ path: join(out, 'sweep.png') });
    log(`sweep ${result.state} in ${wall.toFixed(1)} s; wrote results.json, results.csv and sweep.png to ${out}`);
    if (result.state !== 'done') throw new LabError(`the sweep ended ${result.state}`);
  });
}
