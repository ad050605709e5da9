/**
 * CPU reference (the spec) of Hugging Face transformers' LlamaForCausalLM forward pass, written for
 * clarity: the language-model task's kernels are checked against it, and it is checked against
 * transformers itself (fixtures/golden/llama_forward.json, scripts/golden_llama.py).
 *
 * Per layer: x += o_proj(attention(rope(q_proj h), rope(k_proj h), v_proj h)) with h = RMSNorm(x);
 * x += down_proj(silu(gate_proj h') * up_proj h') with h' = RMSNorm(x). Then the final norm and lm_head.
 * Weights are row-major (out, in) as in PyTorch's nn.Linear, under HF's names.
 */
import { attentionForward } from './attention';
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

/** Logits (rows = tokens.length, vocab) of the model for one sequence of token ids. */
export function llamaForward(s: LlamaShape, w: LlamaWeights, tokens: readonly number[]): Float32Array {
  const T = tokens.length;
  const H = s.hidden;
  if (T < 1 || T > s.context) throw new Error(`llama: ${T} tokens; the model takes 1..${s.context}`);
  const get = (name: string) => {
    const t = w[name];
    if (!t) throw new Error(`llama: missing weight ${name}`);
    return t;
  };
  const embed = get('model.embed_tokens.weight');
  let x = new Float32Array(T * H);
  tokens.forEach((id, i) => {
    if (!Number.isInteger(id) || id < 0 || id >= s.vocab) throw new Error(`llama: token ${id} outside 0..${s.vocab - 1}`);
    x.set(embed.subarray(id * H, (id + 1) * H), i * H);
  });
  const q = s.heads * s.headDim;
  const kv = s.kvHeads * s.headDim;
  for (let l = 0; l < s.layers; l++) {
    const p = `model.layers.${l}`;
    const h = rmsNorm(x, T, H, get(`${p}.input_layernorm.weight`), s.eps);
    const Q = linear(h, T, get(`${p}.self_attn.q_proj.weight`), H, q);
    const K = linear(h, T, get(`${p}.self_attn.k_proj.weight`), H, kv);
    const V = linear(h, T, get(`${p}.self_attn.v_proj.weight`), H, kv);
    rope(Q, T, s.heads, s.headDim, s.ropeTheta);
    rope(K, T, s.kvHeads, s.headDim, s.ropeTheta);
    const att = Float32Array.from(attentionForward({ rows: T, seq: T, heads: s.heads, kvHeads: s.kvHeads, headDim: s.headDim }, Q, K, V).o);
    const o = linear(att, T, get(`${p}.self_attn.o_proj.weight`), q, H);
    x = x.map((xi, i) => xi + o[i]);
    const h2 = rmsNorm(x, T, H, get(`${p}.post_attention_layernorm.weight`), s.eps);
    const g = linear(h2, T, get(`${p}.mlp.gate_proj.weight`), H, s.intermediate);
    const u = linear(h2, T, get(`${p}.mlp.up_proj.weight`), H, s.intermediate);
    const m = linear(Float32Array.from(swigluForward(g, u)), T, get(`${p}.mlp.down_proj.weight`), s.intermediate, H);
    x = x.map((xi, i) => xi + m[i]);
  }
  const n = rmsNorm(x, T, H, get('model.norm.weight'), s.eps);
  return linear(n, T, get('lm_head.weight'), H, s.vocab);
}
