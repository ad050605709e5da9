// Row-wise argmax: labels[i] = argmax_j x[i, j] over a (rows, cols) row-major matrix; ties go to the
// lowest index (as torch.argmax). Used to turn the teacher's outputs into class labels for cross-entropy.
// Dispatch: grid1d(rows, WG), one thread per row (cols is small: the output width).

override WG: u32 = 64u;

struct Params { rows: u32, cols: u32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> labels: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = gid.x + gid.y * nwg.x * WG;
  if (row >= params.rows) { return; }
  let base = row * params.cols;
  var best = 0u;
  var bestVal = x[base];
  for (var j = 1u; j < params.cols; j++) {
    let v = x[base + j];
    if (v > bestVal) { best = j; bestVal = v; }
  }
  labels[row] = best;
}
