"""The toy task of LoRA Lab as the page computes it, for train_with_peft.py (bundled beside it).

A port of the page's seeded generator (src/rng.ts: mulberry32 uniforms, Box-Muller normals, streams named
by (seed, purpose)), of the toy teacher-student task built from it (src/tasks/toy.ts: base weights,
hidden change c U V^T, teacher, sigma2, eval set, the data stream) and of the LoRA init schemes
(src/tasks/init.ts). The uint32 arithmetic and the uniforms are the page's exactly. Values that pass through
log, sin, cos or tanh may differ from the page's in the last bit of their float64 value (V8's Math and the
C library are different approximations), so a float32 value (weights, data, init) is the page's unless its
float64 value lies within ~1e-16 of a float32 rounding boundary: none did in the tests, nor in 6M normals
checked once. numpy only, no PyTorch.
"""
import math

import numpy as np

M32 = 0xFFFFFFFF


def imul(a, b):
    """Math.imul on uint32 values: the low 32 bits of the product."""
    return (a * b) & M32


class Rng:
    """src/rng.ts, bit for bit: uint32 state arithmetic, float64 results."""

    def __init__(self, seed):
        self.state = seed & M32
        self.spare = None

    @staticmethod
    def stream(seed, name):
        h = (seed ^ 0x9E3779B9) & M32
        for ch in name:  # the page hashes UTF-16 code units; stream names are ASCII
            h = imul(h ^ ord(ch), 0x85EBCA6B)
            h = h ^ (h >> 13)
        return Rng(imul(h ^ (h >> 16), 0xC2B2AE35))

    def uniform(self):
        self.state = (self.state + 0x6D2B79F5) & M32
        t = self.state
        t = imul(t ^ (t >> 15), t | 1)
        t = t ^ ((t + imul(t ^ (t >> 7), t | 61)) & M32)
        return (t ^ (t >> 14)) / 4294967296

    def normal(self):
        if self.spare is not None:
            s, self.spare = self.spare, None
            return s
        u = 0.0
        while u == 0.0:
            u = self.uniform()
        v = self.uniform()
        r = math.sqrt(-2 * math.log(u))
        self.spare = r * math.sin(2 * math.pi * v)
        return r * math.cos(2 * math.pi * v)

    def uniform_block(self, n):
        """The next n uniform() values at once: the state only steps by a constant, so draw k's state is
        known without the draws before it, and the mixing is elementwise (uint64 holds every product)."""
        k = np.arange(1, n + 1, dtype=np.uint64)
        t = (np.uint64(self.state) + k * np.uint64(0x6D2B79F5)) & np.uint64(M32)
        self.state = (self.state + n * 0x6D2B79F5) & M32
        m = np.uint64(M32)
        t = ((t ^ (t >> np.uint64(15))) * (t | np.uint64(1))) & m
        t = t ^ ((t + (((t ^ (t >> np.uint64(7))) * (t | np.uint64(61))) & m)) & m)
        return (t ^ (t >> np.uint64(14))).astype(np.float64) / 4294967296

    def normal_block(self, n):
        """The next n normal() values at once (the spare carried in and out as normal() does)."""
        out = np.empty(n)
        done = 0
        if n and self.spare is not None:
            out[0], self.spare, done = self.spare, None, 1
        pairs = (n - done + 1) // 2
        state = self.state
        uv = self.uniform_block(2 * pairs)
        u, v = uv[0::2], uv[1::2]
        if (u == 0).any():  # normal() draws u again on a zero (p = 2^-32 a draw): take the plain path
            self.state = state
            out[done:] = [self.normal() for _ in range(n - done)]
            return out
        r = np.sqrt(-2 * np.log(u))
        both = np.empty(2 * pairs)
        both[0::2] = r * np.cos(2 * math.pi * v)
        both[1::2] = r * np.sin(2 * math.pi * v)
        out[done:] = both[: n - done]
        if (n - done) % 2:
            self.spare = float(both[-1])
        return out

    def normals(self, n, std=1.0):
        """n draws of N(0, std^2), each rounded to float32 once (as the page's Float32Array)."""
        return (self.normal_block(n) * std).astype(np.float32)

    def uniforms(self, n, lo, hi):
        return (lo + (hi - lo) * self.uniform_block(n)).astype(np.float32)


# ---- the toy task (src/tasks/toy.ts) -----------------------------------------------------------------
GELU_K = math.sqrt(2 / math.pi)
GELU_C = 0.044715


def act(kind, x):
    if kind == "relu":
        return np.where(x > 0, x, 0.0)
    return 0.5 * x * (1 + np.tanh(GELU_K * (x + GELU_C * x * x * x)))


def linear64(x, W, activation):
    """act(x W^T) in float64, each sum taken in index order as the page does: x (rows, k), W (m, k)."""
    x = x.astype(np.float64)
    W = W.astype(np.float64)
    y = np.zeros((x.shape[0], W.shape[0]))
    for t in range(x.shape[1]):
        y += np.outer(x[:, t], W[:, t])
    return y if activation is None else act(activation, y)


def mlp_forward64(Ws, x, activation):
    """Ws = [W_in, W_1..W_L, W_out]: the activation after every layer but the last."""
    h = x
    for i, W in enumerate(Ws):
        h = linear64(h, W, activation if i < len(Ws) - 1 else None)
    return h


def sigma_samples(cfg):
    n, L, d_in, d_out = cfg["width"], cfg["layers"], cfg["dIn"], cfg["dOut"]
    macs = n * d_in + L * n * n + d_out * n
    return max(128, min(2048, 2**25 // macs))


class ToyTask:
    """Weights as float32 numpy arrays in nn.Linear layout (out, in); ws[i] is W_{i+1} (module layers.<i+1>)."""

    def __init__(self, cfg):
        self.cfg = cfg
        n, L, d_in, d_out, rs, c, seed = (cfg[k] for k in ("width", "layers", "dIn", "dOut", "trueRank", "shift", "seed"))
        self.n, self.L, self.d_in, self.d_out, self.seed = n, L, d_in, d_out, seed
        self.activation = cfg["activation"]

        def draw(name, shape, variance):
            return Rng.stream(seed, f"task/{name}").normals(int(np.prod(shape)), math.sqrt(variance)).reshape(shape)

        self.w_in = draw("Win", (n, d_in), 2 / d_in)
        self.ws = [draw(f"W{i + 1}", (n, n), 2 / n) for i in range(L)]
        self.w_out = draw("Wout", (d_out, n), 1 / n)
        self.U = [draw(f"U{i + 1}", (n, rs), 1 / rs) for i in range(L)]
        self.V = [draw(f"V{i + 1}", (n, rs), 2 / n) for i in range(L)]
        # Delta = c U V^T: float64 sums in index order, one rounding to float32.
        self.deltas = [(c * linear64(u, v, None)).astype(np.float32) for u, v in zip(self.U, self.V)]
        self.teacher_ws = [(w.astype(np.float64) + d).astype(np.float32) for w, d in zip(self.ws, self.deltas)]

        m = sigma_samples(cfg)
        sx = Rng.stream(seed, "task/sigma").normals(m * d_in).reshape(m, d_in)
        diff = (mlp_forward64(self.base_weights(), sx, self.activation) - mlp_forward64(self.teacher_weights(), sx, self.activation)).ravel()
        sq = 0.0
        for d in diff:  # in order, as the page (numpy's and Python's sums take other orders)
            sq += float(d) ** 2
        self.sigma2 = sq / diff.size

        self.eval_x = Rng.stream(seed, "task/eval").normals(cfg["evalSize"] * d_in).reshape(-1, d_in)
        self.eval_y, self.eval_labels = self.targets(self.eval_x)
        self.perms = {}

    def base_weights(self):
        return [self.w_in, *self.ws, self.w_out]

    def teacher_weights(self):
        return [self.w_in, *self.teacher_ws, self.w_out]

    def targets(self, x):
        """The CPU teacher's outputs (float64, rounded to float32) and their argmax labels."""
        f = mlp_forward64(self.teacher_weights(), x, self.activation)
        return f.astype(np.float32), np.argmax(f, axis=1).astype(np.uint32)

    def permutation(self, epoch):
        if epoch not in self.perms:
            S = self.cfg["trainSize"]
            p = np.arange(S, dtype=np.uint32)
            rng = Rng.stream(self.seed, f"epoch/{epoch}")
            for i in range(S - 1, 0, -1):
                j = math.floor(rng.uniform() * (i + 1))
                p[i], p[j] = p[j], p[i]
            if len(self.perms) >= 4:
                del self.perms[next(iter(self.perms))]
            self.perms[epoch] = p
        return self.perms[epoch]

    def inputs_at(self, step, batch):
        """Micro-batch number `step` (micro-batches, not optimizer steps): (batch, dIn) float32."""
        S = self.cfg["trainSize"]
        if S == 0:
            return Rng.stream(self.seed, f"data/{step}").normals(batch * self.d_in).reshape(batch, self.d_in)
        x = np.empty((batch, self.d_in), dtype=np.float32)
        for b in range(batch):
            pos = step * batch + b
            i = int(self.permutation(pos // S)[pos % S])
            x[b] = Rng.stream(self.seed, f"train/{i}").normals(self.d_in)
        return x

    def batch_at(self, step, batch):
        x = self.inputs_at(step, batch)
        return (x, *self.targets(x))


def init_lora(scheme, r, d_in, d_out, rng):
    """src/tasks/init.ts: (A (r, dIn), B (dOut, r)), one factor zero."""
    zeros = np.zeros
    if scheme == "initA":
        return rng.normals(r * d_in, 1 / math.sqrt(d_in)).reshape(r, d_in), zeros((d_out, r), np.float32)
    if scheme == "initB":
        return zeros((r, d_in), np.float32), rng.normals(d_out * r, 1 / math.sqrt(r)).reshape(d_out, r)
    if scheme == "peft":
        bound = 1 / math.sqrt(d_in)
        return rng.uniforms(r * d_in, -bound, bound).reshape(r, d_in), zeros((d_out, r), np.float32)
    if scheme == "gaussian":
        return rng.normals(r * d_in, 1 / r).reshape(r, d_in), zeros((d_out, r), np.float32)
    raise ValueError(f"unknown init scheme {scheme!r}")
