// Mean squared error over n elements, with a loss scale s (the toy task divides by sigma^2) and a
// gradient-only multiplier k (e.g. 1 / accumulation steps):
//   loss = s * mean_i (pred_i - target_i)^2          grad_i = k * s * 2 (pred_i - target_i) / n
// The host folds the constants: lossCoef = s / n, gradCoef = 2 k s / n. pred, target, grad: (n).
// Two passes, both bound as (params, src, dst, ...):
//   main:     src = pred, dst = grad (written, not accumulated), parts = per-workgroup sums of squared
//             differences (G), tgt = target. Grid (G, 1, 1), G = min(ceil(n / WG), 1024) from the host; each
//             thread strides by G * WG, so the grid never folds into y and the final pass stays short.
//   finalize: src = parts, dst = out: out[0] = lossCoef * sum(parts). One workgroup, loops over G.
//   segments: R runs' predictions against one shared target (a batched sweep): workgroup r reads
//             src[r * segStride .. + n), writes dst (the gradient) at the same place and
//             parts[r * outStride] = its loss. Grid (R, 1, 1); no second pass.
// The loss never leaves the GPU here; the trainer reads `out` only at log intervals.
// Override WG: threads per workgroup (any value >= 1; the tree below does not need a power of two).

override WG: u32 = 256u;

struct Params { n: u32, groups: u32, gradCoef: f32, lossCoef: f32, segStride: u32, outStride: u32 }

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;
@group(0) @binding(3) var<storage, read_write> parts: array<f32>;
@group(0) @binding(4) var<storage, read> tgt: array<f32>;

var<workgroup> acc: array<f32, WG>;

// acc[0] = sum of acc[0..WG). Called in uniform control flow by every thread of the workgroup.
fn treeSum(lid: u32) {
  workgroupBarrier();
  var half = 1u;
  while (half * 2u < WG) { half *= 2u; }
  for (var s = half; s > 0u; s >>= 1u) {
    if (lid < s && lid + s < WG) { acc[lid] += acc[lid + s]; }
    workgroupBarrier();
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32,
        @builtin(num_workgroups) nwg: vec3u) {
  var sq = 0.0;
  let stride = nwg.x * WG;
  for (var i = wid.x * WG + lid; i < params.n; i += stride) {
    let d = src[i] - tgt[i];
    dst[i] = params.gradCoef * d;
    sq += d * d;
  }
  acc[lid] = sq;
  treeSum(lid);
  if (lid == 0u) { parts[wid.x] = acc[0]; }
}

@compute @workgroup_size(WG)
fn finalize(@builtin(local_invocation_index) lid: u32) {
  var sq = 0.0;
  for (var g = lid; g < params.groups; g += WG) { sq += src[g]; }
  acc[lid] = sq;
  treeSum(lid);
  if (lid == 0u) { dst[0] = params.lossCoef * acc[0]; }
}

@compute @workgroup_size(WG)
fn segments(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  var sq = 0.0;
  let base = wid.x * params.segStride;
  for (var i = lid; i < params.n; i += WG) {
    let d = src[base + i] - tgt[i];
    dst[base + i] = params.gradCoef * d;
    sq += d * d;
  }
  acc[lid] = sq;
  treeSum(lid);
  if (lid == 0u) { parts[wid.x * params.outStride] = params.lossCoef * acc[0]; }
}
