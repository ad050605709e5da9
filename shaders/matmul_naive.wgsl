// Naive matmul, the benchmark baseline: one thread per output, no tiling, no workgroup memory.
//   C = op(A) op(B)
// Storage, row-major: A (M,K), or (K,M) if TRANS_A; B (K,N), or (N,K) if TRANS_B; C (M,N).
// Dispatch: (ceil(N/WG), ceil(M/WG)); thread (x, y) computes C[y, x].
// Overrides: TRANS_A, TRANS_B, WG (the workgroup is WG x WG).

override TRANS_A: bool = false;
override TRANS_B: bool = false;
override WG: u32 = 8u;

struct Params { M: u32, N: u32, K: u32 }

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(WG, WG)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let m = gid.y;
  let n = gid.x;
  if (m >= params.M || n >= params.N) { return; }
  var acc = 0.0;
  for (var k = 0u; k < params.K; k++) {
    var av = a[m * params.K + k];
    if (TRANS_A) { av = a[k * params.M + m]; }
    var bv = b[k * params.N + n];
    if (TRANS_B) { bv = b[n * params.K + k]; }
    acc = fma(av, bv, acc);
  }
  c[m * params.N + n] = acc;
}
