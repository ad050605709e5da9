// Softmax cross-entropy over logits z (rows, classes) with labels y (rows) u32, mean over rows:
//   m_r = max_c z_rc,  s_r = sum_c exp(z_rc - m_r),  loss_r = log(s_r) - (z_r,y_r - m_r)   (= lse_r - z_r,y_r)
//   loss = mean_r loss_r,   grad_rc = k (exp(z_rc - m_r) / s_r - [c == y_r]) / rows   (k: gradient-only factor)
//   accuracy = mean_r [argmax_c z_rc == y_r], argmax taking the first index among ties (as torch.argmax).
// Subtracting m_r keeps exp in range at |z| ~ 100, and writing loss_r as log(s_r) - (z_y - m_r) avoids
// the cancellation of (m_r + log s_r) - z_y (an error of ~ulp(m_r), 4e-6 at 100) when the label is the max.
// Like PyTorch in f32, a loss_r below ~6e-8 still rounds to 0 (s_r = 1 in f32). A label >= classes is treated as
// classes - 1, so memory stays inside the row (the data generator never produces one).
// Two passes, both bound as (params, src, dst, ...):
//   rows:     one workgroup per row; src = logits, dst = grad (rows, classes) (written, not accumulated),
//             parts (rows, 2) = [loss_r, correct_r], labels. Grid grid1d(rows, 1): row = wid.x + wid.y * nwg.x.
//   finalize: src = parts, dst = out: out[0] = loss, out[1] = accuracy. One workgroup, loops over rows.
// Override WG: threads per workgroup (any value >= 1); the rows pass strides over classes by WG.

override WG: u32 = 64u;

struct Params { rows: u32, classes: u32, gradCoef: f32, meanCoef: f32 }

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;
@group(0) @binding(3) var<storage, read_write> parts: array<f32>;
@group(0) @binding(4) var<storage, read> labels: array<u32>;

const NONE: u32 = 0xffffffffu;
var<workgroup> wmax: array<f32, WG>;
var<workgroup> warg: array<u32, WG>;
var<workgroup> wsum: array<vec2<f32>, WG>;

// Largest power of two below WG (1 when WG = 1): the first stride of the trees below.
fn firstStride() -> u32 {
  var h = 1u;
  while (h * 2u < WG) { h *= 2u; }
  return h;
}

// wsum[0] = sum of wsum[0..WG). Called in uniform control flow by every thread of the workgroup.
fn treeSum(lid: u32) {
  workgroupBarrier();
  for (var s = firstStride(); s > 0u; s >>= 1u) {
    if (lid < s && lid + s < WG) { wsum[lid] += wsum[lid + s]; }
    workgroupBarrier();
  }
}

@compute @workgroup_size(WG)
fn rows(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32,
        @builtin(num_workgroups) nwg: vec3u) {
  let r = wid.x + wid.y * nwg.x;
  if (r >= params.rows) { return; } // the same for the whole workgroup: barriers stay uniform
  let C = params.classes;
  let base = r * C;

  // Max and its first index: per thread over its strided classes, then a tree. NONE marks "no class yet"
  // (threads with lid >= classes), so m needs no -inf sentinel.
  var m = 0.0;
  var a = NONE;
  for (var c = lid; c < C; c += WG) {
    let v = src[base + c];
    if (a == NONE || v > m) { m = v; a = c; }
  }
  wmax[lid] = m;
  warg[lid] = a;
  workgroupBarrier();
  for (var s = firstStride(); s > 0u; s >>= 1u) {
    if (lid < s && lid + s < WG) {
      let om = wmax[lid + s];
      let oa = warg[lid + s];
      if (oa != NONE && (warg[lid] == NONE || om > wmax[lid] || (om == wmax[lid] && oa < warg[lid]))) {
        wmax[lid] = om;
        warg[lid] = oa;
      }
    }
    workgroupBarrier();
  }
  let zmax = wmax[0];
  let amax = warg[0];

  var se = 0.0;
  for (var c = lid; c < C; c += WG) { se += exp(src[base + c] - zmax); }
  wsum[lid] = vec2<f32>(se, 0.0);
  treeSum(lid);
  let sumExp = wsum[0].x;

  let y = min(labels[r], C - 1u);
  let inv = 1.0 / sumExp;
  for (var c = lid; c < C; c += WG) {
    let p = exp(src[base + c] - zmax) * inv;
    dst[base + c] = params.gradCoef * (p - select(0.0, 1.0, c == y));
  }
  if (lid == 0u) {
    parts[2u * r] = log(sumExp) - (src[base + y] - zmax);
    parts[2u * r + 1u] = select(0.0, 1.0, amax == y);
  }
}

@compute @workgroup_size(WG)
fn finalize(@builtin(local_invocation_index) lid: u32) {
  var acc = vec2<f32>(0.0);
  for (var r = lid; r < params.rows; r += WG) { acc += vec2<f32>(src[2u * r], src[2u * r + 1u]); }
  wsum[lid] = acc;
  treeSum(lid);
  if (lid == 0u) {
    dst[0] = params.meanCoef * wsum[0].x;
    dst[1] = params.meanCoef * wsum[0].y;
  }
}
