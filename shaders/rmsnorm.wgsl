// RMSNorm over rows of `dim`, as transformers' LlamaRMSNorm (weight only; the weight is frozen):
//   forward:  y = w * x * r,                       r = 1 / sqrt(mean(x^2) + eps)
//   backward: dx = r * g - r^3 * x * mean(g * x),  g = w * dy
// One thread per row, no workgroup memory: the model's rows are short (64..512), and a workgroup per row
// with a barrier tree measured 16% of the language model's forward on a software adapter, where barriers
// are expensive.
// Dispatch: one thread per row, grid1d(threads, WG); flat index = gid.x + gid.y * num_workgroups.x * WG.

override WG: u32 = 64u;

struct Params { rows: u32, dim: u32, eps: f32 }

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
// backward only: the upstream gradient
@group(0) @binding(4) var<storage, read> dy: array<f32>;

fn rowOf(gid: vec3u, nwg: vec3u) -> u32 { return gid.x + gid.y * nwg.x * WG; }

@compute @workgroup_size(WG)
fn forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = rowOf(gid, nwg);
  if (row >= params.rows) { return; }
  let base = row * params.dim;
  var ss = 0.0;
  for (var j = 0u; j < params.dim; j++) { ss += x[base + j] * x[base + j]; }
  let r = inverseSqrt(ss / f32(params.dim) + params.eps);
  for (var j = 0u; j < params.dim; j++) { y[base + j] = w[j] * (x[base + j] * r); }
}

@compute @workgroup_size(WG)
fn backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = rowOf(gid, nwg);
  if (row >= params.rows) { return; }
  let base = row * params.dim;
  var ss = 0.0;
  var gx = 0.0;
  for (var j = 0u; j < params.dim; j++) {
    let xj = x[base + j];
    ss += xj * xj;
    gx += w[j] * dy[base + j] * xj;
  }
  let n = f32(params.dim);
  let r = inverseSqrt(ss / n + params.eps);
  let c = r * r * r * gx / n;
  for (var j = 0u; j < params.dim; j++) { y[base + j] = r * w[j] * dy[base + j] - c * x[base + j]; }
}
