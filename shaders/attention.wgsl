// Causal softmax attention, as transformers' eager Llama attention, on tokens of sequences of `seq`
// positions laid end to end: q (rows, heads * d); k, v (rows, kvHeads * d); query head h reads key/value
// head h / (heads / kvHeads). Scores are scaled by 1/sqrt(d); a token sees its own sequence's earlier
// tokens and itself.
//   forward     (thread = row i, head h): online softmax over j <= i; o_i and lse_i = log sum_j exp(s_ij)
//   backward_q  (thread = row i, head h): D_i = dO_i . o_i (kept in dsum), dq_i = sum_j dS_ij k_j / sqrt(d)
//   backward_kv (thread = row j, kv head): dk_j = sum dS_ij q_i / sqrt(d), dv_j = sum P_ij dO_i over the
//               group's query heads and i >= j in the sequence; runs after backward_q (reads dsum)
// with P_ij = exp(s_ij - lse_i) and dS_ij = P_ij (dO_i . v_j - D_i). Scores are recomputed, never stored:
// memory stays O(rows), and at the task's contexts (<= 256) the recomputation is cheap.
// Vectors are read as Elem: f32, or vec4f when the head dimension is a multiple of 4 (the launcher swaps
// the alias and MAXD lines and sets LANES): a quarter of the loads and loop trips. Offsets and `dl`
// (= d / LANES) count Elems.
// Dispatch: one thread per (row, head), grid1d(threads, WG); flat index = gid.x + gid.y * num_workgroups.x * WG.

alias Elem = f32;
override WG: u32 = 64u;
override LANES: u32 = 1u; // 4 with Elem = vec4f
const MAXD: u32 = 64u; // head dimension bound, in Elems (private accumulators; MAX_HEAD_DIM in attention.ts)

struct Params { rows: u32, seq: u32, heads: u32, kvHeads: u32, d: u32, scale: f32, dl: u32 }

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> q: array<Elem>;
@group(0) @binding(2) var<storage, read> k: array<Elem>;
@group(0) @binding(3) var<storage, read> v: array<Elem>;
@group(0) @binding(4) var<storage, read_write> o: array<Elem>;
@group(0) @binding(5) var<storage, read_write> lse: array<f32>;
@group(0) @binding(6) var<storage, read> dO: array<Elem>;
@group(0) @binding(7) var<storage, read_write> dq: array<Elem>;
@group(0) @binding(8) var<storage, read_write> dk: array<Elem>;
@group(0) @binding(9) var<storage, read_write> dv: array<Elem>;
@group(0) @binding(10) var<storage, read_write> dsum: array<f32>;

fn thread(gid: vec3u, nwg: vec3u) -> u32 { return gid.x + gid.y * nwg.x * WG; }
fn qAt(i: u32, h: u32) -> u32 { return (i * params.heads + h) * params.dl; }
fn kvAt(j: u32, h: u32) -> u32 { return (j * params.kvHeads + h) * params.dl; }
/** The sum of an Elem's lanes (vec4f(x) of an f32 repeats it: its first lane is the f32 itself). */
fn total(x: Elem) -> f32 {
  let w = vec4f(x);
  return select(w.x + w.y + w.z + w.w, w.x, LANES == 1u);
}

// What a (row, head) thread of forward and backward_q works on: its token, its kv head, where its query starts.
struct Query { row: u32, kvHead: u32, at: u32 }
fn queryOf(t: u32) -> Query {
  let h = t % params.heads;
  return Query(t / params.heads, h / (params.heads / params.kvHeads), qAt(t / params.heads, h));
}

fn dotQK(qi: u32, kj: u32) -> f32 {
  var acc = Elem(0.0);
  for (var e = 0u; e < params.dl; e++) { acc += q[qi + e] * k[kj + e]; }
  return total(acc);
}
fn dotOV(qi: u32, vj: u32) -> f32 {
  var acc = Elem(0.0);
  for (var e = 0u; e < params.dl; e++) { acc += dO[qi + e] * v[vj + e]; }
  return total(acc);
}

@compute @workgroup_size(WG)
fn forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = thread(gid, nwg);
  if (t >= params.rows * params.heads) { return; }
  let q0 = queryOf(t);
  let i = q0.row;
  let kh = q0.kvHead;
  let qi = q0.at;
  var acc: array<Elem, MAXD>;
  var m = -3.0e38;
  var l = 0.0;
  for (var j = i - i % params.seq; j <= i; j++) {
    let s = dotQK(qi, kvAt(j, kh)) * params.scale;
    let mNew = max(m, s);
    let corr = exp(m - mNew);
    let p = exp(s - mNew);
    l = l * corr + p;
    let vj = kvAt(j, kh);
    for (var e = 0u; e < params.dl; e++) { acc[e] = acc[e] * corr + p * v[vj + e]; }
    m = mNew;
  }
  for (var e = 0u; e < params.dl; e++) { o[qi + e] = acc[e] / l; }
  lse[t] = m + log(l);
}

@compute @workgroup_size(WG)
fn backward_q(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = thread(gid, nwg);
  if (t >= params.rows * params.heads) { return; }
  let q0 = queryOf(t);
  let i = q0.row;
  let kh = q0.kvHead;
  let qi = q0.at;
  var dd = Elem(0.0);
  for (var e = 0u; e < params.dl; e++) { dd += dO[qi + e] * o[qi + e]; }
  let D = total(dd);
  dsum[t] = D;
  var acc: array<Elem, MAXD>;
  for (var j = i - i % params.seq; j <= i; j++) {
    let kj = kvAt(j, kh);
    let p = exp(dotQK(qi, kj) * params.scale - lse[t]);
    let ds = p * (dotOV(qi, kj) - D) * params.scale;
    for (var e = 0u; e < params.dl; e++) { acc[e] += ds * k[kj + e]; }
  }
  for (var e = 0u; e < params.dl; e++) { dq[qi + e] = acc[e]; }
}

@compute @workgroup_size(WG)
fn backward_kv(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = thread(gid, nwg);
  if (t >= params.rows * params.kvHeads) { return; }
  let j = t / params.kvHeads;
  let kh = t % params.kvHeads;
  let group = params.heads / params.kvHeads;
  let kj = kvAt(j, kh);
  let end = j - j % params.seq + params.seq; // first row of the next sequence
  var accK: array<Elem, MAXD>;
  var accV: array<Elem, MAXD>;
  for (var h = kh * group; h < (kh + 1u) * group; h++) {
    for (var i = j; i < end; i++) {
      let qi = qAt(i, h);
      let row = i * params.heads + h;
      let p = exp(dotQK(qi, kj) * params.scale - lse[row]);
      let ds = p * (dotOV(qi, kj) - dsum[row]) * params.scale;
      for (var e = 0u; e < params.dl; e++) {
        accK[e] += ds * q[qi + e];
        accV[e] += p * dO[qi + e];
      }
    }
  }
  for (var e = 0u; e < params.dl; e++) {
    dk[kj + e] = accK[e];
    dv[kj + e] = accV[e];
  }
}
