// Fused AdamW step over a flat parameter buffer, torch.optim.AdamW semantics (single-tensor path):
//   g = clip[c_k] * grad                          (clip: floats written by the clip kernel, 1.0 when off;
//                                                  group k reads its own c_k: a batched sweep clips per run)
//   p = p * (1 - lr wd)                          (decoupled weight decay, applied first)
//   m = b1 m + (1 - b1) g;   v = b2 v + (1 - b2) g^2
//   p = p - (lr / bc1) * m / (sqrt(v) / sqrt(bc2) + eps),   bc1 = 1 - b1^t, bc2 = 1 - b2^t
// Parameter groups: any number of ranges [start, end) of the flat buffer, each with its own lr and wd
// (LoRA+ gives B its own lr). The host folds lr, wd and the bias corrections into two numbers per group
// (decay = 1 - lr wd, stepSize = lr / bc1), computed in float64 like PyTorch's Python scalars. Elements
// outside every group are never visited.
// Shapes: params, grads, m, v: (n); clip: (1).
// Dispatch: each group is cut into tiles of WG * ITEMS elements and group k owns workgroups
// [tile0, tile1); grid = grid1d(total tiles, 1), flat workgroup index w = wid.x + wid.y * num_workgroups.x.
// So the group lookup happens once per workgroup (not per element), and a tile never straddles groups.
// Thread lid updates elements tileBase + lid + j * WG, j < ITEMS (coalesced).

override WG: u32 = 256u;
override ITEMS: u32 = 16u;
// Elements per array entry: the launcher compiles a vec4f variant (LANES = 4, Elem = vec4f) when n and
// every group boundary are multiples of 4, which ran a 1M-parameter step ~45% faster on SwiftShader.
// Group boundaries, n and ITEMS are in f32 elements; indices below are in Elem entries.
override LANES: u32 = 1u;
alias Elem = f32;

struct Group { start: u32, end: u32, tile0: u32, tile1: u32, decay: f32, stepSize: f32, clipIndex: u32, _pad: u32 }

struct Params {
  n: u32,
  ngroups: u32,       // 0 until the first setStep: the dispatch is then a no-op
  beta1: f32,
  beta2: f32,
  eps: f32,
  sqrtBc2: f32,       // sqrt(1 - b2^t)
}

@group(0) @binding(0) var<storage, read_write> p: array<Elem>;
@group(0) @binding(1) var<storage, read> grad: array<Elem>;
@group(0) @binding(2) var<storage, read_write> m: array<Elem>;
@group(0) @binding(3) var<storage, read_write> v: array<Elem>;
@group(0) @binding(4) var<storage, read> clip: array<f32>;
@group(0) @binding(5) var<uniform> params: Params;
@group(0) @binding(6) var<storage, read> groups: array<Group>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let w = wid.x + wid.y * nwg.x;
  // Groups own consecutive workgroup ranges in table order: binary search for the first tile1 > w.
  var lo = 0u;
  var hi = params.ngroups;
  while (lo < hi) {
    let mid = (lo + hi) / 2u;
    if (groups[mid].tile1 <= w) { lo = mid + 1u; } else { hi = mid; }
  }
  if (lo >= params.ngroups) { return; } // grid padding from the fold into y
  let grp = groups[lo];
  if (w < grp.tile0) { return; }
  let end = min(grp.end, params.n) / LANES;
  let base = grp.start / LANES + (w - grp.tile0) * WG * (ITEMS / LANES) + lid;
  let c = clip[grp.clipIndex];
  for (var j = 0u; j < ITEMS / LANES; j++) {
    let i = base + j * WG;
    if (i >= end) { break; }
    let g = c * grad[i];
    let mi = params.beta1 * m[i] + (1.0 - params.beta1) * g;
    let vi = params.beta2 * v[i] + (1.0 - params.beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    p[i] = p[i] * grp.decay - grp.stepSize * mi / (sqrt(vi) / params.sqrtBc2 + params.eps);
  }
}
