/**
 * The language model's LoRA training step written with TensorFlow.js ops (WebGPU backend): the peer our
 * GPU step is timed against. The math is transformers' LlamaForCausalLM (src/ref/llama.ts is its spec):
 *   x = embed[ids]                                                        (B*T, H)
 *   per layer: h = rmsnorm(x) w_in; q, k, v = proj(h); q, k = rope(q), rope(k) (rotate_half)
 *              o = softmax(q k^T / sqrt(d) + causal) v, kv head h / (heads / kvHeads) per query head
 *              x += o_proj(o); h' = rmsnorm(x) w_post; x += down(silu(gate h') * up h')
 *   logits = lm_head(rmsnorm(x) w_norm)                                   (B*T, vocab)
 *   proj(h) = h W0^T + s (h A^T) B^T on target modules (PEFT's lora_A (r, in), lora_B (out, r))
 *   loss = mean over B*T of -log softmax(logits)[label], labels = each window shifted by one
 * Gradients by optimizer.computeGradients (tf.variableGrads) over the A and B variables only; the base is
 * plain tensors. Update: decoupled weight decay p *= 1 - lr wd, then tf.train.adam (m / (sqrt(v) + eps)
 * with bias corrections), which together are torch.optim.AdamW's step.
 * A is PEFT's default init (U(+-1/sqrt(in)), src/tasks/init.ts) from a seeded stream per module; B = 0,
 * so the first step's loss is the base model's.
 */
import type * as tfc from '@tensorflow/tfjs-core';
// tfjs-core alone registers no gradient functions (the @tensorflow/tfjs bundle does this import).
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { llamaTensorShapes, type LlamaShape, type LlamaWeights } from '../src/ref/llama';
import { ropeTable } from '../src/ref/rope';
import { Rng } from '../src/rng';
import { initLora } from '../src/tasks/init';
import { tfWebgpu } from './tfjs';

export interface LmPeerArgs {
  shape: LlamaShape;
  weights: LlamaWeights;
  batch: number;
  seq: number;
  r: number;
  /** lora_alpha / r (or / sqrt(r) for rsLoRA): the factor on B A. */
  scaling: number;
  /** PEFT module names, e.g. 'model.layers.0.self_attn.q_proj'. */
  targets: string[];
  /** `batch` windows of seq + 1 token ids: inputs w[:seq], labels w[1:]. The same batch every step. */
  windows: number[][];
  lr: number;
  /** Decoupled weight decay (AdamW's); 0.01, torch.optim.AdamW's default, when absent. */
  weightDecay?: number;
  /** Seeds the A init; 0 when absent. */
  seed?: number;
}

/** A training step in a form the bench can check and time; our GPU step is meant to offer the same. */
export interface LmStepper {
  /** One training step; resolves to its loss (before its update). The readback is a sync point. */
  step(): Promise<number>;
  /** `steps` training steps back to back, one readback at the end: resolves to the last step's loss. */
  run(steps: number): Promise<number>;
  dispose(): void;
}

type TF = typeof tfc;

const ADAM = { beta1: 0.9, beta2: 0.999, eps: 1e-8 } as const;

/** tfjs variable names are global: each stepper prefixes its own. */
let instances = 0;

/** The windows as int32 ids (B*T) and labels (B*T), checked against the shape. */
function tokens(a: LmPeerArgs): { ids: Int32Array; labels: Int32Array } {
  if (a.windows.length !== a.batch) throw new Error(`tfjsLlama: ${a.windows.length} windows for batch ${a.batch}`);
  if (a.seq < 1 || a.seq > a.shape.context) throw new Error(`tfjsLlama: seq ${a.seq}; the model takes 1..${a.shape.context}`);
  const ids = new Int32Array(a.batch * a.seq);
  const labels = new Int32Array(a.batch * a.seq);
  a.windows.forEach((w, b) => {
    if (w.length !== a.seq + 1) throw new Error(`tfjsLlama: window ${b} has ${w.length} tokens, expected seq + 1 = ${a.seq + 1}`);
    for (const t of w) if (!Number.isInteger(t) || t < 0 || t >= a.shape.vocab) throw new Error(`tfjsLlama: token ${t} outside 0..${a.shape.vocab - 1}`);
    ids.set(w.slice(0, a.seq), b * a.seq);
    labels.set(w.slice(1), b * a.seq);
  });
  return { ids, labels };
}

export async function tfjsLlamaStep(a: LmPeerArgs): Promise<LmStepper> {
  const tf: TF = await tfWebgpu();
  const { shape: s, batch: B, seq: T } = a;
  const { ids, labels } = tokens(a);
  const D = s.headDim;
  const group = s.heads / s.kvHeads;
  const made: tfc.Tensor[] = []; // every constant, for dispose()
  const keep = <X extends tfc.Tensor>(t: X): X => (made.push(t), t);
  // Scalars made once: `tf.mul(t, 0.5)` would upload 0.5 on every call.
  const k = {
    scaling: keep(tf.scalar(a.scaling)),
    attnScale: keep(tf.scalar(1 / Math.sqrt(D))),
    eps: keep(tf.scalar(s.eps)),
    decay: keep(tf.scalar(1 - a.lr * (a.weightDecay ?? 0.01))),
  };
  const idsT = keep(tf.tensor1d(ids, 'int32'));
  const oneHot = keep(tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), s.vocab, 1, 0, 'float32'))); // (B*T, vocab)
  const table = ropeTable(T, D, s.ropeTheta); // (T, D/2) each; HF's cos/sin repeat them over both halves
  const halves = (x: Float32Array) => tf.tidy(() => {
    const t = tf.tensor2d(x, [T, D / 2]);
    return tf.reshape(tf.concat([t, t], 1), [1, 1, T, D]);
  });
  const cos = keep(halves(table.cos));
  const sin = keep(halves(table.sin));
  // additive causal mask (T, T): 0 on and below the diagonal, a large negative above (HF uses finfo.min)
  const maskData = new Float32Array(T * T);
  for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) maskData[i * T + j] = -1e9;
  const mask = keep(tf.tensor2d(maskData, [T, T]));

  const W = new Map<string, tfc.Tensor>();
  const shapes = new Map(llamaTensorShapes(s));
  for (const [name, dims] of shapes) {
    const w = a.weights[name];
    if (!w) throw new Error(`tfjsLlama: missing weight ${name}`);
    W.set(name, keep(tf.tensor(w, dims, 'float32')));
  }
  const id = `lmpeer${instances++}`;
  // tf.variable shares the initial tensor's data and holds its own reference: drop ours.
  const variable = (data: Float32Array, dims: [number, number], name: string) => {
    const init = tf.tensor2d(data, dims);
    const v = tf.variable(init, true, name);
    init.dispose();
    return v;
  };
  const lora = new Map<string, { A: tfc.Variable; B: tfc.Variable }>();
  for (const t of a.targets) {
    const dims = shapes.get(`${t}.weight`);
    if (!dims || dims.length !== 2 || t === 'model.embed_tokens') throw new Error(`tfjsLlama: target ${t} is not a linear module of the model`);
    const [dOut, dIn] = dims;
    const init = initLora('peft', a.r, dIn, dOut, Rng.stream(a.seed ?? 0, `lora_A ${t}`));
    lora.set(t, { A: variable(init.A, [a.r, dIn], `${id}.${t}.lora_A`), B: variable(init.B, [dOut, a.r], `${id}.${t}.lora_B`) });
  }
  const vars = [...lora.values()].flatMap((l) => [l.A, l.B]);
  // typed as the base class: AdamOptimizer narrows applyGradients to variable maps, which grads are not
  const opt: tfc.Optimizer = tf.train.adam(a.lr, ADAM.beta1, ADAM.beta2, ADAM.eps);
  const get = (name: string) => W.get(name)!;

  /** h (B*T, in) -> (B*T, out) through module `name`, with its adapter if it has one. */
  const linear = (h: tfc.Tensor, name: string): tfc.Tensor => {
    const y = tf.matMul(h, get(`${name}.weight`), false, true);
    const l = lora.get(name);
    return l ? tf.add(y, tf.mul(k.scaling, tf.matMul(tf.matMul(h, l.A, false, true), l.B, false, true))) : y;
  };
  const rmsNorm = (x: tfc.Tensor, w: string) => tf.mul(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), k.eps))), get(w));
  /** (B*T, n*D) -> (B, n, T, D) */
  const heads = (x: tfc.Tensor, n: number) => tf.transpose(tf.reshape(x, [B, T, n, D]), [0, 2, 1, 3]);
  /** x cos + rotate_half(x) sin, rotate_half(x) = [-x2, x1] over the halves of each head. */
  const rope = (x: tfc.Tensor) => {
    const [x1, x2] = tf.split(x, 2, 3);
    return tf.add(tf.mul(x, cos), tf.mul(tf.concat([tf.neg(x2), x1], 3), sin));
  };
  /** (B, kvHeads, T, D) -> (B, heads, T, D), kv head j serving query heads j*group .. (HF's repeat_kv). */
  const repeatKv = (x: tfc.Tensor) => (group === 1 ? x : tf.reshape(tf.tile(tf.reshape(x, [B, s.kvHeads, 1, T, D]), [1, 1, group, 1, 1]), [B, s.heads, T, D]));

  const loss = (): tfc.Scalar => {
    let x: tfc.Tensor = tf.gather(get('model.embed_tokens.weight'), idsT); // (B*T, H)
    for (let l = 0; l < s.layers; l++) {
      const p = `model.layers.${l}`;
      const h = rmsNorm(x, `${p}.input_layernorm.weight`);
      const q = rope(heads(linear(h, `${p}.self_attn.q_proj`), s.heads)); // (B, heads, T, D)
      const kk = repeatKv(rope(heads(linear(h, `${p}.self_attn.k_proj`), s.kvHeads)));
      const v = repeatKv(heads(linear(h, `${p}.self_attn.v_proj`), s.kvHeads));
      const scores = tf.add(tf.mul(tf.matMul(q, kk, false, true), k.attnScale), mask); // (B, heads, T, T)
      const o = tf.reshape(tf.transpose(tf.matMul(tf.softmax(scores), v), [0, 2, 1, 3]), [B * T, s.heads * D]);
      x = tf.add(x, linear(o, `${p}.self_attn.o_proj`));
      const h2 = rmsNorm(x, `${p}.post_attention_layernorm.weight`);
      const g = linear(h2, `${p}.mlp.gate_proj`);
      const m = tf.mul(tf.mul(g, tf.sigmoid(g)), linear(h2, `${p}.mlp.up_proj`));
      x = tf.add(x, linear(m, `${p}.mlp.down_proj`));
    }
    const logits = linear(rmsNorm(x, 'model.norm.weight'), 'lm_head'); // (B*T, vocab)
    return tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(logits), oneHot), -1))) as tfc.Scalar;
  };

  /** Queue one step; returns its loss tensor (the caller disposes it). Nothing here waits for the GPU. */
  const queue = (): tfc.Scalar =>
    tf.tidy(() => {
      const { value, grads } = opt.computeGradients(loss, vars);
      for (const v of vars) v.assign(tf.mul(v, k.decay)); // decoupled decay, from the pre-step weights
      opt.applyGradients(grads);
      return value;
    });
  const run = async (steps: number): Promise<number> => {
    for (let i = 1; i < steps; i++) queue().dispose();
    const last = queue();
    const value = (await last.data())[0];
    last.dispose();
    return value;
  };
  return {
    step: () => run(1),
    run,
    dispose() {
      opt.dispose();
      vars.forEach((v) => v.dispose());
      made.forEach((t) => t.dispose());
    },
  };
}
