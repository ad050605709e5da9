/** dst[r * stride + i] += src[i] for i < n, r < copies (the spec of shaders/broadcast_add.wgsl). */
export function broadcastAdd(dst: ArrayLike<number>, src: ArrayLike<number>, n: number, copies: number, stride: number): Float64Array {
  const out = Float64Array.from(dst);
  for (let r = 0; r < copies; r++) for (let i = 0; i < n; i++) out[r * stride + i] += src[i];
  return out;
}
