// Inverted dropout on the LoRA path's input (PEFT applies lora_dropout to x before lora_A only).
//   forward:      y[i]  = x[i] * keep(i) / (1 - p)
//   backward_acc: dx[i] += dy[i] * keep(i) / (1 - p)     (adds the LoRA path's share into dX)
// keep(i) = hash(key, i) >= p * 2^32, a pure function of (key, i): the mask is regenerated in backward
// instead of stored. key = the host's mix of (seed, step, micro-step, layer). Same hash as src/ref/dropout.ts.
// period: the mask repeats every `period` elements (n for one run; a batched sweep's per-run stride).
// Dispatch: grid1d(n, WG).

override WG: u32 = 256u;

struct Params { n: u32, key: u32, threshold: u32, scale: f32, period: u32 }

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

// lowbias32 (a well-mixed 32-bit integer hash).
fn hash(v0: u32) -> u32 {
  var v = v0;
  v ^= v >> 16u;
  v *= 0x7feb352du;
  v ^= v >> 15u;
  v *= 0x846ca68bu;
  v ^= v >> 16u;
  return v;
}

fn keepScale(i0: u32) -> f32 {
  // A batched sweep holds R runs' copies at a stride of `period`: each run gets the single run's mask.
  let i = i0 % params.period;
  let h = hash(i ^ hash(params.key));
  return select(0.0, params.scale, h >= params.threshold);
}

@compute @workgroup_size(WG)
fn forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.n) { return; }
  dst[i] = src[i] * keepScale(i);
}

@compute @workgroup_size(WG)
fn backward_acc(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.n) { return; }
  dst[i] = dst[i] + src[i] * keepScale(i);
}
