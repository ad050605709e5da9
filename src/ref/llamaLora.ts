/**
 * CPU reference (the spec) of one LoRA training step of the language model: the forward with adapters,
 * the mean next-token cross-entropy and its gradient for every adapter, float64 throughout. Checked
 * against PEFT on transformers' LlamaForCausalLM (fixtures/golden/llama_lora_step.json,
 * scripts/golden_llama_lora.py); the GPU trainer is checked against it.
 *
 * An adapted module computes y = x W^T + s (x A^T) B^T (src/ref/lora_linear.ts). The base is frozen but
 * still carries the gradient: every linear module passes back dX = G W (plus dH A where adapted), through
 * each RMSNorm, the attention, RoPE and the SwiGLU, so an adapter below the top layer gets its exact
 * gradient. The embedding table is frozen and is where the backward pass ends.
 */
import { attentionBackward } from './attention';
import { crossEntropyLoss } from './cross_entropy';
import { baseProject, llamaForwardTape, llamaLinear, type LlamaForwardOps, type LlamaLinear, type LlamaShape, type LlamaTape, type LlamaWeights } from './llama';
import { loraLinearBackwardRef, loraLinearForwardRef, type LoraShape } from './lora_linear';
import { matmulRef } from './matmul';
import { rmsNormBackward } from './rmsnorm';
import { ropeApply, ropeTable } from './rope';
import { swigluBackward } from './swiglu';

/** One module's adapter: A (r, dIn), B (dOut, r), row-major; scaling lora_alpha / r (or / sqrt(r) for rsLoRA). */
export interface LoraFactor {
  r: number;
  scaling: number;
  A: Float32Array | Float64Array;
  B: Float32Array | Float64Array;
}
/** Adapters by PEFT module name ('model.layers.0.self_attn.q_proj'); a module without one is the frozen base. */
export type LlamaAdapters = Record<string, LoraFactor>;

export interface LlamaLoraGrads {
  loss: number;
  /** dL/dA (r, dIn) and dL/dB (dOut, r) of every adapter, by module name. */
  grads: Record<string, { dA: Float64Array; dB: Float64Array }>;
}

/** Every adapter names a linear module of the model and has its shape; a typo would otherwise train nothing. */
function checkAdapters(s: LlamaShape, w: LlamaWeights, adapters: LlamaAdapters): void {
  for (const [module, f] of Object.entries(adapters)) {
    const { dIn, dOut } = llamaLinear(s, w, module);
    if (!Number.isInteger(f.r) || f.r < 1) throw new Error(`llamaLora: ${module} has rank ${f.r}`);
    if (!Number.isFinite(f.scaling)) throw new Error(`llamaLora: ${module} has scaling ${f.scaling}`);
    if (f.A.length !== f.r * dIn) throw new Error(`llamaLora: ${module}.lora_A has ${f.A.length} values, expected ${f.r}x${dIn}`);
    if (f.B.length !== dOut * f.r) throw new Error(`llamaLora: ${module}.lora_B has ${f.B.length} values, expected ${dOut}x${f.r}`);
  }
}

const loraShape = (lin: LlamaLinear, f: LoraFactor, rows: number): LoraShape => ({ N: rows, dIn: lin.dIn, dOut: lin.dOut, r: f.r, scaling: f.scaling });

/** A float64 forward whose adapted modules add their LoRA path. */
function loraOps(adapters: LlamaAdapters): LlamaForwardOps {
  return {
    project(lin, x, rows) {
      const f = adapters[lin.module];
      return f ? loraLinearForwardRef(loraShape(lin, f, rows), { X: x, W0: lin.W, A: f.A, B: f.B }).Y : baseProject(lin, x, rows);
    },
    round: (x) => x,
  };
}

/** Logits (tokens.length, vocab) of one sequence with adapters applied: y = x W^T + scaling * (x A^T) B^T on each adapted module. */
export function llamaForwardLora(s: LlamaShape, w: LlamaWeights, adapters: LlamaAdapters, tokens: readonly number[]): Float64Array {
  checkAdapters(s, w, adapters);
  return llamaForwardTape(s, w, tokens, tokens.length, loraOps(adapters)).logits;
}

/** Mean next-token cross-entropy over a batch of windows (each window seq+1 tokens: inputs w[0..seq-1], labels w[1..seq]) and its gradient for every adapter's A and B. */
export function llamaLoraLossGrad(s: LlamaShape, w: LlamaWeights, adapters: LlamaAdapters, windows: readonly (readonly number[])[]): LlamaLoraGrads {
  checkAdapters(s, w, adapters);
  const seq = (windows[0]?.length ?? 0) - 1;
  if (seq < 1 || windows.some((win) => win.length !== seq + 1)) throw new Error('llamaLora: windows must all have the same length, at least 2 tokens');
  // the windows' inputs laid end to end: rows N = batch * seq, each window attending only within itself
  const inputs = windows.flatMap((win) => win.slice(0, seq));
  const labels = windows.flatMap((win) => win.slice(1));
  const tape = llamaForwardTape(s, w, inputs, seq, loraOps(adapters));
  const { loss, grad } = crossEntropyLoss(tape.logits, labels, tape.rows, s.vocab); // grad = dL/dlogits, 1/N included
  return { loss, grads: llamaLoraBackward(s, w, adapters, tape, grad) };
}

/** dL/dA and dL/dB of every adapter from dL/dlogits (N, vocab), walking the tape from the top down. */
function llamaLoraBackward(s: LlamaShape, w: LlamaWeights, adapters: LlamaAdapters, tape: LlamaTape, dLogits: Float64Array): LlamaLoraGrads['grads'] {
  const N = tape.rows;
  const H = s.hidden;
  const grads: LlamaLoraGrads['grads'] = {};
  // dX (N, dIn) of a linear module from G = dL/dY (N, dOut) and its input X; an adapted one also records dA, dB
  // (each module runs once per forward, so its gradients are set, not accumulated)
  const back = (module: string, X: Float64Array, G: Float64Array): Float64Array => {
    const lin = llamaLinear(s, w, module);
    const f = adapters[module];
    if (!f) return matmulRef({ M: N, N: lin.dIn, K: lin.dOut }, G, lin.W); // dX = G W
    const g = loraLinearBackwardRef(loraShape(lin, f, N), { X, W0: lin.W, A: f.A, B: f.B }, G);
    grads[module] = { dA: g.dA, dB: g.dB };
    return g.dX;
  };
  const normBack = (name: string, x: Float64Array, dy: Float64Array) => rmsNormBackward(x, dy, N, H, w[name], s.eps);
  const sum = (...xs: Float64Array[]) => xs.reduce((a, b) => a.map((ai, i) => ai + b[i]));
  const attShape = { rows: N, seq: tape.seq, heads: s.heads, kvHeads: s.kvHeads, headDim: s.headDim };
  const table = ropeTable(tape.seq, s.headDim, s.ropeTheta);
  const unrope = (d: Float64Array, heads: number) => ropeApply(d, N, heads, s.headDim, tape.seq, table, -1);

  // logits = lm_head(norm(x))
  let dx = normBack('model.norm.weight', tape.x, back('lm_head', tape.n, dLogits));
  for (let l = s.layers - 1; l >= 0; l--) {
    const t = tape.layers[l];
    const p = `model.layers.${l}`;
    // out = x1 + down_proj(silu(gate_proj h2) * up_proj h2), h2 = post_attention_layernorm(x1)
    const dm = back(`${p}.mlp.down_proj`, t.m, dx);
    const { dg, du } = swigluBackward(t.g, t.u, dm);
    const dh2 = sum(back(`${p}.mlp.gate_proj`, t.h2, dg), back(`${p}.mlp.up_proj`, t.h2, du));
    const dx1 = sum(dx, normBack(`${p}.post_attention_layernorm.weight`, t.x1, dh2));
    // x1 = x + o_proj(attention(rope(q_proj h), rope(k_proj h), v_proj h)), h = input_layernorm(x)
    const datt = back(`${p}.self_attn.o_proj`, t.att, dx1);
    const { dq, dk, dv } = attentionBackward(attShape, t.q, t.k, t.v, t.att, t.lse, datt);
    const dh = sum(
      back(`${p}.self_attn.q_proj`, t.h, unrope(dq, s.heads)),
      back(`${p}.self_attn.k_proj`, t.h, unrope(dk, s.kvHeads)),
      back(`${p}.self_attn.v_proj`, t.h, dv),
    );
    dx = sum(dx1, normBack(`${p}.input_layernorm.weight`, t.x, dh));
  }
  // dx is now dL/d(embedded tokens); the embedding table is frozen, so nothing below needs it
  return grads;
}

/** W' = W + scaling * B A for each adapted module: the merged model's weights (a new LlamaWeights). */
export function mergeAdapters(s: LlamaShape, w: LlamaWeights, adapters: LlamaAdapters): LlamaWeights {
  checkAdapters(s, w, adapters);
  // unadapted tensors are shared with `w`, not copied; merged ones are new, rounded to float32 as weights are
  const out: LlamaWeights = { ...w };
  for (const [module, f] of Object.entries(adapters)) {
    const { W, dIn, dOut } = llamaLinear(s, w, module);
    out[`${module}.weight`] = Float32Array.from(matmulRef({ M: dOut, N: dIn, K: f.r }, f.B, f.A, { alpha: f.scaling, accumulate: W }));
  }
  return out;
}
