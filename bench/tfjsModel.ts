/**
 * The training-step peer: our model and step written with TensorFlow.js ops (WebGPU backend), from the
 * same TrainSetup as our Trainer, so both start from identical weights:
 *   targets  y = teacher(x)                                   (frozen teacher forward, every step, as ours)
 *   student  z_i = h W_i^T (+ s (h A_i^T) B_i^T on LoRA layers), h = gelu_tanh(z) but after the head
 *   loss     lossScale * mean((f - y)^2), gradients by tf.variableGrads
 *   clip     coef = min(1, clip / (||g|| + 1e-6))             (global norm, clip_grad_norm_)
 *   AdamW    p *= 1 - lr wd; m, v as Adam; p -= (lr / bc1) m / (sqrt(v) / sqrt(bc2) + eps)
 * Trainable tensors are tf.variable (A_i, B_i for LoRA layers, W_i for fully trained ones); frozen
 * weights are plain tensors. Scalars that are constant are made once as tensors, so a step uploads only
 * x and three per-step scalars (a plain `tf.mul(t, 0.5)` would upload 0.5 on every call).
 * Supported: bias-free MLP, MSE with a teacher, no dropout, accum 1, AdamW (what the bench needs).
 */
import type * as tfc from '@tensorflow/tfjs-core';
// tfjs-core alone registers no gradient functions (the @tensorflow/tfjs bundle does this import).
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { groupHypers, paramLayout } from '../src/engine/layout';
import type { StepHyper, TrainSetup } from '../src/engine/types';

type TF = typeof tfc;
type T2 = tfc.Tensor2D;

/** sqrt(2/pi) and the cubic coefficient of GELU's tanh approximation (src/ref/activation.ts). */
const GELU_K = Math.sqrt(2 / Math.PI);
const GELU_C = 0.044715;

let instances = 0;

interface Trainable {
  p: tfc.Variable;
  m: tfc.Variable;
  v: tfc.Variable;
  /** Its learning rate is lr * lrMul (LoRA+ for B; 1 otherwise), as groupHypers in src/engine/layout.ts. */
  lrMul: number;
}

export class TfTrainer {
  private readonly W: T2[] = []; // frozen student weights (out, in); fully trained layers use `full`
  private readonly teacherW: T2[];
  private readonly A: (tfc.Variable | null)[] = [];
  private readonly B: (tfc.Variable | null)[] = [];
  private readonly full: (tfc.Variable | null)[] = [];
  private readonly trainables: Trainable[] = [];
  private readonly k: Record<'half' | 'one' | 'geluK' | 'geluC' | 'scale' | 'lossScale' | 'clip' | 'clipEps' | 'b1' | 'b1c' | 'b2' | 'b2c' | 'eps', tfc.Scalar>;
  private readonly sizes: number[];

  constructor(
    private readonly tf: TF,
    private readonly setup: TrainSetup,
    /** Weight decay, LoRA+ ratio and clip, fixed for the peer's whole run (its lr comes per step). */
    private readonly hyper: Omit<StepHyper, 'lr'>,
  ) {
    const { spec, optim } = setup;
    if (spec.bias || spec.loss !== 'mse' || !setup.teacher || setup.dropout > 0 || setup.accum !== 1 || optim.kind !== 'adamw' || spec.activation !== 'gelu_tanh')
      throw new Error('TfTrainer supports bias-free GELU MLPs, MSE against a teacher, no dropout, accum 1, AdamW');
    this.sizes = spec.sizes;
    const id = `tfpeer${instances++}`;
    const s = (x: number) => tf.scalar(x);
    this.k = {
      half: s(0.5), one: s(1), geluK: s(GELU_K), geluC: s(GELU_C), scale: s(spec.scaling), lossScale: s(setup.lossScale),
      clip: s(hyper.clip), clipEps: s(1e-6), b1: s(optim.beta1), b1c: s(1 - optim.beta1), b2: s(optim.beta2), b2c: s(1 - optim.beta2), eps: s(optim.eps),
    };
    const mat = (data: Float32Array, rows: number, cols: number) => tf.tensor2d(data, [rows, cols]);
    const layout = paramLayout(spec);
    const hypers = groupHypers(layout, { ...hyper, lr: 1 });
    const lrMul = new Map(layout.groups.map((g, j) => [g.name, hypers[j].lr]));
    // tf.variable shares the initial tensor's data and holds its own reference: drop ours.
    const variable = (init: tfc.Tensor, name: string, trainable = true) => {
      const v = tf.variable(init, trainable, `${id}_${name}`);
      init.dispose();
      return v;
    };
    const trainable = (data: Float32Array, rows: number, cols: number, name: string, group: 'A' | 'B' | 'full') => {
      const p = variable(mat(data, rows, cols), name);
      const m = variable(tf.zeros([rows, cols]), `${name}_m`, false);
      const v = variable(tf.zeros([rows, cols]), `${name}_v`, false);
      this.trainables.push({ p, m, v, lrMul: lrMul.get(group) ?? 1 });
      return p;
    };
    this.teacherW = setup.teacher.W.map((w, i) => mat(w, spec.sizes[i + 1], spec.sizes[i]));
    spec.modes.forEach((mode, i) => {
      const [dI, dO] = [spec.sizes[i], spec.sizes[i + 1]];
      this.W.push(mat(setup.base.W[i], dO, dI));
      this.A.push(mode === 'lora' ? trainable(setup.loraA[i]!, spec.r, dI, `A${i}`, 'A') : null);
      this.B.push(mode === 'lora' ? trainable(setup.loraB[i]!, dO, spec.r, `B${i}`, 'B') : null);
      this.full.push(mode === 'full' ? trainable(setup.base.W[i], dO, dI, `W${i}`, 'full') : null);
    });
  }

  /** gelu_tanh(z) = 0.5 z (1 + tanh(K (z + C z^3))), from tfjs ops (tfjs has no tanh-GELU op). */
  private gelu(z: tfc.Tensor): tfc.Tensor {
    const { tf, k } = this;
    const inner = tf.mul(k.geluK, tf.add(z, tf.mul(k.geluC, tf.mul(tf.mul(z, z), z))));
    return tf.mul(tf.mul(k.half, z), tf.add(k.one, tf.tanh(inner)));
  }

  /** Student (adapted) forward, or the teacher's with `teacher`; x (rows, dIn) -> (rows, dOut). */
  private forward(x: T2, teacher: boolean): tfc.Tensor {
    const { tf } = this;
    const L = this.sizes.length - 1;
    let h: tfc.Tensor = x;
    for (let i = 0; i < L; i++) {
      const W = teacher ? this.teacherW[i] : (this.full[i] ?? this.W[i]);
      let z = tf.matMul(h, W, false, true);
      const A = this.A[i];
      if (!teacher && A) z = tf.add(z, tf.mul(this.k.scale, tf.matMul(tf.matMul(h, A, false, true), this.B[i]!, false, true)));
      h = i < L - 1 ? this.gelu(z) : z;
    }
    return h;
  }

  /**
   * One training step (t 1-based) on inputs x (batch, dIn). Returns the loss before the update; nothing
   * waits for the GPU unless the caller reads it (and must dispose it).
   */
  step(x: Float32Array, t: number, lr: number): tfc.Scalar {
    const { tf, k, setup } = this;
    const { optim } = setup;
    return tf.tidy(() => {
      const X = tf.tensor2d(x, [setup.batch, this.sizes[0]]);
      const Y = this.forward(X, true);
      const vars = this.trainables.map((v) => v.p);
      const { value, grads } = tf.variableGrads(() => tf.mul(k.lossScale, tf.mean(tf.squaredDifference(this.forward(X, false), Y))) as tfc.Scalar, vars);
      const g = vars.map((v) => grads[v.name]);
      let coef: tfc.Tensor = k.one;
      if (this.hyper.clip > 0) {
        const norm = tf.sqrt(tf.addN(g.map((gi) => tf.sum(tf.square(gi)))));
        coef = tf.minimum(k.one, tf.div(k.clip, tf.add(norm, k.clipEps)));
      }
      // per-step scalars (host-computed, as our uniforms), one pair per distinct learning rate
      const bc1 = 1 - optim.beta1 ** t;
      const sqrtBc2 = tf.scalar(Math.sqrt(1 - optim.beta2 ** t));
      const perLr = new Map<number, { decay: tfc.Scalar; stepSize: tfc.Scalar }>();
      const scalarsFor = (lrj: number) => {
        let s = perLr.get(lrj);
        if (!s) perLr.set(lrj, (s = { decay: tf.scalar(1 - lrj * this.hyper.weightDecay), stepSize: tf.scalar(lrj / bc1) }));
        return s;
      };
      this.trainables.forEach((v, j) => {
        const { decay, stepSize } = scalarsFor(lr * v.lrMul);
        const gc = tf.mul(g[j], coef);
        v.m.assign(tf.add(tf.mul(k.b1, v.m), tf.mul(k.b1c, gc)));
        v.v.assign(tf.add(tf.mul(k.b2, v.v), tf.mul(k.b2c, tf.square(gc))));
        const update = tf.div(tf.mul(stepSize, v.m), tf.add(tf.div(tf.sqrt(v.v), sqrtBc2), k.eps));
        v.p.assign(tf.sub(tf.mul(v.p, decay), update));
      });
      return value;
    });
  }

  dispose(): void {
    for (const v of this.trainables) [v.p, v.m, v.v].forEach((x) => x.dispose());
    [...this.W, ...this.teacherW, ...Object.values(this.k)].forEach((x) => x.dispose());
  }
}
