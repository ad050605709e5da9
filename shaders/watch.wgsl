// Divergence watch, one thread, once per training step, after the loss and gradient statistics:
//   if any losses[k * stride] (k < count) is NaN/Inf or above `bound`, or the squared gradient norm is not finite,
//   or the non-finite gradient count is > 0, and no step was recorded yet: state[0] = step (1-based).
// The host reads state[0] at its logging interval, so the exact diverging step is known without a
// readback per step. NaN/Inf are detected on the bit pattern (exponent all ones): comparisons with NaN
// may be folded away by shader compilers.
// stats: [sum of squares of the gradients, number of non-finite gradient entries].
// R runs at once (a batched sweep): grid (R, 1, 1); run r's losses start at r * runStride, its stats
// and state at r * slotStride.

struct Params { count: u32, step: u32, bound: f32, stride: u32, runStride: u32, slotStride: u32 }

@group(0) @binding(0) var<storage, read> losses: array<f32>;
@group(0) @binding(1) var<storage, read> stats: array<f32>;
@group(0) @binding(2) var<storage, read_write> state: array<u32>;
@group(0) @binding(3) var<uniform> params: Params;

fn nonFinite(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7f800000u) == 0x7f800000u;
}

@compute @workgroup_size(1)
fn main(@builtin(workgroup_id) wid: vec3u) {
  let s = wid.x * params.slotStride;
  if (state[s] != 0u) { return; }
  var bad = nonFinite(stats[s]) || stats[s + 1u] > 0.0;
  for (var k = 0u; k < params.count; k++) {
    let l = losses[wid.x * params.runStride + k * params.stride];
    bad = bad || nonFinite(l) || l > params.bound;
  }
  if (bad) { state[s] = params.step; }
}
