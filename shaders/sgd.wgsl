// SGD with momentum over a flat parameter buffer, torch.optim.SGD semantics (dampening 0, no nesterov):
//   g = clip * grad + wd p                       (coupled weight decay, added to the gradient)
//   buf = g                  on the first step (t = 1; the old buffer content is ignored)
//   buf = mu buf + g         afterwards
//   p = p - lr buf
// clip: 1 float written by the clip kernel (1.0 when clipping is off). Parameter groups: up to MAX_GROUPS
// ranges [start, end) of the flat buffer, each with its own lr and wd; other elements are never visited.
// Shapes: params, grads, momentum: (n); clip: (1).
// Dispatch (as adamw.wgsl): each group is cut into tiles of WG * ITEMS elements and owns workgroups
// [tile0, tile1); grid = grid1d(total tiles, 1), flat workgroup index w = wid.x + wid.y * num_workgroups.x.
// Thread lid updates elements tileBase + lid + j * WG, j < ITEMS.

override WG: u32 = 256u;
override ITEMS: u32 = 16u;
const MAX_GROUPS: u32 = 8u;

struct Group { start: u32, end: u32, tile0: u32, tile1: u32, lr: f32, wd: f32, _pad0: u32, _pad1: u32 }

// The header is padded to 16 bytes because a struct array in a uniform must start on a 16-byte boundary.
struct Params {
  n: u32,
  ngroups: u32,       // 0 until the first setStep: the dispatch is then a no-op
  mu: f32,
  first: u32,         // 1 on step 1
  groups: array<Group, MAX_GROUPS>,
}

@group(0) @binding(0) var<storage, read_write> p: array<f32>;
@group(0) @binding(1) var<storage, read> grad: array<f32>;
@group(0) @binding(2) var<storage, read_write> mbuf: array<f32>;
@group(0) @binding(3) var<storage, read> clip: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let w = wid.x + wid.y * nwg.x;
  var gi = MAX_GROUPS;
  for (var k = 0u; k < min(params.ngroups, MAX_GROUPS); k++) {
    if (w >= params.groups[k].tile0 && w < params.groups[k].tile1) { gi = k; break; }
  }
  if (gi == MAX_GROUPS) { return; } // grid padding from the fold into y
  let grp = params.groups[gi];
  let end = min(grp.end, params.n);
  let base = grp.start + (w - grp.tile0) * WG * ITEMS + lid;
  let c = clip[0];
  for (var j = 0u; j < ITEMS; j++) {
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
