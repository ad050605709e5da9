// Elementwise activation, forward and backward, over n elements.
//   forward:  y = act(x)
//   backward: dx = dy * act'(x)         (x is the pre-activation kept from the forward pass)
// act (override ACT): 0 = GELU, tanh approximation (PyTorch gelu(approximate='tanh')):
//   y = 0.5 x (1 + tanh(u)),  u = k (x + c x^3),  k = sqrt(2/pi), c = 0.044715
//   y' = 0.5 (1 + tanh(u)) + 0.5 x (1 - tanh(u)^2) k (1 + 3 c x^2)
// 1 = ReLU: y = max(x, 0), y' = 1 if x > 0 else 0.
// Dispatch: grid1d(n, WG); flat index i = gid.x + gid.y * num_workgroups.x * WG.

override ACT: u32 = 0u;
override WG: u32 = 256u;
// Elements per array entry: the launcher compiles a vec4f variant (Elem = vec4f, params.n counted in
// vec4s) when n is a multiple of 4, as every trainer's activations are.
alias Elem = f32;

struct Params { n: u32 }

@group(0) @binding(0) var<storage, read> x: array<Elem>;
@group(0) @binding(1) var<storage, read_write> out: array<Elem>;
@group(0) @binding(2) var<uniform> params: Params;
@group(0) @binding(3) var<storage, read> dy: array<Elem>;

const K: f32 = 0.7978845608028654;
const C: f32 = 0.044715;

// 0.5 (1 + tanh(u)) = sigmoid(2u), and 1 - tanh(u)^2 = 4 sigmoid(2u) (1 - sigmoid(2u)): written this way
// the left tail keeps its precision instead of cancelling 1 + tanh(u) ~ 1 - 1 in f32. |u| is clamped to
// 15, where sigmoid(2u) is 1 or below 1e-13, so exp never overflows.
fn sig2u(v: Elem) -> Elem {
  let u = clamp(K * (v + C * v * v * v), Elem(-15.0), Elem(15.0));
  return 1.0 / (1.0 + exp(-2.0 * u));
}

fn act(v: Elem) -> Elem {
  if (ACT == 1u) { return max(v, Elem(0.0)); }
  return v * sig2u(v);
}

fn dact(v: Elem) -> Elem {
  if (ACT == 1u) { return select(Elem(0.0), Elem(1.0), v > Elem(0.0)); }
  let s = sig2u(v);
  return s + 2.0 * v * s * (1.0 - s) * K * (1.0 + 3.0 * C * v * v);
}

fn flat(gid: vec3u, nwg: vec3u) -> u32 { return gid.x + gid.y * nwg.x * WG; }

@compute @workgroup_size(WG)
fn forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flat(gid, nwg);
  if (i >= params.n) { return; }
  out[i] = act(x[i]);
}

@compute @workgroup_size(WG)
fn backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flat(gid, nwg);
  if (i >= params.n) { return; }
  out[i] = dy[i] * dact(x[i]);
}
