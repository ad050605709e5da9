/**
 * Choosing the next token from a row of logits: greedy (temperature 0: the first largest logit, as
 * torch.argmax) or sampled from softmax(logits / temperature), optionally over the top-k logits only,
 * with the project's seeded generator, so a seed fixes a sample.
 */
import type { Rng } from '../rng';

export function nextToken(logits: ArrayLike<number>, temperature: number, rng: Rng, topK = 0): number {
  if (!(temperature >= 0)) throw new Error(`temperature must be >= 0 (got ${temperature})`);
  if (!(Number.isInteger(topK) && topK >= 0)) throw new Error(`top-k must be an integer >= 0 (got ${topK})`);
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  if (temperature === 0) return best;
  // top-k: only the k largest logits may be drawn (ties at the k-th value all stay, as in transformers)
  let floor = -Infinity;
  if (topK > 0 && topK < logits.length) floor = Float64Array.from(logits as ArrayLike<number>).sort().reverse()[topK - 1];
  const p = Float64Array.from(logits as ArrayLike<number>, (z) => (z >= floor ? Math.exp((z - logits[best]) / temperature) : 0));
  const total = p.reduce((a, x) => a + x, 0);
  let u = rng.uniform() * total;
  for (let i = 0; i < p.length; i++) if ((u -= p[i]) < 0) return i;
  return best; // rounding left u at 0 past the last bucket
}
