// Global gradient-norm clipping, torch.nn.utils.clip_grad_norm_ semantics:
//   total_norm = sqrt(sumsq),  coef = min(max_norm / (total_norm + 1e-6), 1)
// max_norm <= 0 disables clipping: coef = 1. Each run has its own max_norm (maxNorms[run], a live setting). A non-finite sumsq gives what PyTorch gives: +Inf -> coef 0,
// NaN -> coef NaN (the trainer skips such a step after reading the non-finite count). Both cases are
// decided on the bit pattern, because compilers may assume that NaN and Inf never occur.
// Entry points, bound as (params, src, dst) (+ maxNorms for coef):
//   coef:  src = reduce output (sumsq at index 0), dst = coef (1 float). One thread, grid (1, 1, 1);
//          or R runs at once (a batched sweep): grid (R, 1, 1), run r at src/dst[r * stride].
//          The optimizer multiplies each gradient by coef[0] itself, so training needs no pass over grads.
//   scale: src = coef (1 float), dst = grads (n), grads *= coef in place, for tests and for users who
//          want the clipped gradients materialised. Grid grid1d(n, WG); i = gid.x + gid.y * nwg.x * WG.
// Override WG: threads per workgroup of `scale`.

override WG: u32 = 256u;

struct Params { n: u32, stride: u32 }

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;
@group(0) @binding(3) var<storage, read> maxNorms: array<f32>;

@compute @workgroup_size(1)
fn coef(@builtin(workgroup_id) wid: vec3u) {
  let at = wid.x * params.stride;
  let sumsq = src[at];
  let bits = bitcast<u32>(sumsq);
  let maxNorm = maxNorms[wid.x];
  var c = 1.0;
  if (maxNorm > 0.0) {
    if ((bits & 0x7f800000u) == 0x7f800000u) {
      // +-Inf: the norm is infinite, max_norm / inf = 0. NaN (mantissa bits set): pass the NaN itself on
      // (a NaN literal is not a valid WGSL constant).
      c = select(0.0, sumsq, (bits & 0x007fffffu) != 0u);
    } else {
      c = min(maxNorm / (sqrt(sumsq) + 1e-6), 1.0);
    }
  }
  dst[at] = c;
}

@compute @workgroup_size(WG)
fn scale(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.n) { return; }
  dst[i] = dst[i] * src[0];
}
