/**
 * Text from the language model on the GPU: one forward pass per new token over a fixed window of the
 * model's context (causal attention makes position p's logits depend on tokens <= p only, so the window
 * is filled with the text so far and padded after it; when the text outgrows the window, it slides).
 * No key/value cache yet: each token costs a whole window's pass.
 */
import { readF32 } from '../gpu/buffers';
import { Rng } from '../rng';
import { nextToken } from '../tasks/sampling';
import type { LlamaForward } from './llamaForward';

export interface GenerateOptions {
  /** 0 = greedy. */
  temperature: number;
  /** Draw among the k most likely tokens only; 0 = all. */
  topK?: number;
  seed: number;
}

/** `count` new token ids after `prompt` (a batch-1 LlamaForward whose seq is the window). */
export async function generate(f: LlamaForward, prompt: readonly number[], count: number, opts: GenerateOptions): Promise<number[]> {
  if (f.batch !== 1) throw new Error('generate: the forward pass must have batch 1');
  if (prompt.length === 0) throw new Error('generate: the prompt is empty');
  const rng = new Rng(opts.seed);
  const text = [...prompt];
  const out: number[] = [];
  const V = f.shape.vocab;
  for (let i = 0; i < count; i++) {
    const window = text.slice(-f.seq);
    const last = window.length - 1;
    f.run([...window, ...new Array<number>(f.seq - window.length).fill(0)]);
    const logits = await readF32(f.device, f.logits, V, last * V);
    const t = nextToken(logits, opts.temperature, rng, opts.topK ?? 0);
    text.push(t);
    out.push(t);
  }
  return out;
}
