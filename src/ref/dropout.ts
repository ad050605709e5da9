/**
 * Inverted dropout with a counter-based mask (the spec of shaders/dropout.wgsl):
 *   keep(i) = hash(i ^ hash(key)) >= p * 2^32,  y = x * keep / (1 - p).
 * The mask is a pure function of (key, i), so the GPU regenerates it in backward and the CPU reference
 * draws exactly the same one.
 */
export function hash32(v0: number): number {
  let v = v0 >>> 0;
  v ^= v >>> 16;
  v = Math.imul(v, 0x7feb352d) >>> 0;
  v ^= v >>> 15;
  v = Math.imul(v, 0x846ca68b) >>> 0;
  v ^= v >>> 16;
  return v >>> 0;
}

/** The u32 threshold for drop probability p (kept when hash >= threshold). */
export function dropThreshold(p: number): number {
  return Math.min(0xffffffff, Math.floor(p * 4294967296)) >>> 0;
}

/** Mix (seed, step, micro-step, layer) into one dropout key. */
export function dropoutKey(seed: number, step: number, micro: number, layer: number): number {
  return hash32(hash32(hash32(hash32(seed) ^ step) ^ (micro + 0x51ed27)) ^ (layer + 0x2c1b3c6d));
}

export function keepScale(key: number, i: number, p: number): number {
  return hash32((i ^ hash32(key)) >>> 0) >= dropThreshold(p) ? 1 / (1 - p) : 0;
}

export function dropoutForward(x: ArrayLike<number>, key: number, p: number): Float64Array {
  const y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = x[i] * keepScale(key, i, p);
  return y;
}

/** dx += dy * mask / (1 - p) (returns a new array: dx + contribution). */
export function dropoutBackwardAcc(dx: ArrayLike<number>, dy: ArrayLike<number>, key: number, p: number): Float64Array {
  const out = Float64Array.from(dx);
  for (let i = 0; i < dy.length; i++) out[i] += dy[i] * keepScale(key, i, p);
  return out;
}
