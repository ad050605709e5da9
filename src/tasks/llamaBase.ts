/**
 * The shipped base's shape, known before its files are fetched (the cost panel, the target grid, the
 * presets need it synchronously). A test checks it against public/models/tiny-llama-kjv/config.json.
 */
import type { LlamaShape } from '../ref/llama';

export const BASE_SHAPE: Readonly<LlamaShape> = Object.freeze({
  vocab: 256,
  hidden: 128,
  intermediate: 352,
  layers: 2,
  heads: 4,
  kvHeads: 4,
  headDim: 32,
  eps: 1e-5,
  ropeTheta: 10000,
  context: 128,
});

/** Every parameter of the model: embeddings, projections, norms, lm_head. */
export function llamaParamCount(s: LlamaShape): number {
  const q = s.heads * s.headDim;
  const kv = s.kvHeads * s.headDim;
  const layer = s.hidden * (q + 2 * kv) + q * s.hidden + 3 * s.hidden * s.intermediate + 2 * s.hidden;
  return 2 * s.vocab * s.hidden + s.layers * layer + s.hidden;
}

/**
 * Arithmetic of one training step (forward and backward) over `tokens` tokens in windows of `seq`, as
 * multiply-adds x 2: every projection and lm_head forward (2 x params x tokens) and its input's gradient
 * (the same again; the frozen base still carries dX), the trained modules' parameter gradients (LoRA:
 * the small A, B products; full: the weight's), and attention's scores and mixing (forward, and twice
 * that backward).
 */
export function llamaStepFlops(s: LlamaShape, modules: readonly { dIn: number; dOut: number; mode: string }[], r: number, tokens: number, seq: number): number {
  let f = 0;
  for (const m of modules) {
    const w = m.dIn * m.dOut;
    f += 2 * 2 * w * tokens; // forward, and dX
    if (m.mode === 'lora') f += 3 * 2 * 2 * r * (m.dIn + m.dOut) * tokens; // H, Y += sHB^T; dB, dH, dA, dX += dH A
    if (m.mode === 'full') f += 2 * w * tokens; // dW
  }
  const attn = s.layers * 2 * 2 * s.heads * s.headDim * (seq + 1) * 0.5 * tokens; // causal: half the scores
  return f + 3 * attn;
}
