// Rotary position embedding, transformers' rotate_half convention, in place on x (rows, heads * d):
// element j < d/2 of a head pairs with j + d/2; at position p = row % context, with (c, s) from the table
//   x'[j] = x[j] c - x[j + d/2] s,   x'[j + d/2] = x[j + d/2] c + x[j] s
// SIGN = -1 rotates back (the backward pass). The table holds cos and sin (context, d/2), computed on the
// CPU from float32 angles as transformers does (WGSL's sin/cos lose accuracy far from [-pi, pi]).
// Dispatch: one thread per pair, grid1d(threads, WG); flat index = gid.x + gid.y * num_workgroups.x * WG.

override WG: u32 = 256u;
override SIGN: f32 = 1.0;

struct Params { rows: u32, heads: u32, half: u32, context: u32 }

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;
@group(0) @binding(2) var<storage, read> cosT: array<f32>;
@group(0) @binding(3) var<storage, read> sinT: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let pair = gid.x + gid.y * nwg.x * WG;
  let perRow = params.heads * params.half;
  if (pair >= params.rows * perRow) { return; }
  let row = pair / perRow;
  let h = (pair % perRow) / params.half;
  let j = pair % params.half;
  let t = (row % params.context) * params.half + j;
  let c = cosT[t];
  let s = SIGN * sinT[t];
  let i = (row * params.heads + h) * 2u * params.half + j;
  let a = x[i];
  let b = x[i + params.half];
  x[i] = a * c - b * s;
  x[i + params.half] = b * c + a * s;
}
