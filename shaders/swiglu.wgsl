// The Llama MLP's gate, elementwise over n values: m = silu(g) * u, silu(g) = g * sigmoid(g).
// backward: dg = dm * u * sigmoid(g) * (1 + g * (1 - sigmoid(g))), du = dm * silu(g).
// sigmoid is written with exp of a non-positive argument only, so large |g| neither overflows nor NaNs.
// Dispatch: one thread per element, grid1d(threads, WG); flat index = gid.x + gid.y * num_workgroups.x * WG.

override WG: u32 = 256u;

struct Params { n: u32 }

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read> u: array<f32>;
@group(0) @binding(3) var<storage, read_write> out0: array<f32>;
// backward only: out0 = dg, out1 = du, dm the upstream gradient
@group(0) @binding(4) var<storage, read_write> out1: array<f32>;
@group(0) @binding(5) var<storage, read> dm: array<f32>;

fn sigmoid(x: f32) -> f32 {
  let e = exp(-abs(x));
  return select(e / (1.0 + e), 1.0 / (1.0 + e), x >= 0.0);
}

fn index(gid: vec3u, nwg: vec3u) -> u32 { return gid.x + gid.y * nwg.x * WG; }

@compute @workgroup_size(WG)
fn forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i >= params.n) { return; }
  out0[i] = g[i] * sigmoid(g[i]) * u[i];
}

@compute @workgroup_size(WG)
fn backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i >= params.n) { return; }
  let s = sigmoid(g[i]);
  out0[i] = dm[i] * u[i] * s * (1.0 + g[i] * (1.0 - s));
  out1[i] = dm[i] * g[i] * s;
}
