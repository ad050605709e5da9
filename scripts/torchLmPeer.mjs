// The PyTorch CPU peer of the bench's lmstep row: runs bench/torch_lm_step.py once with the settings of
// bench/lmStepSettings.json (the one definition the page's row imports too; Node 20 cannot import the
// page's TypeScript, so the JSON is the shared file and this passes it on as arguments) and turns its JSON
// line into a row of the bench table. Bench only: without .venv it says so and the bench goes on.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { venvPython } from './interop/python.mjs';

export function torchLmRow(root, quick) {
  const py = venvPython();
  if (!py) return { skipped: 'PyTorch peer of lmstep not run: no .venv/bin/python (bash scripts/setup-python.sh creates it)' };
  const s = JSON.parse(readFileSync(resolve(root, 'bench/lmStepSettings.json'), 'utf8'));
  const batch = quick ? s.quickBatch : s.batch;
  const args = [
    resolve(root, 'bench/torch_lm_step.py'),
    '--batch', batch, '--seq', s.seq, '--r', s.r, '--alpha', s.lora_alpha,
    '--targets', s.target_modules.join(','), '--layers', s.layers_to_transform.join(','),
    '--steps', quick ? s.quickTorchSteps : s.torchSteps, '--lr', s.lr, '--weight-decay', s.weight_decay, '--seed', s.seed, '--corpus', s.corpus,
  ].map(String);
  const p = spawnSync(py, args, { cwd: root, encoding: 'utf8', timeout: 10 * 60_000 });
  const last = p.stdout?.trim().split('\n').at(-1);
  if (p.status !== 0 || !last) throw new Error(`bench/torch_lm_step.py failed (exit ${p.status ?? p.signal}):\n${p.stderr ?? p.error}`);
  const o = JSON.parse(last);
  return {
    row: {
      name: 'lm LoRA train step, PyTorch CPU',
      shape: `tiny-llama-kjv, ${batch} x ${s.seq} tokens, r ${s.r}, ${s.target_modules.length * s.layers_to_transform.length} modules`,
      ours: null,
      oursBest: null,
      peer: o.tokens_per_s,
      peerBest: o.tokens_per_s_best,
      ratio: null,
      unit: 'tokens/s',
      note: `peer = transformers + PEFT + AdamW, 1 thread, ${o.attn_implementation} attention, ${o.steps} steps; first loss ${o.loss_first.toFixed(6)}, last ${o.loss_last.toFixed(4)}; ${o.versions}`,
    },
  };
}
