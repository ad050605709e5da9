// SGD with momentum over a flat parameter buffer, torch.optim.SGD semantics (dampening 0, no nesterov):
//   g = clip * grad + wd p                       (coupled weight decay, added to the gradient)
//   buf = g                  on the first step (t = 1; the old buffer content is ignored)
//   buf = mu buf + g         afterwards
//   p = p - lr buf
// clip: floats written by the clip kernel (1.0 when clipping is off); group k reads clip[clipIndex_k] (a batched
// sweep clips each run by its own norm). Parameter groups: any number of ranges [start, end) of the flat buffer, each with its own lr and wd; other elements are never visited.
// Shapes: params, grads, momentum: (n); clip: (1).
// Dispatch (as adamw.wgsl): each group is cut into tiles of WG * ITEMS elements and owns workgroups
// [tile0, tile1); grid = grid1d(total tiles, 1), flat workgroup index w = wid.x + wid.y * num_workgroups.x.
// Thread lid updates elements tileBase + lid + j * WG, j < ITEMS.

override WG: u32 = 256u;
override ITEMS: u32 = 16u;
// Elements per array entry (as adamw.wgsl): the launcher compiles a vec4f variant (LANES = 4, Elem = vec4f)
// when n and every group boundary are multiples of 4. Group boundaries, n and ITEMS are in f32 elements;
// indices below are in Elem entries.
override LANES: u32 = 1u;
alias Elem = f32;

struct Group { start: u32, end: u32, tile0: u32, tile1: u32, lr: f32, wd: f32, clipIndex: u32, _pad: u32 }

struct Params {
  n: u32,
  ngroups: u32,       // 0 until the first setStep: the dispatch is then a no-op
  mu: f32,
  first: u32,         // 1 on step 1
}

@group(0) @binding(0) var<storage, read_write> p: array<Elem>;
@group(0) @binding(1) var<storage, read> grad: array<Elem>;
@group(0) @binding(2) var<storage, read_write> mbuf: array<Elem>;
@group(0) @binding(3) var<storage, read> clip: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;
@group(0) @binding(5) var<storage, read> groups: array<Group>;

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
    let pi = p[i];
    let g = c * grad[i] + grp.wd * pi;
    var b = g;
    if (params.first == 0u) { b = params.mu * mbuf[i] + g; }
    mbuf[i] = b;
    p[i] = pi - grp.lr * b;
  }
}
