/**
 * The language model's train_with_peft.py against the page's training: the CPU reference trainer
 * (src/ref/lmTrainer.ts, over llamaLoraLossGrad, itself tested against the GPU trainer and PEFT) and the
 * script, run from the bundle's own training files (lmTrainingFiles) on the shipped base, train the same
 * config for 8 steps; their losses and gradient norms must agree within 1e-4 relative at every step (and
 * both eval losses at the last step) and their trained tensors within 1e-4. PyTorch runs in float32, the
 * reference in float64. (No float64 PyTorch run: transformers' Llama computes the RoPE table and the eager
 * softmax in float32 whatever the model's dtype, so such a run was measured no closer, 3e-6 in loss.) A run
 * with a learning rate 10% off must fail the same check, so the check can see a wrong setting. The
 * reference costs ~0.6 s of CPU per micro-batch of 2 windows of 16 bytes and ~1.2 s per evaluation, so the
 * runs are short.
 * lora_dropout is 0 (the page trains the language model without dropout).
 * Without .venv the test skips with the reason, except in CI (process.env.CI), where it fails.
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateConfig, type RunConfig } from '../config/schema';
import { LmCpuTrainer, type LmRefLog } from '../ref/lmTrainer';
import type { LlamaWeights } from '../ref/llama';
import { llamaShapeFromConfig } from '../tasks/llamaConfig';
import { lmTaskFrom } from '../tasks/lmTask';
import { splitText } from '../tasks/textData';
import { lmTrainingFiles } from './lmBundle';
import { readSafetensors } from './safetensors';
import { needPython, writeTempFolder } from '../test/python';

const STEPS = 8;
const LOSS_RTOL = 1e-4;
const TENSOR_ATOL = 1e-4;

const asset = (p: string) => new Uint8Array(readFileSync(new URL(`../../public/${p}`, import.meta.url)));
const BASE_FILES = ['config.json', 'generation_config.json', 'model.safetensors'].map((f) => [f, asset(`models/tiny-llama-kjv/${f}`)] as const);
const base = (() => {
  const shape = llamaShapeFromConfig(JSON.parse(new TextDecoder().decode(BASE_FILES[0][1])));
  const weights: LlamaWeights = {};
  for (const [name, t] of readSafetensors(BASE_FILES[2][1]).tensors) weights[name] = t.data!;
  return { shape, weights };
})();
const KJV = asset('data/kjv.txt');
const FINE_TUNE = asset('data/tinyshakespeare.txt').subarray(0, 40_000); // a short text: the reference is slow

const config = (patch: Partial<RunConfig>): RunConfig => {
  const b = { task: 'lm', lmData: 'user', seqLen: 16, batch: 2, steps: STEPS, logEvery: 1, r: 4, lora_alpha: 16, lr: 2 ** -7, seed: 3, lmTargets: [7, 9] };
  const { config: c, errors } = validateConfig({ ...b, ...patch });
  if (errors.length) throw new Error(errors.join('; '));
  return c;
};

const CONFIGS: [string, RunConfig][] = [
  ['Init[A], q+v of layer 1, accumulation 2 of 1 window', config({ accum: 2, batch: 1 })],
  ['Init[B], o+up of layer 0 (under the frozen top)', config({ init: 'initB', lmTargets: [3, 5], lr: 2 ** -10 })],
  ['rsLoRA r 8, q+v of both layers, clip 0.3', config({ scaling: 'rslora', r: 8, lmTargets: [0, 2, 7, 9], clip: 0.3 })],
  ['full fine-tuning of v@0 and down@1', config({ mode: 'fft', lmTargets: [2, 13], lr: 2 ** -10 })],
  ['SGD + momentum 0.9, weight decay 0.001', config({ optimizer: 'sgd', lr: 2 ** -1, weightDecay: 0.001 })],
  ["LoRA+ ratio 16, PEFT's default init, constant lr, gate+up+down of layer 0", config({ loraPlusRatio: 16, init: 'peft', schedule: 'constant', lmTargets: [4, 5, 6], lr: 2 ** -9 })],
];
/** The first config with its lr 10% off: the check must fail on it. */
const WRONG = { ...CONFIGS[0][1], lr: CONFIGS[0][1].lr * 1.1 };

/** The page's run: every step's log (both eval losses at the last) and its trained tensors by saved name. */
function pageRun(cfg: RunConfig): { logs: LmRefLog[]; tensors: Record<string, Float64Array> } {
  const tr = new LmCpuTrainer(cfg, lmTaskFrom(cfg, base, FINE_TUNE, KJV));
  const logs = Array.from({ length: STEPS }, (_, k) => tr.step(k + 1, k === STEPS - 1));
  const tensors: Record<string, Float64Array> = {};
  for (const s of tr.slots) {
    const name = s.module.name;
    if (s.kind === 'W') tensors[`${name}.weight`] = tr.tensor(name, 'W');
    else tensors[`base_model.model.${name}.lora_${s.kind}.weight`] = tr.tensor(name, s.kind);
  }
  return { logs, tensors };
}

/**
 * runPython without blocking, so that the reference trains while Python does; its output goes to a file
 * (the reference holds the event loop, so a pipe would not be read until it ends).
 */
function pythonAsync(py: string, args: string[], log: string, timeout: number): Promise<{ code: number; out: string }> {
  const fd = openSync(log, 'w');
  return new Promise((resolve) => {
    const p = spawn(py, args, { timeout, stdio: ['ignore', fd, fd] });
    p.on('close', (code) => {
      closeSync(fd);
      resolve({ code: code ?? -1, out: readFileSync(log, 'utf8') });
    });
  });
}

const relDiff = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

interface PyPoint {
  step: number;
  loss: number;
  gradNorm: number;
  evalLosses: number[];
}

describe("the language model's train_with_peft.py reproduces the page run", () => {
  it('losses over 8 steps within 1e-4 relative and trained tensors within 1e-4, for six configs; a 10% lr error is caught', async (ctx) => {
    const py = needPython(ctx);
    const root = writeTempFolder({ ...Object.fromEntries(BASE_FILES.map(([f, b]) => [`base/${f}`, b])) }, 'lora-lab-lmtrain-');
    const training = lmTrainingFiles({ config: CONFIGS[0][1], fineTune: FINE_TUNE, pretrainHeldOut: splitText(KJV).heldOut });
    for (const [path, data] of Object.entries(training)) {
      mkdirSync(join(root, path, '..'), { recursive: true });
      writeFileSync(join(root, path), data);
    }
    const runs = [...CONFIGS.map(([, c]) => c), WRONG];
    const dirs = runs.map((c, k) => {
      const d = join(root, `run${k}`);
      mkdirSync(d);
      writeFileSync(join(d, 'run_config.json'), JSON.stringify(c));
      return d;
    });
    // The bundle's own modules (lm_task.py, toy_task.py, train_common.py beside train_with_peft.py), imported
    // once for every run: importing transformers and PEFT takes ~10 s. One thread: the reference takes the other core.
    const runner = `import json, sys, torch; torch.set_num_threads(1); sys.path.insert(0, ${JSON.stringify(root)}); from train_with_peft import train
for d in sys.argv[1:]:
    train(json.loads(open(d + "/run_config.json").read()), ${JSON.stringify(join(root, 'base'))}, ${JSON.stringify(join(root, 'data'))}, d)`;
    const [t0, cpu0] = [performance.now(), process.cpuUsage()];
    const python = pythonAsync(py, ['-c', runner, ...dirs], join(root, 'python.log'), 600_000);
    const pages = CONFIGS.map(([, c]) => pageRun(c));
    const [refMs, refCpu] = [performance.now() - t0, process.cpuUsage(cpu0)];
    const r = await python;
    expect(r.code, r.out.slice(-3000)).toBe(0);

    const compare = (what: string, dir: string, cfg: RunConfig, page: ReturnType<typeof pageRun>) => {
      const pts = JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8')) as PyPoint[];
      expect(pts.map((p) => p.step), what).toEqual(page.logs.map((l) => l.step));
      let lossRel = 0;
      page.logs.forEach((l, j) => {
        lossRel = Math.max(lossRel, relDiff(pts[j].loss, l.loss), relDiff(pts[j].gradNorm, l.gradNorm));
        l.evalLosses?.forEach((e, s) => (lossRel = Math.max(lossRel, relDiff(pts[j].evalLosses[s], e))));
      });
      const file = cfg.mode === 'fft' ? 'model/model.safetensors' : 'adapter/adapter_model.safetensors';
      const saved = readSafetensors(new Uint8Array(readFileSync(join(dir, file))), file).tensors;
      let tensorDiff = 0;
      for (const [name, want] of Object.entries(page.tensors)) {
        const got = saved.get(name)?.data;
        expect(got?.length, `${what}: ${name} in ${file}`).toBe(want.length);
        want.forEach((w, j) => (tensorDiff = Math.max(tensorDiff, Math.abs(got![j] - w))));
      }
      return { lossRel, tensorDiff };
    };
    const report: string[] = [];
    const failures: string[] = [];
    let clipped = 0;
    CONFIGS.forEach(([what, cfg], k) => {
      const page = pages[k];
      const f32 = compare(what, dirs[k], cfg, page);
      // A run that does not move would agree trivially: the held-out loss must change by 10x the tolerance.
      // (the reference evaluates at the last step only; step 1's is the script's, equal to it within the check)
      const e0 = (JSON.parse(readFileSync(join(dirs[k], 'metrics.json'), 'utf8')) as PyPoint[])[0].evalLosses[0];
      const e1 = page.logs[STEPS - 1].evalLosses![0];
      if (!(relDiff(e1, e0) > 10 * LOSS_RTOL)) failures.push(`${what}: the page's held-out loss hardly moved (${e0} -> ${e1})`);
      clipped += page.logs.filter((l) => cfg.clip > 0 && l.gradNorm > cfg.clip).length;
      const scale = Math.max(...Object.values(page.tensors).map((t) => t.reduce((m, v) => Math.max(m, Math.abs(v)), 0)));
      report.push(
        `${what} (eval loss ${e0.toFixed(4)} -> ${e1.toFixed(4)}, max |tensor| ${scale.toFixed(3)}): loss rel ${f32.lossRel.toExponential(2)}, tensors ${f32.tensorDiff.toExponential(2)}`,
      );
      if (!(f32.lossRel <= LOSS_RTOL)) failures.push(`${what}: float32 losses differ by ${f32.lossRel} relative`);
      if (!(f32.tensorDiff <= TENSOR_ATOL)) failures.push(`${what}: float32 trained tensors differ by ${f32.tensorDiff}`);
    });
    const wrong = compare('lr 10% off', dirs[CONFIGS.length], WRONG, pages[0]);
    console.log(
      `language model train_with_peft.py vs the page, ${STEPS} steps (reference ${(refMs / 1000).toFixed(1)} s, ${((refCpu.user + refCpu.system) / 1e6).toFixed(1)} s of CPU, beside Python):\n  ${report.join('\n  ')}\n` +
        `  ${clipped} steps clipped; the run with lr 10% off: loss rel ${wrong.lossRel.toExponential(2)}, tensors ${wrong.tensorDiff.toExponential(2)} (must exceed the limits)`,
    );
    expect(failures).toEqual([]);
    expect(clipped).toBeGreaterThan(0);
    expect(wrong.lossRel > LOSS_RTOL || wrong.tensorDiff > TENSOR_ATOL).toBe(true);
  }, 600_000);
});
