/**
 * The command line (scripts/lab.mjs): `lab train` on a tiny config writes metrics.json and the unzipped
 * export; `lab sweep` on a tiny grid writes results.json, results.csv and sweep.png; config and usage
 * errors exit with code 2 and name the field. Runs after Playwright's web server has built dist/, so
 * the CLI finds a fresh build.
 */
import { test, expect } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensors } from '../src/export/safetensors';

function lab(args: string[]) {
  const r = spawnSync(process.execPath, ['scripts/lab.mjs', ...args], { encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('lab train on a tiny config writes metrics.json and the bundle', async ({}, info) => {
  const cfg = info.outputPath('run.json');
  const out = info.outputPath('out');
  writeFileSync(cfg, JSON.stringify({ width: 32, layers: 1, steps: 20, batch: 16, evalSize: 32, logEvery: 5, r: 2, lora_alpha: 4, seed: 3 }));
  const r = lab(['train', '--config', cfg, '--out', out]);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toBe(''); // results go to files, progress to stderr
  expect(r.stderr).toContain('step 20/20');
  const m = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
  expect(m.config).toMatchObject({ width: 32, layers: 1, r: 2, lora_alpha: 4, seed: 3, dIn: 32, targets: [1] }); // resolved: defaults filled in
  expect(m.state).toBe('done');
  expect(m.points.map((p: { step: number }) => p.step)).toEqual([1, 5, 10, 15, 20]);
  for (const p of m.points) {
    expect(Number.isFinite(p.loss)).toBe(true);
    expect(Number.isFinite(p.eval_loss)).toBe(true);
  }
  expect(m.steps_per_sec).toBeGreaterThan(0);
  for (const f of ['adapter/adapter_config.json', 'adapter/adapter_model.safetensors', 'base_model.safetensors', 'test_cases.json', 'load_with_peft.py', 'README.md']) {
    expect(existsSync(join(out, 'bundle', f)), f).toBe(true);
  }
  const adapter = readSafetensors(new Uint8Array(readFileSync(join(out, 'bundle/adapter/adapter_model.safetensors'))));
  expect([...adapter.tensors.keys()]).toEqual(['base_model.model.layers.1.lora_A.weight', 'base_model.model.layers.1.lora_B.weight']);
});

test('lab sweep on a tiny grid writes results.json, results.csv (a row per run) and the muA chart', async ({}, info) => {
  const cfg = info.outputPath('sweep.json');
  const out = info.outputPath('out');
  writeFileSync(cfg, JSON.stringify({ width: 16, layers: 1, steps: 20, batch: 8, evalSize: 16, logEvery: 5, sweep: { ranks: [1, 2], lr: { from: -6, to: -4, step: 1 }, includeFft: true } }));
  const r = lab(['sweep', '--config', cfg, '--out', out]);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toBe('');
  expect(r.stderr).toContain('runs finished: 9/9');
  const rows = readFileSync(join(out, 'results.csv'), 'utf8').trim().split('\n');
  expect(rows).toHaveLength(1 + 9); // header + 2 ranks x 3 lrs + 3 FFT runs
  const header = rows[0].split(',');
  for (const col of ['r', 'lr', 'mode', 'finalLoss', 'bestLoss', 'evalLoss']) expect(header).toContain(col);
  const json = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
  expect(json.sweep?.runs ?? json.runs).toHaveLength(9);
  const png = readFileSync(join(out, 'sweep.png'));
  expect([...png.subarray(1, 4)].map((c) => String.fromCharCode(c)).join('')).toBe('PNG');
  // an unknown axis is a config error naming it
  writeFileSync(cfg, JSON.stringify({ sweep: { rankz: [1] } }));
  const bad = lab(['sweep', '--config', cfg, '--out', info.outputPath('never')]);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain('unknown sweep field "rankz"');
});

test('lab: an unknown field or an invalid value exits 2 naming it; --help lists every field', async ({}, info) => {
  const bad = info.outputPath('bad.json');
  writeFileSync(bad, JSON.stringify({ rnak: 4, lr: 'fast' }));
  const r = lab(['train', '--config', bad, '--out', info.outputPath('never')]);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('unknown field "rnak"');
  expect(r.stderr).toContain('lr must be a number in 2^-20..2^4 (got "fast")');
  expect(existsSync(info.outputPath('never'))).toBe(false);

  expect(lab(['train', '--config', bad]).code).toBe(2); // no --out
  expect(lab(['train', '--bogus']).stderr).toContain('unknown option "--bogus"');
  expect(lab(['frobnicate']).code).toBe(2);
  const sweep = lab(['sweep', '--config', bad, '--out', info.outputPath('s')]);
  expect(sweep.code).toBe(2);
  expect(sweep.stderr).toContain('unknown field "rnak"');

  const help = lab(['--help']);
  expect(help.code).toBe(0);
  for (const key of ['width', 'r', 'lora_alpha', 'scaling', 'targets', 'lr', 'seed', 'logEvery', '--config', '--out']) expect(help.stdout).toContain(key);
});
