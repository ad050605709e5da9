// Broadcast add: dst[r * stride + i] += src[i] for i < n, r < R. In a batched sweep the first trainable
// layer's frozen product X W0^T is the same for every run (same input, same frozen weight): it is
// computed once and added to each run's LoRA term instead of being recomputed R times.
// Dispatch: (ceil(n / WG), R, 1): gid.x = i, wid.y = r.

override WG: u32 = 256u;

struct Params { n: u32, stride: u32 }

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let i = gid.x;
  if (i >= params.n) { return; }
  let j = wid.y * params.stride + i;
  dst[j] = dst[j] + src[i];
}
