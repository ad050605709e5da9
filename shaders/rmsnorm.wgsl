// RMSNorm over rows of `dim`, as transformers' LlamaRMSNorm (weight only; the weight is frozen):
//   forward:  y = w * x * r,                       r = 1 / sqrt(mean(x^2) + eps)
//   backward: dx = r * g - r^3 * x * mean(g * x),  g = w * dy
// One workgroup per row: its WG threads stride over the row, then reduce through workgroup memory.
// Dispatch: (min(rows, 65535), ceil(rows / 65535), 1); row = wid.x + wid.y * 65535.

override WG: u32 = 64u;

struct Params { rows: u32, dim: u32, eps: f32 }

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
// backward only: the upstream gradient
@group(0) @binding(4) var<storage, read> dy: array<f32>;

var<workgroup> partial: array<vec2f, WG>;

// Sum of (a, b) over the workgroup, returned to every thread.
fn reduce2(v: vec2f, lid: u32) -> vec2f {
  partial[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { partial[lid] += partial[lid + s]; }
    workgroupBarrier();
  }
  return partial[0];
}

@compute @workgroup_size(WG)
fn forward(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u) {
  let row = wid.x + wid.y * 65535u;
  if (row >= params.rows) { return; } // uniform per workgroup: the barriers below stay uniform
  let base = row * params.dim;
  var ss = 0.0;
  for (var j = lid; j < params.dim; j += WG) { ss += x[base + j] * x[base + j]; }
  let r = inverseSqrt(reduce2(vec2f(ss, 0.0), lid).x / f32(params.dim) + params.eps);
  for (var j = lid; j < params.dim; j += WG) { y[base + j] = w[j] * (x[base + j] * r); }
}

@compute @workgroup_size(WG)
fn backward(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u) {
  let row = wid.x + wid.y * 65535u;
  if (row >= params.rows) { return; }
  let base = row * params.dim;
  var acc = vec2f();
  for (var j = lid; j < params.dim; j += WG) {
    let xj = x[base + j];
    acc += vec2f(xj * xj, w[j] * dy[base + j] * xj);
  }
  let sums = reduce2(acc, lid);
  let n = f32(params.dim);
  let r = inverseSqrt(sums.x / n + params.eps);
  let c = r * r * r * sums.y / n;
  for (var j = lid; j < params.dim; j += WG) { y[base + j] = r * w[j] * dy[base + j] - c * x[base + j]; }
}
