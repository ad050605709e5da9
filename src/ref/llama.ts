/**
 * CPU reference (the spec) of Hugging Face transformers' LlamaForCausalLM forward pass, written for
 * clarity: the language-model task's kernels are checked against it, and it is checked against
 * transformers itself (fixtures/golden/llama_forward.json, scripts/golden_llama.py).
 *
 * Per layer: x += o_proj(attention(rope(q_proj h), rope(k_proj h), v_proj h)) with h = RMSNorm(x);
 * x += down_proj(silu(gate_proj h') * up_proj h') with h' = RMSNorm(x). Then the final norm and lm_head.
 * Weights are row-major (out, in) as in PyTorch's nn.Linear, under HF's names.
 *
 * The forward is written once (llamaForwardTape) and keeps every activation a backward pass reads; how each
 * projection is computed (the base weight alone, or with a LoRA adapter: src/ref/llamaLora.ts) and whether
 * activations are rounded to float32 (the GPU forward's precision) are the caller's.
 */
import { attentionForward } from './attention';
import { embeddingForward } from './embedding';
import { matmulRef } from './matmul';
import { rmsNormForward } from './rmsnorm';
import { ropeApply, ropeTable } from './rope';
import { swigluForward } from './swiglu';

export interface LlamaShape {
  vocab: number;
  hidden: number;
  intermediate: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  eps: number;
  ropeTheta: number;
  /** Longest sequence the model was built for (max_position_embeddings). */
  context: number;
}

/** Weights by HF key name ('model.layers.0.self_attn.q_proj.weight', ...). */
export type LlamaWeights = Record<string, Float32Array>;

/** The (rows, cols) of every weight of the model, by HF name, in the order HF lists them. */
export function llamaTensorShapes(s: LlamaShape): [string, [number, number] | [number]][] {
  const q = s.heads * s.headDim;
  const kv = s.kvHeads * s.headDim;
  const out: [string, [number, number] | [number]][] = [['model.embed_tokens.weight', [s.vocab, s.hidden]]];
  for (let l = 0; l < s.layers; l++) {
    const p = `model.layers.${l}`;
    out.push(
      [`${p}.self_attn.q_proj.weight`, [q, s.hidden]],
      [`${p}.self_attn.k_proj.weight`, [kv, s.hidden]],
      [`${p}.self_attn.v_proj.weight`, [kv, s.hidden]],
      [`${p}.self_attn.o_proj.weight`, [s.hidden, q]],
      [`${p}.mlp.gate_proj.weight`, [s.intermediate, s.hidden]],
      [`${p}.mlp.up_proj.weight`, [s.intermediate, s.hidden]],
      [`${p}.mlp.down_proj.weight`, [s.hidden, s.intermediate]],
      [`${p}.input_layernorm.weight`, [s.hidden]],
      [`${p}.post_attention_layernorm.weight`, [s.hidden]],
    );
  }
  out.push(['model.norm.weight', [s.hidden]], ['lm_head.weight', [s.vocab, s.hidden]]);
  return out;
}

/** y (rows, out) = x (rows, in) W^T for W (out, in). */
export function linear(x: Float32Array, rows: number, W: Float32Array, dIn: number, dOut: number): Float32Array {
  const y = new Float32Array(rows * dOut);
  for (let i = 0; i < rows; i++)
    for (let o = 0; o < dOut; o++) {
      let acc = 0;
      for (let k = 0; k < dIn; k++) acc += x[i * dIn + k] * W[o * dIn + k];
      y[i * dOut + o] = acc;
    }
  return y;
}

/** weight * x / sqrt(mean(x^2) + eps), per row, rounded to float32 as the model's activations are. */
export const rmsNorm = (x: Float32Array, rows: number, dim: number, weight: Float32Array, eps: number): Float32Array => Float32Array.from(rmsNormForward(x, rows, dim, weight, eps));

/** Rotary position embedding of rows 0..rows-1 (one sequence), in place (src/ref/rope.ts). */
export function rope(x: Float32Array, rows: number, heads: number, headDim: number, theta: number): void {
  x.set(ropeApply(x, rows, heads, headDim, rows, ropeTable(rows, headDim, theta)));
}

/** One linear module of the model: its PEFT name ('model.layers.0.self_attn.q_proj', 'lm_head'), W (dOut, dIn). */
export interface LlamaLinear {
  module: string;
  W: Float32Array;
  dIn: number;
  dOut: number;
}

/** The linear module `module` of the weights, its shape checked against the model's. */
export function llamaLinear(s: LlamaShape, w: LlamaWeights, module: string): LlamaLinear {
  const name = `${module}.weight`;
  const shape = llamaTensorShapes(s).find(([n]) => n === name)?.[1];
  if (!shape || shape.length !== 2) throw new Error(`llama: ${module} is not a linear module of the model`);
  const [dOut, dIn] = shape;
  const W = llamaWeight(w, name);
  if (W.length !== dOut * dIn) throw new Error(`llama: ${name} has ${W.length} values, expected ${dOut}x${dIn}`);
  return { module, W, dIn, dOut };
}

function llamaWeight(w: LlamaWeights, name: string): Float32Array {
  const t = w[name];
  if (!t) throw new Error(`llama: missing weight ${name}`);
  return t;
}

/** How llamaForwardTape computes what the caller chooses. */
export interface LlamaForwardOps {
  /** y (rows, dOut) of the linear module for x (rows, dIn). */
  project(lin: LlamaLinear, x: Float64Array, rows: number): Float64Array;
  /** Applied to every activation as it is made: float32 rounding, or none for a float64 forward. */
  round(x: Float64Array): Float64Array;
}

/** The base projection y = x W^T, float64. */
export const baseProject = (lin: LlamaLinear, x: Float64Array, rows: number): Float64Array => matmulRef({ M: rows, N: lin.dOut, K: lin.dIn, transB: true }, x, lin.W);

/** What the forward keeps of one layer (N = rows): the inputs of every projection, norm and attention. */
export interface LlamaLayerTape {
  x: Float64Array; // (N, hidden) residual stream entering the layer
  h: Float64Array; // (N, hidden) input_layernorm(x): the input of q_proj, k_proj, v_proj
  q: Float64Array; // (N, heads * headDim) after rope
  k: Float64Array; // (N, kvHeads * headDim) after rope
  v: Float64Array; // (N, kvHeads * headDim)
  att: Float64Array; // (N, heads * headDim) attention output: the input of o_proj
  lse: Float64Array; // (N, heads) log-sum-exp of each score row
  x1: Float64Array; // (N, hidden) residual stream after attention
  h2: Float64Array; // (N, hidden) post_attention_layernorm(x1): the input of gate_proj, up_proj
  g: Float64Array; // (N, intermediate) gate_proj output
  u: Float64Array; // (N, intermediate) up_proj output
  m: Float64Array; // (N, intermediate) silu(g) * u: the input of down_proj
}

export interface LlamaTape {
  /** Sequences of `seq` tokens laid end to end: rows = tokens.length. */
  rows: number;
  seq: number;
  layers: LlamaLayerTape[];
  x: Float64Array; // (N, hidden) residual stream after the last layer
  n: Float64Array; // (N, hidden) model.norm(x): the input of lm_head
  logits: Float64Array; // (N, vocab)
}

/** The forward pass over sequences of `seq` tokens laid end to end (each attends only within itself). */
export function llamaForwardTape(s: LlamaShape, w: LlamaWeights, tokens: readonly number[], seq: number, ops: LlamaForwardOps): LlamaTape {
  const N = tokens.length;
  const H = s.hidden;
  if (seq < 1 || seq > s.context) throw new Error(`llama: ${seq} tokens; the model takes 1..${s.context}`);
  if (N < 1 || N % seq !== 0) throw new Error(`llama: ${N} tokens are not whole sequences of ${seq}`);
  for (const id of tokens) if (!Number.isInteger(id) || id < 0 || id >= s.vocab) throw new Error(`llama: token ${id} outside 0..${s.vocab - 1}`);
  const { round } = ops;
  const lin = (module: string, x: Float64Array) => round(ops.project(llamaLinear(s, w, module), x, N));
  const norm = (name: string, x: Float64Array) => round(rmsNormForward(x, N, H, llamaWeight(w, name), s.eps));
  const add = (a: Float64Array, b: Float64Array) => round(a.map((ai, i) => ai + b[i]));
  const table = ropeTable(seq, s.headDim, s.ropeTheta);
  const layers: LlamaLayerTape[] = [];
  let x = round(embeddingForward(llamaWeight(w, 'model.embed_tokens.weight'), H, tokens));
  for (let l = 0; l < s.layers; l++) {
    const p = `model.layers.${l}`;
    const h = norm(`${p}.input_layernorm.weight`, x);
    const q = round(ropeApply(lin(`${p}.self_attn.q_proj`, h), N, s.heads, s.headDim, seq, table));
    const k = round(ropeApply(lin(`${p}.self_attn.k_proj`, h), N, s.kvHeads, s.headDim, seq, table));
    const v = lin(`${p}.self_attn.v_proj`, h);
    const a = attentionForward({ rows: N, seq, heads: s.heads, kvHeads: s.kvHeads, headDim: s.headDim }, q, k, v);
    const att = round(a.o);
    const x1 = add(x, lin(`${p}.self_attn.o_proj`, att));
    const h2 = norm(`${p}.post_attention_layernorm.weight`, x1);
    const g = lin(`${p}.mlp.gate_proj`, h2);
    const u = lin(`${p}.mlp.up_proj`, h2);
    const m = round(swigluForward(g, u));
    layers.push({ x, h, q, k, v, att, lse: a.lse, x1, h2, g, u, m });
    x = add(x1, lin(`${p}.mlp.down_proj`, m));
  }
  const n = norm('model.norm.weight', x);
  return { rows: N, seq, layers, x, n, logits: lin('lm_head', n) };
}

const toFloat32 = (x: Float64Array) => x.map(Math.fround);

/** Logits (rows = tokens.length, vocab) of the model for one sequence of token ids, float32 activations. */
export function llamaForward(s: LlamaShape, w: LlamaWeights, tokens: readonly number[]): Float32Array {
  return Float32Array.from(llamaForwardTape(s, w, tokens, tokens.length, { project: baseProject, round: toFloat32 }).logits);
}
