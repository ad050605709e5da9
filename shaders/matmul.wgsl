// Tiled matmul with register blocking.
//   C = alpha * op(A) op(B)  (+ bias[n] on every row if params.hasBias)  (+ old C if ACC)
// Storage, row-major: A (M,K), or (K,M) if TRANS_A; B (K,N), or (N,K) if TRANS_B; C (M,N); bias (N).
// A workgroup of WG_N x WG_M threads computes a BM x BN tile of C (BM = WG_M*RM, BN = WG_N*RN); thread
// (x, y) owns the RM x RN block at rows y*RM.., columns x*RN.., held as up to four 4x4 matrices.
// K advances in slices of TK staged through workgroup memory, zero-padded past the matrix edges, so any
// M, N, K >= 1 is correct. Staging loads walk the contiguous storage axis (coalesced for either layout).
// Batched (a sweep's R runs): grid z = batch * FZ + fold; operand X of batch b starts at
// offsetX + b * strideX (elements; stride 0 = shared by every batch); alpha is multiplied by alphas[b]
// when hasAlphas (each run's LoRA scaling); bias of batch b starts at offsetBias + b * strideBias (a
// fully trained run's own bias, or one shared frozen bias with stride 0). One matrix is batch count 1,
// offsets and strides 0.
// Dispatch: (ceil(N/BN), gy, count * FZ) with gy*FZ >= ceil(M/BM); row tile = wid.y + (wid.z % FZ) * gy.
// Overrides: TRANS_A, TRANS_B (layouts); WG_M, WG_N (WG_M*WG_N <= 256), TK (% 4 == 0), RM, RN (4 or 8);
// ACC (accumulate into C).

override TRANS_A: bool = false;
override TRANS_B: bool = false;
override WG_M: u32 = 8u;
override WG_N: u32 = 8u;
override TK: u32 = 16u;
override RM: u32 = 8u;
override RN: u32 = 8u;
override ACC: bool = false;

struct Params {
  M: u32, N: u32, K: u32, alpha: f32, hasBias: u32,
  fz: u32, hasAlphas: u32, offsetA: u32, offsetB: u32, offsetC: u32, strideA: u32, strideB: u32, strideC: u32,
  offsetBias: u32, strideBias: u32,
}

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;
@group(0) @binding(5) var<storage, read> alphas: array<f32>;

// This workgroup's batch: where its operands start, and its alpha.
var<private> baseA: u32;
var<private> baseB: u32;
var<private> baseC: u32;
var<private> baseBias: u32;
var<private> alphaB: f32;

// k-major tiles in vec4s of 4 consecutive rows (As) or columns (Bs): As[k][m/4], Bs[k][n/4].
var<workgroup> As: array<vec4f, WG_M * RM / 4u * TK>;
var<workgroup> Bs: array<vec4f, WG_N * RN / 4u * TK>;

// op(A)[m, k] and op(B)[k, n], zero outside the matrices.
fn loadA(m: u32, k: u32) -> f32 {
  if (m >= params.M || k >= params.K) { return 0.0; }
  if (TRANS_A) { return a[baseA + k * params.M + m]; }
  return a[baseA + m * params.K + k];
}
fn loadB(k: u32, n: u32) -> f32 {
  if (k >= params.K || n >= params.N) { return 0.0; }
  if (TRANS_B) { return b[baseB + n * params.K + k]; }
  return b[baseB + k * params.N + n];
}

// Rank-1 update of a 4x4 block; column i of the matrix is row i of the block.
fn outer(u: vec4f, v: vec4f) -> mat4x4f { return mat4x4f(v * u.x, v * u.y, v * u.z, v * u.w); }

@compute @workgroup_size(WG_N, WG_M)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let AM = WG_M * RM / 4u; // vec4 slots per k in As
  let BN = WG_N * RN / 4u; // vec4 slots per k in Bs
  let threads = WG_M * WG_N;
  let tid = lid.y * WG_N + lid.x;
  let batch = wid.z / params.fz;
  baseA = params.offsetA + batch * params.strideA;
  baseB = params.offsetB + batch * params.strideB;
  baseC = params.offsetC + batch * params.strideC;
  baseBias = params.offsetBias + batch * params.strideBias;
  alphaB = params.alpha;
  if (params.hasAlphas != 0u) { alphaB *= alphas[batch]; }
  let row0 = (wid.y + (wid.z % params.fz) * nwg.y) * WG_M * RM;
  let col0 = wid.x * WG_N * RN;
  let ia = lid.y * RM / 4u;
  let ib = lid.x * RN / 4u;

  // Named accumulators, not an array: a dynamically indexed private array is slow on some backends.
  var c00 = mat4x4f(); var c01 = mat4x4f(); var c10 = mat4x4f(); var c11 = mat4x4f();
  for (var k0 = 0u; k0 < params.K; k0 += TK) {
    // Each thread fills whole vec4 slots (component stores into shared vec4s would race on backends
    // that lower them to read-modify-write). Neighbouring threads read neighbouring addresses.
    // A slice wholly inside the matrix (every slice of an interior tile but the K edge) is read without
    // the per-element edge tests: on a software adapter they cost as much as the multiply-adds at small K.
    let fullK = k0 + TK <= params.K;
    if (fullK && row0 + AM * 4u <= params.M) {
      for (var s = tid; s < AM * TK; s += threads) {
        var m4 = s / TK; var k = s % TK;
        if (TRANS_A) { m4 = s % AM; k = s / AM; }
        let m = row0 + m4 * 4u;
        let kk = k0 + k;
        if (TRANS_A) {
          let i = baseA + kk * params.M + m;
          As[k * AM + m4] = vec4f(a[i], a[i + 1u], a[i + 2u], a[i + 3u]);
        } else {
          let i = baseA + m * params.K + kk;
          As[k * AM + m4] = vec4f(a[i], a[i + params.K], a[i + 2u * params.K], a[i + 3u * params.K]);
        }
      }
    } else {
      for (var s = tid; s < AM * TK; s += threads) {
        var m4 = s / TK; var k = s % TK;
        if (TRANS_A) { m4 = s % AM; k = s / AM; }
        let m = row0 + m4 * 4u;
        let kk = k0 + k;
        As[k * AM + m4] = vec4f(loadA(m, kk), loadA(m + 1u, kk), loadA(m + 2u, kk), loadA(m + 3u, kk));
      }
    }
    if (fullK && col0 + BN * 4u <= params.N) {
      for (var s = tid; s < BN * TK; s += threads) {
        var n4 = s % BN; var k = s / BN;
        if (TRANS_B) { n4 = s / TK; k = s % TK; }
        let n = col0 + n4 * 4u;
        let kk = k0 + k;
        if (TRANS_B) {
          let i = baseB + n * params.K + kk;
          Bs[k * BN + n4] = vec4f(b[i], b[i + params.K], b[i + 2u * params.K], b[i + 3u * params.K]);
        } else {
          let i = baseB + kk * params.N + n;
          Bs[k * BN + n4] = vec4f(b[i], b[i + 1u], b[i + 2u], b[i + 3u]);
        }
      }
    } else {
      for (var s = tid; s < BN * TK; s += threads) {
        var n4 = s % BN; var k = s / BN;
        if (TRANS_B) { n4 = s / TK; k = s % TK; }
        let n = col0 + n4 * 4u;
        let kk = k0 + k;
        Bs[k * BN + n4] = vec4f(loadB(kk, n), loadB(kk, n + 1u), loadB(kk, n + 2u), loadB(kk, n + 3u));
      }
    }
    workgroupBarrier();
    for (var k = 0u; k < TK; k++) {
      let a0 = As[k * AM + ia];
      let b0 = Bs[k * BN + ib];
      c00 += outer(a0, b0);
      var b1 = vec4f();
      if (RN == 8u) { b1 = Bs[k * BN + ib + 1u]; c01 += outer(a0, b1); }
      if (RM == 8u) {
        let a1 = As[k * AM + ia + 1u];
        c10 += outer(a1, b0);
        if (RN == 8u) { c11 += outer(a1, b1); }
      }
    }
    // The last slice needs no trailing barrier: nothing overwrites the tiles after it.
    if (k0 + TK < params.K) { workgroupBarrier(); }
  }

  let m = row0 + lid.y * RM;
  let n = col0 + lid.x * RN;
  let bias0 = loadBias(n);
  let bias1 = loadBias(n + 4u);
  // A thread's block wholly inside C is stored without the per-element edge tests.
  if (m + RM <= params.M && n + RN <= params.N) {
    for (var i = 0u; i < 4u; i++) {
      storeFull(m + i, n, c00[i], bias0);
      if (RN == 8u) { storeFull(m + i, n + 4u, c01[i], bias1); }
      if (RM == 8u) { storeFull(m + 4u + i, n, c10[i], bias0); }
      if (RM == 8u && RN == 8u) { storeFull(m + 4u + i, n + 4u, c11[i], bias1); }
    }
    return;
  }
  for (var i = 0u; i < 4u; i++) {
    storeRow(m + i, n, c00[i], bias0);
    if (RN == 8u) { storeRow(m + i, n + 4u, c01[i], bias1); }
    if (RM == 8u) { storeRow(m + 4u + i, n, c10[i], bias0); }
    if (RM == 8u && RN == 8u) { storeRow(m + 4u + i, n + 4u, c11[i], bias1); }
  }
}

fn loadBias(n: u32) -> vec4f {
  if (params.hasBias == 0u) { return vec4f(); }
  var v = vec4f();
  for (var j = 0u; j < 4u; j++) { if (n + j < params.N) { v[j] = bias[baseBias + n + j]; } }
  return v;
}

fn storeRow(m: u32, n: u32, v: vec4f, bias4: vec4f) {
  if (m >= params.M) { return; }
  let r = alphaB * v + bias4;
  for (var j = 0u; j < 4u; j++) {
    let i = baseC + m * params.N + n + j;
    if (n + j < params.N) {
      if (ACC) { c[i] += r[j]; } else { c[i] = r[j]; }
    }
  }
}

fn storeFull(m: u32, n: u32, v: vec4f, bias4: vec4f) {
  var r = alphaB * v + bias4;
  let i = baseC + m * params.N + n;
  if (ACC) { r += vec4f(c[i], c[i + 1u], c[i + 2u], c[i + 3u]); }
  c[i] = r.x; c[i + 1u] = r.y; c[i + 2u] = r.z; c[i + 3u] = r.w;
}
