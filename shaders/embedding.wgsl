// Token embedding lookup: out[i, j] = E[tokens[i], j] for rows i < rows, j < dim. A token id outside the
// vocabulary reads row 0 instead of memory past the table (the engine checks ids before upload; this
// keeps a bad id from reading another buffer's bytes).
// Its gradient (`backward`): dE[v, j] = sum of dOut[i, j] over the rows i whose token is v (an id past
// the vocabulary counts as 0, as the lookup reads it), a scatter-add written as a gather: one thread per
// table element walks the rows in order, so the sum is the same every run (no float atomics).
// Dispatch: one thread per output element, grid1d(threads, WG); flat index = gid.x + gid.y * num_workgroups.x * WG.

override WG: u32 = 256u;

struct Params { rows: u32, dim: u32, vocab: u32 }

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> tokens: array<u32>;
@group(0) @binding(2) var<storage, read> table: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = gid.x + gid.y * nwg.x * WG;
  if (t >= params.rows * params.dim) { return; }
  let i = t / params.dim;
  let j = t % params.dim;
  var id = tokens[i];
  if (id >= params.vocab) { id = 0u; }
  out[t] = table[id * params.dim + j];
}

// backward: `table` is dOut (rows, dim), `out` is dE (vocab, dim), overwritten
@compute @workgroup_size(WG)
fn backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = gid.x + gid.y * nwg.x * WG;
  if (t >= params.vocab * params.dim) { return; }
  let v = t / params.dim;
  let j = t % params.dim;
  var sum = 0.0;
  for (var i = 0u; i < params.rows; i++) {
    var id = tokens[i];
    if (id >= params.vocab) { id = 0u; }
    if (id == v) { sum += table[i * params.dim + j]; }
  }
  out[t] = sum;
}
