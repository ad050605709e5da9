/**
 * CPU reference trainer: the spec of the GPU engine, in float64 over the src/ref kernels, for tests.
 * Same setup, same step inputs, same logs as src/engine/trainer.ts. Slow by design (plain loops).
 *
 * Per step t, for each micro-batch k: targets (teacher forward), forward (LoRA: y = x W0^T + b + s (d(x) A^T) B^T,
 * d = dropout on the LoRA path), loss (MSE * lossScale, or cross-entropy), backward with the loss
 * gradient scaled by 1/accum, gradients summed over micro-batches. Then global grad norm, clip
 * coefficient min(1, clip / (norm + 1e-6)), optimizer step (AdamW or SGD, per-group lr), divergence watch.
 */
import { act, dact } from './activation';
import { matmulRef } from './matmul';
import { adamwInit, adamwStep, type AdamWState } from './adamw';
import { sgdInit, sgdStep, type SgdState } from './sgd';
import { dropoutKey, keepScale } from './dropout';
import { argmaxRows } from './argmax';
import { watchStep } from './watch';
import { mseLoss } from './mse';
import { crossEntropyLoss } from './cross_entropy';
import { reduceStats } from './reduce';
import { clipCoef } from './clip';
import { groupHypers, layerCount, paramLayout, slot, type MlpSpec, type ParamLayout } from '../engine/layout';
import type { StepInput, StepLog, TrainSetup, Weights } from '../engine/types';

interface Cache {
  inputs: Float64Array[]; // input of layer i (rows, sizes[i])
  dropped: (Float64Array | null)[]; // dropout(input) for the LoRA path
  z: Float64Array[]; // pre-activation of layer i (rows, sizes[i+1])
  h: (Float64Array | null)[]; // H = d(x) A^T (rows, r)
}

export class CpuTrainer {
  readonly layout: ParamLayout;
  private state: AdamWState | SgdState;
  private divergedStep = 0;
  /** The last step's summed gradients before clipping (flat layout), for tests. */
  lastGrads: Float64Array | null = null;

  constructor(readonly setup: TrainSetup) {
    this.layout = paramLayout(setup.spec);
    const p0 = new Float64Array(this.layout.total);
    for (const t of this.layout.tensors) {
      const src =
        t.name[0] === 'A' ? setup.loraA[t.layer] : t.name[0] === 'B' ? setup.loraB[t.layer] : t.name[0] === 'W' ? setup.base.W[t.layer] : setup.base.b![t.layer];
      p0.set(src!, t.offset);
    }
    this.state = setup.optim.kind === 'adamw' ? adamwInit(p0) : sgdInit(p0);
  }

  get params(): Float64Array {
    return this.state.p;
  }

  tensor(name: string): Float64Array {
    const s = slot(this.layout, name)!;
    return this.state.p.slice(s.offset, s.offset + s.size);
  }

  private weight(i: number): ArrayLike<number> {
    const s = slot(this.layout, `W${i}`);
    return s ? this.state.p.subarray(s.offset, s.offset + s.size) : this.setup.base.W[i];
  }

  private bias(i: number): ArrayLike<number> | undefined {
    if (!this.setup.base.b) return undefined;
    const s = slot(this.layout, `b${i}`);
    return s ? this.state.p.subarray(s.offset, s.offset + s.size) : this.setup.base.b[i];
  }

  /** Student forward over `rows` rows; dropout keys from (t, micro) when training. */
  forward(x: ArrayLike<number>, rows: number, train: { t: number; micro: number } | null): { out: Float64Array; cache: Cache } {
    const { spec } = this.setup;
    const cache: Cache = { inputs: [], dropped: [], z: [], h: [] };
    let cur: Float64Array = Float64Array.from(x);
    for (let i = 0; i < layerCount(spec); i++) {
      const [dI, dO] = [spec.sizes[i], spec.sizes[i + 1]];
      cache.inputs.push(cur);
      let z = matmulRef({ M: rows, N: dO, K: dI, transB: true }, cur, this.weight(i), { bias: this.bias(i) });
      let dropped: Float64Array | null = null;
      let h: Float64Array | null = null;
      if (spec.modes[i] === 'lora') {
        dropped = cur;
        if (train && this.setup.dropout > 0) {
          const key = dropoutKey(this.setup.seed, train.t, train.micro, i);
          dropped = cur.map((v, j) => v * keepScale(key, j, this.setup.dropout));
        }
        h = matmulRef({ M: rows, N: spec.r, K: dI, transB: true }, dropped, this.tensor(`A${i}`));
        z = matmulRef({ M: rows, N: dO, K: spec.r, transB: true }, h, this.tensor(`B${i}`), { alpha: spec.scaling, accumulate: z });
      }
      cache.dropped.push(dropped);
      cache.h.push(h);
      cache.z.push(z);
      cur = i < layerCount(spec) - 1 ? z.map((v) => act(spec.activation, v)) : z;
    }
    return { out: cur, cache };
  }

  /** Backward from G = dL/d(output); adds parameter gradients into `grads` (flat layout). */
  backward(G0: Float64Array, cache: Cache, rows: number, grads: Float64Array, train: { t: number; micro: number }): void {
    const { spec } = this.setup;
    let G = G0;
    for (let i = layerCount(spec) - 1; i >= 0; i--) {
      const [dI, dO] = [spec.sizes[i], spec.sizes[i + 1]];
      const X = cache.inputs[i];
      const add = (name: string, g: Float64Array) => {
        const s = slot(this.layout, name)!;
        for (let j = 0; j < s.size; j++) grads[s.offset + j] += g[j];
      };
      let dX = matmulRef({ M: rows, N: dI, K: dO }, G, this.weight(i)); // G W0
      if (spec.modes[i] === 'lora') {
        const s = spec.scaling;
        add(`B${i}`, matmulRef({ M: dO, N: spec.r, K: rows, transA: true }, G, cache.h[i]!, { alpha: s })); // dB = s G^T H
        const dH = matmulRef({ M: rows, N: spec.r, K: dO }, G, this.tensor(`B${i}`), { alpha: s }); // dH = s G B
        add(`A${i}`, matmulRef({ M: spec.r, N: dI, K: rows, transA: true }, dH, cache.dropped[i]!)); // dA = dH^T d(X)
        const dXl = matmulRef({ M: rows, N: dI, K: spec.r }, dH, this.tensor(`A${i}`)); // dH A
        if (this.setup.dropout > 0) {
          const key = dropoutKey(this.setup.seed, train.t, train.micro, i);
          dX = dX.map((v, j) => v + dXl[j] * keepScale(key, j, this.setup.dropout));
        } else dX = dX.map((v, j) => v + dXl[j]);
      } else if (spec.modes[i] === 'full') {
        add(`W${i}`, matmulRef({ M: dO, N: dI, K: rows, transA: true }, G, X)); // dW0 = G^T X
        if (spec.bias) {
          const db = new Float64Array(dO);
          for (let n = 0; n < rows; n++) for (let o = 0; o < dO; o++) db[o] += G[n * dO + o];
          add(`b${i}`, db);
        }
      }
      if (i > 0) {
        const zPrev = cache.z[i - 1];
        G = dX.map((v, j) => v * dact(spec.activation, zPrev[j]));
      }
    }
  }

  /** Loss and dL/d(out) for one batch: MSE (mean over all elements, times lossScale) or cross-entropy. */
  loss(out: Float64Array, rows: number, target: ArrayLike<number>): { loss: number; grad: Float64Array; accuracy?: number } {
    const dOut = this.setup.spec.sizes[this.setup.spec.sizes.length - 1];
    if (this.setup.spec.loss === 'mse') return mseLoss(out, target, this.setup.lossScale);
    return crossEntropyLoss(out, target, rows, dOut);
  }

  /** Targets for a batch: explicit, or the teacher's outputs (argmax labels for cross-entropy). */
  targetsFor(x: ArrayLike<number>, rows: number, explicit?: Float32Array | Uint32Array): ArrayLike<number> {
    if (explicit) return explicit;
    const y = teacherForward(this.setup.spec, this.setup.teacher!, x, rows);
    const dOut = this.setup.spec.sizes[this.setup.spec.sizes.length - 1];
    return this.setup.spec.loss === 'ce' ? argmaxRows(y, rows, dOut) : y;
  }

  step(input: StepInput, evaluate = false): StepLog {
    const { setup } = this;
    const grads = new Float64Array(this.layout.total);
    let lossSum = 0;
    let accSum = 0;
    const losses: number[] = [];
    for (let k = 0; k < setup.accum; k++) {
      const train = { t: input.t, micro: k };
      const { out, cache } = this.forward(input.x[k], setup.batch, train);
      const res = this.loss(out, setup.batch, this.targetsFor(input.x[k], setup.batch, input.targets?.[k]));
      losses.push(res.loss);
      lossSum += res.loss;
      accSum += res.accuracy ?? 0;
      this.backward(res.grad.map((g) => g / setup.accum), cache, setup.batch, grads, train);
    }
    this.lastGrads = grads;
    const { sumsq, nonfinite: nonFinite } = reduceStats(grads);
    const norm = Math.sqrt(sumsq);
    const h = input.hypers[0];
    const coef = clipCoef(sumsq, h.clip);
    const clipped = grads.map((g) => g * coef);
    const hyper = groupHypers(this.layout, h);
    if (setup.optim.kind === 'adamw')
      adamwStep(this.state as AdamWState, clipped, input.t, this.layout.groups, hyper, setup.optim);
    else sgdStep(this.state as SgdState, clipped, input.t, this.layout.groups, hyper, setup.optim.momentum);
    this.divergedStep = watchStep(this.divergedStep, losses, sumsq, nonFinite, input.t, setup.divergeBound);
    const log: StepLog = { step: input.t, loss: lossSum / setup.accum, gradNorm: norm, divergedStep: this.divergedStep };
    if (setup.spec.loss === 'ce') log.accuracy = accSum / setup.accum;
    if (evaluate && setup.evalX) {
      const e = this.evaluate();
      log.evalLoss = e.loss;
      if (e.accuracy !== undefined) log.evalAccuracy = e.accuracy;
    }
    return log;
  }

  evaluate(): { loss: number; accuracy?: number } {
    const { evalX, evalRows } = this.setup;
    const { out } = this.forward(evalX!, evalRows, null);
    const r = this.loss(out, evalRows, this.targetsFor(evalX!, evalRows));
    return { loss: r.loss, accuracy: r.accuracy };
  }
}

/** Frozen teacher forward (float64): activation after every layer but the last. */
export function teacherForward(spec: MlpSpec, w: Weights, x: ArrayLike<number>, rows: number): Float64Array {
  let cur: Float64Array = Float64Array.from(x);
  const L = layerCount(spec);
  for (let i = 0; i < L; i++) {
    const z = matmulRef({ M: rows, N: spec.sizes[i + 1], K: spec.sizes[i], transB: true }, cur, w.W[i], { bias: w.b?.[i] });
    cur = i < L - 1 ? z.map((v) => act(spec.activation, v)) : z;
  }
  return cur;
}
