/**
 * The language model's training passes for R runs, as dispatch lists over src/engine/llamaState.ts's
 * buffers: the forward pass (transformers' LlamaForCausalLM, with every adapted projection a LoRA layer
 * from src/gpu/layers/lora_linear.ts) and the backward pass from the logits' gradient down to the lowest
 * trained stage. The frozen base still carries dX through every frozen projection, norm, attention and
 * gate, so adapters below the top layer get exact gradients; below the lowest trained stage nothing is
 * needed and nothing runs. Same math as src/ref/llamaLora.ts.
 */
import type { Dispatch } from '../gpu/dispatch';
import { attentionBackward, attentionForward } from '../gpu/kernels/attention';
import { broadcastAdd } from '../gpu/kernels/broadcast_add';
import { embeddingForward } from '../gpu/kernels/embedding';
import { matmul } from '../gpu/kernels/matmul';
import { rmsNormBackward, rmsNormForward } from '../gpu/kernels/rmsnorm';
import { ropeInPlace } from '../gpu/kernels/rope';
import { swigluBackward, swigluForward } from '../gpu/kernels/swiglu';
import { loraLinearBackward, loraLinearForward, type LoraLinearShape, type Operand } from '../gpu/layers/lora_linear';
import type { LlamaShape } from '../ref/llama';
import type { LinearModule } from './model';
import { tensorOffset } from './runLayout';
import type { LlamaState } from './llamaState';
import type { Strided } from './state';

export interface LlamaPassContext {
  device: GPUDevice;
  shape: LlamaShape;
  modules: LinearModule[];
  st: LlamaState;
  seq: number;
}

const op = (s: Strided): Operand => ({ buf: s.buf, offset: 0, stride: s.stride });
/** Rows a row-wise kernel covers for a buffer: every run's (per run) or one copy (shared). */
const rowsOf = (c: LlamaPassContext, s: Strided) => (s.stride ? c.st.R * c.st.rows : c.st.rows);

function shapeOf(c: LlamaPassContext, i: number, runs: number): LoraLinearShape {
  const m = c.modules[i];
  return { rows: c.st.rows, dIn: m.dIn, dOut: m.dOut, r: c.st.rmax, runs, bias: false };
}

/** Module i's weight: the frozen base's (shared), or each run's own when trained in full. */
function weightOf(c: LlamaPassContext, i: number): Operand {
  const m = c.modules[i];
  if (m.mode === 'full') return { buf: c.st.params, offset: tensorOffset(c.st.layout, 0, `W${i}`), stride: c.st.layout.blockSize };
  return { buf: c.st.W[`${m.name}.weight`], offset: 0, stride: 0 };
}

function factors(c: LlamaPassContext, i: number, which: 'params' | 'grads') {
  const lay = c.st.layout;
  const b = which === 'params' ? c.st.params : c.st.grads;
  return {
    A: { buf: b, offset: tensorOffset(lay, 0, `A${i}`), stride: lay.blockSize },
    B: { buf: b, offset: tensorOffset(lay, 0, `B${i}`), stride: lay.blockSize },
  };
}

/** Y = module i applied to X (LoRA, full or frozen). */
function linearForward(c: LlamaPassContext, i: number, X: Strided, Y: Strided): Dispatch[] {
  const m = c.modules[i];
  const { device, st } = c;
  const runs = Y.stride ? st.R : 1;
  const bufs = { X: op(X), W0: weightOf(c, i), Y: op(Y) };
  if (m.mode !== 'lora') return loraLinearForward(device, shapeOf(c, i, runs), bufs, m.mode, { label: m.name });
  const f = factors(c, i, 'params');
  // a shared input's frozen product is computed once and broadcast to every run
  return loraLinearForward(device, shapeOf(c, i, runs), { ...bufs, ...f, H: op(st.H[i]!), alphas: st.alphas, Y0: X.stride === 0 ? st.y0 : undefined }, 'lora', { label: m.name });
}

/** Module i's parameter gradients from G (its output's gradient) and, into dX when given, its input's. */
function linearBackward(c: LlamaPassContext, i: number, X: Strided, G: Strided, dX: Strided | null, o: { accumulate: boolean; accumulateDx?: boolean }): Dispatch[] {
  const m = c.modules[i];
  const { device, st } = c;
  if (m.mode === 'frozen' && !dX) return [];
  const bufs = { X: op(X), W0: weightOf(c, i), Y: op(G) };
  const grads = { G: op(G), dX: dX ? op(dX) : undefined };
  const sh = shapeOf(c, i, st.R);
  if (m.mode === 'frozen') return loraLinearBackward(device, sh, bufs, grads, 'frozen', { accumulateDx: o.accumulateDx, label: m.name });
  if (m.mode === 'full') {
    const dW0 = { buf: st.grads, offset: tensorOffset(st.layout, 0, `W${i}`), stride: st.layout.blockSize };
    return loraLinearBackward(device, sh, bufs, { ...grads, dW0 }, 'full', { accumulate: o.accumulate, accumulateDx: o.accumulateDx, label: m.name });
  }
  const p = factors(c, i, 'params');
  const g = factors(c, i, 'grads');
  return loraLinearBackward(device, sh, { ...bufs, ...p, H: op(st.H[i]!), alphas: st.alphas }, { ...grads, dA: g.A, dB: g.B, dH: op(st.dH) }, 'lora', {
    accumulate: o.accumulate,
    accumulateDx: o.accumulateDx,
    label: m.name,
  });
}

/** dst += src (src shared or per run; dst as wide or per run). */
function addInto(c: LlamaPassContext, width: number, src: Strided, dst: Strided): Dispatch {
  const { st } = c;
  if (src.stride === 0 && dst.stride !== 0) return broadcastAdd(c.device, st.rows * width, st.R, dst.stride, src.buf, dst.buf);
  return broadcastAdd(c.device, rowsOf(c, dst) * width, 1, 0, src.buf, dst.buf);
}

/** The forward pass from token ids (rows u32) to every run's logits. */
export function llamaForwardPass(c: LlamaPassContext, tokens: GPUBuffer): Dispatch[] {
  const { device, shape: s, st, seq } = c;
  const d: Dispatch[] = [];
  const W = (name: string) => st.W[name];
  const L0 = st.layers[0];
  d.push(embeddingForward(device, st.rows, s.hidden, s.vocab, tokens, W('model.embed_tokens.weight'), L0.xa.buf));
  st.layers.forEach((a, l) => {
    const p = `model.layers.${l}`;
    const base = 7 * l;
    d.push(rmsNormForward(device, rowsOf(c, a.h1), s.hidden, s.eps, a.xa.buf, W(`${p}.input_layernorm.weight`), a.h1.buf));
    d.push(...linearForward(c, base, a.h1, a.q), ...linearForward(c, base + 1, a.h1, a.k), ...linearForward(c, base + 2, a.h1, a.v));
    const rows = rowsOf(c, a.q);
    d.push(ropeInPlace(device, { rows, heads: s.heads, headDim: s.headDim, context: seq }, a.q.buf, st.cos, st.sin, 'forward'));
    d.push(ropeInPlace(device, { rows, heads: s.kvHeads, headDim: s.headDim, context: seq }, a.k.buf, st.cos, st.sin, 'forward'));
    d.push(attentionForward(device, { rows, seq, heads: s.heads, kvHeads: s.kvHeads, headDim: s.headDim }, { q: a.q.buf, k: a.k.buf, v: a.v.buf, o: a.att.buf, lse: a.lse.buf }));
    d.push(...linearForward(c, base + 3, a.att, a.xm), addInto(c, s.hidden, a.xa, a.xm));
    d.push(rmsNormForward(device, rowsOf(c, a.h2), s.hidden, s.eps, a.xm.buf, W(`${p}.post_attention_layernorm.weight`), a.h2.buf));
    d.push(...linearForward(c, base + 4, a.h2, a.g), ...linearForward(c, base + 5, a.h2, a.u));
    d.push(swigluForward(device, rowsOf(c, a.m) * s.intermediate, a.g.buf, a.u.buf, a.m.buf));
    const next = l + 1 < st.layers.length ? st.layers[l + 1].xa : st.xf;
    d.push(...linearForward(c, base + 6, a.m, next), addInto(c, s.hidden, a.xm, next));
  });
  d.push(rmsNormForward(device, rowsOf(c, st.hf), s.hidden, s.eps, st.xf.buf, W('model.norm.weight'), st.hf.buf));
  // lm_head is frozen; every run gets its own logits (the loss binds each run's range)
  const X = op(st.hf);
  d.push(
    matmul(device, { M: st.rows, N: s.vocab, K: s.hidden, transB: true }, X.buf, W('lm_head.weight'), st.logits.buf, {
      label: 'lm_head',
      batch: { count: st.R, strideA: X.stride, strideB: 0, strideC: st.logits.stride },
    }),
  );
  return d;
}

/**
 * The backward pass from every run's dlogits (the loss kernel's output) to the trained modules'
 * gradients; `accumulate` adds them to what is there (micro-batches after the first).
 */
export function llamaBackwardPass(c: LlamaPassContext, accumulate: boolean): Dispatch[] {
  const { device, shape: s, st } = c;
  const d: Dispatch[] = [];
  const W = (name: string) => st.W[name];
  const first = st.firstStage;
  const RR = st.R * st.rows;
  // lm_head (frozen): dh = dlogits W, then the final norm
  d.push(
    matmul(device, { M: st.rows, N: s.hidden, K: s.vocab }, st.dlogits.buf, W('lm_head.weight'), st.dn.buf, {
      label: 'lm_head.dX',
      batch: { count: st.R, strideA: st.dlogits.stride, strideB: 0, strideC: st.dn.stride },
    }),
  );
  d.push(rmsNormBackward(device, RR, s.hidden, s.eps, st.xf.buf, W('model.norm.weight'), st.dn.buf, st.dx.buf));
  const acc = { accumulate };
  for (let l = st.layers.length - 1; l >= 0 && 4 * l + 3 >= first; l--) {
    const a = st.layers[l];
    const p = `model.layers.${l}`;
    const base = 7 * l;
    const stage = 4 * l;
    // stage 3: down_proj, SwiGLU
    d.push(...linearBackward(c, base + 6, a.m, st.dx, first < stage + 3 ? st.dm : null, acc));
    if (first >= stage + 3) break;
    d.push(swigluBackward(device, RR * s.intermediate, a.g.buf, a.u.buf, st.dm.buf, st.dg.buf, st.du.buf));
    // stage 2: gate_proj, up_proj (their input's gradient summed), the norm, the residual
    const below2 = first < stage + 2;
    d.push(...linearBackward(c, base + 4, a.h2, st.dg, below2 ? st.dn : null, acc));
    d.push(...linearBackward(c, base + 5, a.h2, st.du, below2 ? st.dn : null, { accumulate, accumulateDx: true }));
    if (!below2) break;
    d.push(rmsNormBackward(device, RR, s.hidden, s.eps, a.xm.buf, W(`${p}.post_attention_layernorm.weight`), st.dn.buf, st.dtmp.buf));
    d.push(addInto(c, s.hidden, st.dtmp, st.dx));
    // stage 1: o_proj, attention, RoPE
    d.push(...linearBackward(c, base + 3, a.att, st.dx, first < stage + 1 ? st.datt : null, acc));
    if (first >= stage + 1) break;
    d.push(
      ...attentionBackward(device, { rows: RR, seq: c.seq, heads: s.heads, kvHeads: s.kvHeads, headDim: s.headDim }, {
        q: a.q.buf, k: a.k.buf, v: a.v.buf, o: a.att.buf, lse: a.lse.buf, dO: st.datt.buf, dq: st.dq.buf, dk: st.dk.buf, dv: st.dv.buf, dsum: st.dsum.buf,
      }),
    );
    d.push(ropeInPlace(device, { rows: RR, heads: s.heads, headDim: s.headDim, context: c.seq }, st.dq.buf, st.cos, st.sin, 'backward'));
    d.push(ropeInPlace(device, { rows: RR, heads: s.kvHeads, headDim: s.headDim, context: c.seq }, st.dk.buf, st.cos, st.sin, 'backward'));
    // stage 0: q, k, v projections, the norm, the residual
    const below0 = first < stage;
    d.push(...linearBackward(c, base, a.h1, st.dq, below0 ? st.dn : null, acc));
    d.push(...linearBackward(c, base + 1, a.h1, st.dk, below0 ? st.dn : null, { accumulate, accumulateDx: true }));
    d.push(...linearBackward(c, base + 2, a.h1, st.dv, below0 ? st.dn : null, { accumulate, accumulateDx: true }));
    if (!below0) break;
    d.push(rmsNormBackward(device, RR, s.hidden, s.eps, a.xa.buf, W(`${p}.input_layernorm.weight`), st.dn.buf, st.dtmp.buf));
    d.push(addInto(c, s.hidden, st.dtmp, st.dx));
  }
  return d;
}

