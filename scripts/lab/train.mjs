// `lab train`: one run of the page's engine in headless Chromium, then metrics.json and the export
// bundle (unzipped) in the output folder. The page is driven through its window.loraLab API
// (src/ui/automation.ts), the same code paths as the Train and Export buttons.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { unzipSync } from 'fflate';
import { withLabPage } from './page.mjs';
import { LabError, loadSchema, log, parseOptions, readConfig } from './cli.mjs';

const fmt = (x) => (x === undefined || x === null ? '—' : Number.isFinite(x) ? x.toPrecision(4) : String(x));

function metricsJson(result, adapter, wallSeconds, version) {
  const last = result.points.at(-1);
  return {
    format: 'lora-lab-metrics/1',
    lora_lab_version: version,
    config: result.config,
    state: result.status.state,
    steps: result.status.step,
    final_loss: result.status.finalLoss ?? null,
    final_eval_loss: [...result.points].reverse().find((p) => p.evalLoss !== undefined)?.evalLoss ?? null,
    diverged_step: result.status.divergedStep ?? null,
    steps_per_sec: result.status.stepsPerSec || last?.stepsPerSec || null,
    wall_seconds: wallSeconds,
    gpu: adapter,
    points: result.points.map((p) => ({
      step: p.step,
      loss: p.loss,
      eval_loss: p.evalLoss ?? null,
      ...(p.accuracy !== undefined ? { accuracy: p.accuracy, eval_accuracy: p.evalAccuracy ?? null } : {}),
      grad_norm: p.gradNorm,
      lr: p.lr,
      steps_per_sec: p.stepsPerSec,
    })),
  };
}

export async function trainCommand(argv) {
  const opts = parseOptions('train', argv);
  const schema = await loadSchema();
  if (!opts.out) throw new LabError('lab train: --out DIR is required (see lab train --help)', 2);
  const config = readConfig(schema, opts.config);
  const out = resolve(opts.out);
  await withLabPage('train', opts, async (page, adapter, version) => {
    await page.exposeFunction('labProgress', (p) => log(`step ${p.step}/${p.steps}  loss ${fmt(p.loss)}  eval ${fmt(p.evalLoss)}  ${fmt(p.stepsPerSec)} steps/s`));
    log(`training ${config.mode === 'fft' ? 'full fine-tuning' : `LoRA r=${config.r} lora_alpha=${config.lora_alpha}`}, ${config.steps} steps…`);
    const began = Date.now();
    const result = await page.evaluate((cfg) => window.loraLab.train(cfg, { onProgress: (p) => window.labProgress(p) }), config);
    const wall = (Date.now() - began) / 1000;
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'metrics.json'), JSON.stringify(metricsJson(result, adapter, wall, version), null, 2) + '\n');
    log(`run ${result.status.state} after ${result.status.step} steps in ${wall.toFixed(1)} s; final loss ${fmt(result.status.finalLoss)}; wrote ${join(out, 'metrics.json')}`);

    let bundle;
    try {
      bundle = await page.evaluate((id) => window.loraLab.exportBundle(id), result.runId);
    } catch (e) {
      throw new LabError(`the run's export failed, no bundle written: ${e.message.replace(/^.*Error: /, '')}`);
    }
    const files = unzipSync(new Uint8Array(Buffer.from(bundle.base64, 'base64')));
    for (const [path, data] of Object.entries(files)) {
      const file = join(out, 'bundle', path);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, data);
    }
    log(`wrote ${join(out, 'bundle')}/ (${Object.keys(files).length} files, from ${bundle.name}); check it with: python ${join(out, 'bundle', 'load_with_peft.py')}`);
  });
}
