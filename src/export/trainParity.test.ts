/**
 * train_with_peft.py against the page's training step: the CPU reference trainer (src/ref/trainer.ts, itself
 * tested against the GPU trainer and PyTorch golden steps) and the script run the same config for 20 steps;
 * their losses must agree within 1e-4 relative at every step and their trained tensors within 1e-4.
 * PyTorch runs in float32, the reference in float64, so this is the float32 error of a 20-step run. The
 * same runs in PyTorch float64 must agree within 1e-12 in loss (the two are the same computation, not just
 * close) and within float32 rounding in the tensors (our safetensors reader gives float32 values).
 * lora_dropout is 0 throughout: PEFT draws its own dropout masks, which are not the page's.
 * Without .venv the test skips with the reason, except in CI (process.env.CI), where it fails.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateConfig, type RunConfig } from '../config/schema';
import { buildTask } from '../tasks/toy';
import { buildSetup, hyperAt, stepInputs } from '../engine/setup';
import { CpuTrainer } from '../ref/trainer';
import { readSafetensors } from './safetensors';
import { needPython, runPython, writeTempFolder } from '../test/python';

const STEPS = 20;
const LOSS_RTOL = 1e-4;
const TENSOR_ATOL = 1e-4;
const F64_LOSS_RTOL = 1e-12;
const F64_TENSOR_ATOL = 2 ** -24 * 2; // half a float32 ulp at |value| < 4

const config = (patch: Partial<RunConfig>): RunConfig => {
  const base = { width: 32, layers: 2, dIn: 16, dOut: 8, trueRank: 4, r: 4, lora_alpha: 4, evalSize: 64, batch: 16, steps: STEPS, logEvery: 1, lr: 2 ** -6, seed: 3 };
  const { config: c, errors } = validateConfig({ ...base, ...patch });
  if (errors.length) throw new Error(errors.join('; '));
  return c;
};

const CONFIGS: [string, RunConfig][] = [
  ['Init[A], standard scaling, accumulation 2', config({ accum: 2 })],
  ['Init[B]', config({ init: 'initB' })],
  ['rsLoRA, r 8, ReLU', config({ scaling: 'rslora', r: 8, lora_alpha: 8, activation: 'relu' })],
  ['LoRA+ ratio 16, training set of 40', config({ loraPlusRatio: 16, trainSize: 40 })],
  ['full fine-tuning of layer 2', config({ mode: 'fft', targets: [2], lr: 2 ** -9 })],
  ['SGD + momentum, cross-entropy', config({ optimizer: 'sgd', loss: 'ce', lr: 2 ** -3, weightDecay: 0.001 })],
  ["PEFT's default init, constant lr, no clipping", config({ init: 'peft', schedule: 'constant', clip: 0 })],
];

interface PagePoint {
  loss: number;
  evalLoss?: number;
  gradNorm: number;
}

/** The page's run: its losses per step and its trained tensors by PEFT / state-dict name. */
function pageRun(cfg: RunConfig): { points: PagePoint[]; tensors: Record<string, Float64Array> } {
  const task = buildTask(cfg);
  const tr = new CpuTrainer(buildSetup(cfg, task));
  const points = Array.from({ length: STEPS }, (_, k) => tr.step({ t: k + 1, hypers: [hyperAt(cfg, k + 1)], x: stepInputs(cfg, task, k + 1) }, true));
  const tensors: Record<string, Float64Array> = {};
  for (const i of cfg.targets) {
    if (cfg.mode === 'fft') tensors[`layers.${i}.weight`] = tr.tensor(`W${i}`);
    else {
      tensors[`base_model.model.layers.${i}.lora_A.weight`] = tr.tensor(`A${i}`);
      tensors[`base_model.model.layers.${i}.lora_B.weight`] = tr.tensor(`B${i}`);
    }
  }
  return { points, tensors };
}

const relDiff = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe('train_with_peft.py reproduces the page run', () => {
  it('losses over 20 steps within 1e-4 relative and trained tensors within 1e-4 (float64: 1e-12), for seven configs', (ctx) => {
    const py = needPython(ctx);
    const text = (s: string) => new TextEncoder().encode(s);
    const dirs = CONFIGS.map(([, cfg]) => writeTempFolder({ 'run_config.json': text(JSON.stringify(cfg)) }, 'lora-lab-train-'));
    const dirs64 = CONFIGS.map(([, cfg]) => writeTempFolder({ 'run_config.json': text(JSON.stringify(cfg)) }, 'lora-lab-train64-'));
    // One process for all runs: importing PEFT takes ~10 s.
    const r = runPython(py, ['scripts/interop/train_runs.py', ...dirs, ...dirs64.map((d) => `float64:${d}`)], undefined, 300_000);
    expect(r.code, r.out.slice(-3000)).toBe(0);

    const report: string[] = [];
    const failures: string[] = [];
    let clippedSteps = 0;
    /** Worst relative loss / eval loss difference and worst absolute tensor difference of one Python run. */
    const compare = (what: string, dir: string, cfg: RunConfig, page: ReturnType<typeof pageRun>) => {
      const py = JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8')) as PagePoint[];
      if (py.length !== STEPS) failures.push(`${what}: ${py.length} logged steps, expected ${STEPS}`);
      const lossRel = Math.max(...page.points.map((p, j) => relDiff(py[j].loss, p.loss)));
      const evalRel = Math.max(...page.points.map((p, j) => relDiff(py[j].evalLoss!, p.evalLoss!)));
      const file = cfg.mode === 'fft' ? 'finetuned_model.safetensors' : 'adapter/adapter_model.safetensors';
      const saved = readSafetensors(new Uint8Array(readFileSync(join(dir, file))), file).tensors;
      let tensorDiff = 0;
      for (const [name, want] of Object.entries(page.tensors)) {
        const got = saved.get(name)?.data;
        if (!got || got.length !== want.length) failures.push(`${what}: ${name} missing or of the wrong size in ${file}`);
        else want.forEach((w, j) => (tensorDiff = Math.max(tensorDiff, Math.abs(got[j] - w))));
      }
      return { lossRel: Math.max(lossRel, evalRel), tensorDiff };
    };
    CONFIGS.forEach(([what, cfg], k) => {
      const page = pageRun(cfg);
      const f32 = compare(what, dirs[k], cfg, page);
      const f64 = compare(`${what} (float64)`, dirs64[k], cfg, page);
      // A run that does not move would agree trivially: the loss must change and clipping must be exercised.
      const [first, last] = [page.points[0].loss, page.points[STEPS - 1].loss];
      const clipped = cfg.clip > 0 ? page.points.filter((p) => p.gradNorm > cfg.clip).length : 0;
      clippedSteps += clipped;
      if (!(relDiff(last, first) > 0.02)) failures.push(`${what}: the page's loss hardly moved (${first} -> ${last})`);
      const scale = Math.max(...Object.values(page.tensors).map((t) => Math.max(...t.map(Math.abs))));
      report.push(
        `${what} (loss ${first.toFixed(3)} -> ${last.toFixed(3)}, ${clipped} steps clipped, max |tensor| ${scale.toFixed(3)}): ` +
          `float32 loss rel ${f32.lossRel.toExponential(2)}, tensors ${f32.tensorDiff.toExponential(2)}; float64 loss rel ${f64.lossRel.toExponential(2)}, tensors ${f64.tensorDiff.toExponential(2)}`,
      );
      if (!(f32.lossRel <= LOSS_RTOL)) failures.push(`${what}: float32 losses differ by ${f32.lossRel} relative`);
      if (!(f32.tensorDiff <= TENSOR_ATOL)) failures.push(`${what}: float32 trained tensors differ by ${f32.tensorDiff}`);
      if (!(f64.lossRel <= F64_LOSS_RTOL && f64.tensorDiff <= F64_TENSOR_ATOL)) failures.push(`${what}: float64 run differs by ${f64.lossRel} (loss), ${f64.tensorDiff} (tensors)`);
    });
    console.log(`train_with_peft.py vs the page, ${STEPS} steps:\n  ${report.join('\n  ')}`);
    expect(failures).toEqual([]);
    expect(clippedSteps).toBeGreaterThan(0);
  }, 400_000);
});
