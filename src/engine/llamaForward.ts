/**
 * The language model's forward pass on the GPU, composed from the kernels (embedding, RMSNorm, matmul,
 * RoPE, causal attention, SwiGLU), for `batch` sequences of `seq` tokens: the logits (batch * seq, vocab).
 * The same math as src/ref/llama.ts (transformers' LlamaForCausalLM). Residual adds are matmuls that
 * accumulate into the residual stream (x += att Wo^T, x += m Wd^T). The weights are frozen here: the
 * base model's forward, the building block of the language-model task's training step and samples.
 */
import { createStorageBuffer, uploadF32 } from '../gpu/buffers';
import { runDispatches, type Dispatch } from '../gpu/dispatch';
import { attentionForward } from '../gpu/kernels/attention';
import { embeddingForward } from '../gpu/kernels/embedding';
import { matmul } from '../gpu/kernels/matmul';
import { rmsNormForward } from '../gpu/kernels/rmsnorm';
import { ropeInPlace } from '../gpu/kernels/rope';
import { swigluForward } from '../gpu/kernels/swiglu';
import type { LlamaShape, LlamaWeights } from '../ref/llama';
import { llamaTensorShapes } from '../ref/llama';
import { ropeTable } from '../ref/rope';

export class LlamaForward {
  readonly tokens: GPUBuffer;
  readonly logits: GPUBuffer;
  readonly dispatches: Dispatch[] = [];
  private buffers: GPUBuffer[] = [];

  constructor(
    readonly device: GPUDevice,
    readonly shape: LlamaShape,
    weights: LlamaWeights,
    readonly batch: number,
    readonly seq: number,
  ) {
    const s = shape;
    if (seq > s.context) throw new Error(`llama: sequences of ${seq} tokens; the model takes at most ${s.context}`);
    const rows = batch * seq;
    const q = s.heads * s.headDim;
    const kv = s.kvHeads * s.headDim;
    const buf = (name: string, floats: number) => this.track(createStorageBuffer(device, `llama.${name}`, Math.max(4, floats * 4)));
    const W: Record<string, GPUBuffer> = {};
    for (const [name, dims] of llamaTensorShapes(s)) {
      const t = weights[name];
      const n = dims.reduce((a, b) => a * b, 1);
      if (!t || t.length !== n) throw new Error(`llama: weight ${name} needs ${n} values (got ${t?.length ?? 'none'})`);
      W[name] = this.track(uploadF32(device, `llama.${name}`, t));
    }
    const table = ropeTable(seq, s.headDim, s.ropeTheta);
    const cos = this.track(uploadF32(device, 'llama.rope.cos', table.cos));
    const sin = this.track(uploadF32(device, 'llama.rope.sin', table.sin));
    this.tokens = buf('tokens', rows);
    this.logits = buf('logits', rows * s.vocab);
    const x = buf('x', rows * s.hidden);
    const h = buf('h', rows * s.hidden);
    const [Q, K, V, att] = [buf('q', rows * q), buf('k', rows * kv), buf('v', rows * kv), buf('att', rows * q)];
    const lse = buf('lse', rows * s.heads);
    const [g, u, m] = [buf('gate', rows * s.intermediate), buf('up', rows * s.intermediate), buf('m', rows * s.intermediate)];
    const d = this.dispatches;
    const linear = (input: GPUBuffer, name: string, dIn: number, dOut: number, out: GPUBuffer, accumulate = false) =>
      d.push(matmul(device, { M: rows, N: dOut, K: dIn, transB: true }, input, W[name], out, { accumulate, label: name }));
    d.push(embeddingForward(device, rows, s.hidden, s.vocab, this.tokens, W['model.embed_tokens.weight'], x));
    for (let l = 0; l < s.layers; l++) {
      const p = `model.layers.${l}`;
      d.push(rmsNormForward(device, rows, s.hidden, s.eps, x, W[`${p}.input_layernorm.weight`], h));
      linear(h, `${p}.self_attn.q_proj.weight`, s.hidden, q, Q);
      linear(h, `${p}.self_attn.k_proj.weight`, s.hidden, kv, K);
      linear(h, `${p}.self_attn.v_proj.weight`, s.hidden, kv, V);
      d.push(ropeInPlace(device, { rows, heads: s.heads, headDim: s.headDim, context: seq }, Q, cos, sin, 'forward'));
      d.push(ropeInPlace(device, { rows, heads: s.kvHeads, headDim: s.headDim, context: seq }, K, cos, sin, 'forward'));
      d.push(attentionForward(device, { rows, seq, heads: s.heads, kvHeads: s.kvHeads, headDim: s.headDim }, { q: Q, k: K, v: V, o: att, lse }));
      linear(att, `${p}.self_attn.o_proj.weight`, q, s.hidden, x, true);
      d.push(rmsNormForward(device, rows, s.hidden, s.eps, x, W[`${p}.post_attention_layernorm.weight`], h));
      linear(h, `${p}.mlp.gate_proj.weight`, s.hidden, s.intermediate, g);
      linear(h, `${p}.mlp.up_proj.weight`, s.hidden, s.intermediate, u);
      d.push(swigluForward(device, rows * s.intermediate, g, u, m));
      linear(m, `${p}.mlp.down_proj.weight`, s.intermediate, s.hidden, x, true);
    }
    d.push(rmsNormForward(device, rows, s.hidden, s.eps, x, W['model.norm.weight'], h));
    linear(h, 'lm_head.weight', s.hidden, s.vocab, this.logits);
  }

  private track(b: GPUBuffer): GPUBuffer {
    this.buffers.push(b);
    return b;
  }

  /** Write `batch * seq` token ids (bytes) and run the pass; read the logits back with readF32. */
  run(tokens: ArrayLike<number>): void {
    if (tokens.length !== this.batch * this.seq) throw new Error(`llama: ${tokens.length} tokens, expected ${this.batch} x ${this.seq}`);
    this.device.queue.writeBuffer(this.tokens, 0, Uint32Array.from(tokens));
    runDispatches(this.device, this.dispatches, 'llama.forward');
  }

  destroy(): void {
    for (const b of this.buffers) b.destroy();
    this.buffers = [];
  }
}
