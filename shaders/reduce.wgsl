// Statistics of a flat f32 range x (n), for the global gradient norm and the finite check:
//   out[0] = sum x_i^2,   out[1] = #{i : x_i is NaN or +-Inf} (as f32),   out[2] = sum x_i
// Non-finite values are found on the bit pattern (exponent all ones), not with x != x: shader compilers
// may assume no NaN/Inf and fold such comparisons away. sum/sumsq follow IEEE arithmetic wherever it holds.
// Two passes, both bound as (params, src, dst):
//   partials: src = x, dst = partials (4 floats per workgroup: sumsq, nonfinite, sum, 0).
//             Grid (G, 1, 1), G = min(ceil(n / WG), 1024) from the host; each thread strides over the
//             range by G * WG, so G never needs folding into y and the final pass stays short.
//   finalize: src = partials, dst = out (3 floats). One workgroup, loops over the G partials.
//   segments: R equal segments in one pass (a batched sweep: one run's gradients each): workgroup r
//             reduces src[r * segStride .. + n) into dst[r * outStride ..] (3 floats). Grid (R, 1, 1).
// Override WG: threads per workgroup (any value >= 1; the tree below does not need a power of two).
// Each thread handles at least ITEMS_MIN (host) elements before the tree: on software adapters the
// barrier tree, not the arithmetic, is the cost of a workgroup.

override WG: u32 = 256u;

struct Params { n: u32, groups: u32, segStride: u32, outStride: u32 }

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

var<workgroup> acc: array<vec3<f32>, WG>;

fn nonFinite(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7f800000u) == 0x7f800000u;
}

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
fn partials(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32,
            @builtin(num_workgroups) nwg: vec3u) {
  var a = vec3<f32>(0.0);
  let stride = nwg.x * WG;
  for (var i = wid.x * WG + lid; i < params.n; i += stride) {
    let v = src[i];
    a += vec3<f32>(v * v, select(0.0, 1.0, nonFinite(v)), v);
  }
  acc[lid] = a;
  treeSum(lid);
  if (lid == 0u) {
    let r = acc[0];
    let o = 4u * wid.x;
    dst[o] = r.x;
    dst[o + 1u] = r.y;
    dst[o + 2u] = r.z;
    dst[o + 3u] = 0.0;
  }
}

@compute @workgroup_size(WG)
fn finalize(@builtin(local_invocation_index) lid: u32) {
  var a = vec3<f32>(0.0);
  for (var g = lid; g < params.groups; g += WG) {
    a += vec3<f32>(src[4u * g], src[4u * g + 1u], src[4u * g + 2u]);
  }
  acc[lid] = a;
  treeSum(lid);
  if (lid == 0u) {
    let r = acc[0];
    dst[0] = r.x;
    dst[1] = r.y;
    dst[2] = r.z;
  }
}

@compute @workgroup_size(WG)
fn segments(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  var a = vec3<f32>(0.0);
  let base = wid.x * params.segStride;
  for (var i = lid; i < params.n; i += WG) {
    let v = src[base + i];
    a += vec3<f32>(v * v, select(0.0, 1.0, nonFinite(v)), v);
  }
  acc[lid] = a;
  treeSum(lid);
  if (lid == 0u) {
    let r = acc[0];
    let o = wid.x * params.outStride;
    dst[o] = r.x;
    dst[o + 1u] = r.y;
    dst[o + 2u] = r.z;
  }
}
