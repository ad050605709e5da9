/**
 * CPU reference trainer of a language-model run: the page's run (src/engine/runLoop.ts over
 * src/engine/llamaTrainer.ts) in float64 over the src/ref kernels, for tests (the PyTorch script's parity).
 * Same setup and inputs as the page: lmRunInit's factors, lmWindowsAt's windows, hyperAt's schedule.
 *
 * Per step t, for each micro-batch k: loss and gradients from llamaLoraLossGrad (checked against the GPU
 * trainer and PEFT), the gradient scaled by 1/accum and summed; then the global grad norm, clip coefficient
 * min(1, clip / (norm + 1e-6)), the optimizer step (AdamW or SGD, B's lr times the LoRA+ ratio) and the
 * divergence watch, as src/engine/stepTail.ts. Eval: each held-out set's loss is the mean of its chunks'
 * (batch windows each) mean losses, as the GPU trainer reads them back.
 *
 * Full fine-tuning reuses the LoRA gradient: with A = I (dIn x dIn), B = 0 and s = 1 an adapted module
 * computes x W^T exactly and its dB = s G^T (X A^T) = G^T X is dL/dW, so the module's current W goes in as
 * the base weight and dB is its gradient. Slow by design (plain loops): tiny runs only.
 */
import type { RunConfig } from '../config/schema';
import { hyperAt } from '../engine/setup';
import type { LinearModule } from '../engine/model';
import { lmModules, lmRunInit, lmWindowsAt, type LmTask } from '../tasks/lmTask';
import { adamwInit, adamwStep, type AdamWState, type GroupHyper, type ParamGroupRange } from './adamw';
import { clipCoef } from './clip';
import { crossEntropyLoss } from './cross_entropy';
import type { LlamaWeights } from './llama';
import { llamaForwardLora, llamaLoraLossGrad, type LlamaAdapters } from './llamaLora';
import { sgdInit, sgdStep, type SgdState } from './sgd';
import { watchStep } from './watch';

/** A trained tensor's place in the flat parameter vector: 'A' / 'B' of a LoRA module, or 'W' (full). */
interface Slot {
  module: LinearModule;
  kind: 'A' | 'B' | 'W';
  offset: number;
  size: number;
}

export interface LmRefLog {
  step: number;
  loss: number;
  gradNorm: number;
  divergedStep: number;
  /** [fine-tuning text's held-out loss, pretraining corpus's], when evaluated. */
  evalLosses?: number[];
}

/** The page's bound on a language-model loss (lmTask.ts lmSetup). */
const DIVERGE_BOUND = 100;

export class LmCpuTrainer {
  readonly modules: LinearModule[];
  readonly slots: Slot[] = [];
  private state: AdamWState | SgdState;
  private divergedStep = 0;

  constructor(readonly cfg: RunConfig, readonly task: LmTask) {
    this.modules = lmModules(cfg, task.shape);
    const init = lmRunInit(cfg, this.modules);
    const values: ArrayLike<number>[] = [];
    let offset = 0;
    const add = (module: LinearModule, kind: Slot['kind'], v: ArrayLike<number>) => {
      this.slots.push({ module, kind, offset, size: v.length });
      values.push(v);
      offset += v.length;
    };
    this.modules.forEach((m, i) => {
      if (m.mode === 'lora') add(m, 'A', init.A[i]!), add(m, 'B', init.B[i]!);
      else if (m.mode === 'full') add(m, 'W', task.weights[`${m.name}.weight`]);
    });
    const p0 = new Float64Array(offset);
    this.slots.forEach((s, k) => p0.set(values[k], s.offset));
    this.state = cfg.optimizer === 'adamw' ? adamwInit(p0) : sgdInit(p0);
  }

  /** A trained tensor by PEFT module name and kind, as it is now. */
  tensor(module: string, kind: Slot['kind']): Float64Array {
    const s = this.slots.find((x) => x.module.name === module && x.kind === kind)!;
    return this.state.p.slice(s.offset, s.offset + s.size);
  }

  private view(s: Slot): Float64Array {
    return this.state.p.subarray(s.offset, s.offset + s.size);
  }

  /** The model as llamaLoraLossGrad sees it: weights (fully trained modules' current W) and adapters. */
  private model(): { weights: LlamaWeights; adapters: LlamaAdapters } {
    const weights: LlamaWeights = { ...this.task.weights };
    const adapters: LlamaAdapters = {};
    const { cfg } = this;
    for (const s of this.slots) {
      const m = s.module;
      if (s.kind === 'W') {
        // LlamaWeights are typed Float32Array; the reference only reads them by index, so float64 goes in
        weights[`${m.name}.weight`] = this.view(s) as unknown as Float32Array;
        const eye = new Float64Array(m.dIn * m.dIn);
        for (let i = 0; i < m.dIn; i++) eye[i * m.dIn + i] = 1;
        adapters[m.name] = { r: m.dIn, scaling: 1, A: eye, B: new Float64Array(m.dOut * m.dIn) };
      } else {
        const f = (adapters[m.name] ??= { r: cfg.r, scaling: cfg.scaling === 'rslora' ? cfg.lora_alpha / Math.sqrt(cfg.r) : cfg.lora_alpha / cfg.r, A: new Float64Array(0), B: new Float64Array(0) });
        f[s.kind] = this.view(s);
      }
    }
    return { weights, adapters };
  }

  step(t: number, evaluate = false): LmRefLog {
    const { cfg, task } = this;
    const grads = new Float64Array(this.state.p.length);
    const { weights, adapters } = this.model();
    const losses: number[] = [];
    for (const windows of lmWindowsAt(cfg, task, t)) {
      const r = llamaLoraLossGrad(task.shape, weights, adapters, windows);
      losses.push(r.loss);
      for (const s of this.slots) {
        const g = r.grads[s.module.name][s.kind === 'A' ? 'dA' : 'dB'];
        for (let j = 0; j < s.size; j++) grads[s.offset + j] += g[j] / cfg.accum;
      }
    }
    let sumsq = 0;
    let nonFinite = 0;
    for (const g of grads) (sumsq += g * g), Number.isFinite(g) || nonFinite++;
    const h = hyperAt(cfg, t);
    const groups: ParamGroupRange[] = this.slots.map((s) => ({ start: s.offset, end: s.offset + s.size }));
    const hyper: GroupHyper[] = this.slots.map((s) => ({ lr: s.kind === 'B' ? h.lr * h.loraPlusRatio : h.lr, weightDecay: h.weightDecay }));
    const coef = clipCoef(sumsq, h.clip);
    if (cfg.optimizer === 'adamw') adamwStep(this.state as AdamWState, grads, t, groups, hyper, cfg, coef);
    else sgdStep(this.state as SgdState, grads, t, groups, hyper, cfg.momentum, coef);
    this.divergedStep = watchStep(this.divergedStep, losses, sumsq, nonFinite, t, DIVERGE_BOUND);
    const log: LmRefLog = { step: t, loss: losses.reduce((a, b) => a + b, 0) / losses.length, gradNorm: Math.sqrt(sumsq), divergedStep: this.divergedStep };
    if (evaluate) log.evalLosses = this.evaluate();
    return log;
  }

  /** Each eval set's loss with the current parameters. */
  evaluate(): number[] {
    const { weights, adapters } = this.model();
    const { batch } = this.cfg;
    const V = this.task.shape.vocab;
    return this.task.evalSets.map((set) => {
      let sum = 0;
      for (let b0 = 0; b0 < set.length; b0 += batch) {
        const chunk = set.slice(b0, b0 + batch);
        // equal windows: the chunk's mean over its positions is the mean of its windows' means
        const mean = chunk.reduce((a, w) => a + crossEntropyLoss(llamaForwardLora(this.task.shape, weights, adapters, w.slice(0, -1)), w.slice(1), w.length - 1, V).loss, 0) / chunk.length;
        sum += mean;
      }
      return sum / Math.ceil(set.length / batch);
    });
  }
}
