/**
 * Choosing the next token from a row of logits: greedy (temperature 0: the first largest logit, as
 * torch.argmax) or sampled from softmax(logits / temperature) with the project's seeded generator, so a
 * seed fixes a sample.
 */
import type { Rng } from '../rng';

export function nextToken(logits: ArrayLike<number>, temperature: number, rng: Rng): number {
  if (!(temperature >= 0)) throw new Error(`temperature must be >= 0 (got ${temperature})`);
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  if (temperature === 0) return best;
  const p = Float64Array.from(logits as ArrayLike<number>, (z) => Math.exp((z - logits[best]) / temperature));
  const total = p.reduce((a, x) => a + x, 0);
  let u = rng.uniform() * total;
  for (let i = 0; i < p.length; i++) if ((u -= p[i]) < 0) return i;
  return best; // rounding left u at 0 past the last bucket
}
