#!/usr/bin/env python3
"""Train a LoRA Lab toy run in PyTorch + Hugging Face PEFT (written by LoRA Lab into every toy export bundle).

Rebuilds the page's task from run_config.json alone: the same seeded generator (a port of the page's
src/rng.ts: mulberry32 uniforms, Box-Muller normals), so the same base weights, hidden change, teacher and
data stream, bit for bit; the same LoRA factors at step 0 (peft.get_peft_model, then the page's init
scheme written into lora_A / lora_B); the same loss (MSE / sigma2 on the teacher's outputs, or
cross-entropy on the teacher's argmax), optimizer (torch.optim.AdamW or SGD with momentum, LoRA+'s
learning rate for B), warmup + cosine schedule, global gradient-norm clipping and gradient accumulation.
lora_dropout goes to PEFT's own dropout, whose random masks are not the page's.

    pip install torch peft safetensors numpy
    python train_with_peft.py --config run_config.json [--steps N --rank R --width W --batch B --device cuda
                              --mixed-precision bf16 --dtype float64]

The flags are checked against the page's rules that they can break (r <= width, trueRank <= width).

Writes into --out (default: train_out/): metrics.csv (the page's columns), metrics.json, run_config.json
(the config after the flags) and adapter/ (save_pretrained), or finetuned_model.safetensors for a full
fine-tuning run. With --accelerate it runs under `accelerate launch` (PyTorch DDP; each process takes its
share of every micro-batch, the gradients are averaged, so the run is the single-process one):

    accelerate launch --multi_gpu --num_processes 2 train_with_peft.py --accelerate --device cuda
    accelerate launch --multi_gpu --num_processes 2 train_with_peft.py --accelerate --device cpu   # gloo

(accelerate 1.15's `--cpu --num_processes 2` starts a single process unless given an MPI hostfile.)
"""
import argparse
import json
import math
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

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


def lr_at(step, cfg):
    """src/engine/schedule.ts: the lr of optimizer step `step` (0-based)."""
    total = cfg["steps"]
    if cfg["schedule"] == "constant":
        return cfg["lr"]
    w = math.ceil(cfg["warmup"] * total)
    if step < w:
        return cfg["lr"] * (step / max(1, w))
    progress = min(1, (step - w) / max(1, total - w))
    m = cfg["minLrRatio"]
    return cfg["lr"] * max(0, 0.5 * (1 + math.cos(math.pi * progress)) * (1 - m) + m)


# ---- the model and the run ---------------------------------------------------------------------------
class MLP(nn.Module):
    """layers.0 .. layers.L (activation after each), then head: the names of the page's modules."""

    def __init__(self, weights, activation):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(W.shape[1], W.shape[0], bias=False) for W in weights[:-1])
        self.head = nn.Linear(weights[-1].shape[1], weights[-1].shape[0], bias=False)
        self.activation = activation
        with torch.no_grad():
            for lin, W in zip([*self.layers, self.head], weights):
                lin.weight.copy_(torch.from_numpy(W))

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
            x = nn.functional.gelu(x, approximate="tanh") if self.activation == "gelu_tanh" else torch.relu(x)
        return self.head(x)


def build_model(cfg, task, dtype, device):
    """The student: PEFT LoRA on the target layers with the page's init, or those layers trainable (FFT)."""
    base = MLP(task.base_weights(), cfg["activation"])
    targets = [f"layers.{i}" for i in cfg["targets"]]
    if cfg["mode"] == "fft":
        for p in base.parameters():
            p.requires_grad_(False)
        groups = [{"name": "full", "params": [base.layers[i].weight for i in cfg["targets"]]}]
        for g in groups[0]["params"]:
            g.requires_grad_(True)
        return base.to(device=device, dtype=dtype), groups
    from peft import LoraConfig, get_peft_model

    lcfg = LoraConfig(r=cfg["r"], lora_alpha=cfg["lora_alpha"], target_modules=targets, use_rslora=cfg["scaling"] == "rslora", lora_dropout=cfg["lora_dropout"])
    model = get_peft_model(base, lcfg)
    with torch.no_grad():
        for i in cfg["targets"]:
            A, B = init_lora(cfg["init"], cfg["r"], cfg["width"], cfg["width"], Rng.stream(cfg["seed"], f"lora/{i}"))
            lin = model.base_model.model.layers[i]
            lin.lora_A["default"].weight.copy_(torch.from_numpy(A))
            lin.lora_B["default"].weight.copy_(torch.from_numpy(B))
    named = dict(model.named_parameters())
    a = [named[f"base_model.model.layers.{i}.lora_A.default.weight"] for i in cfg["targets"]]
    b = [named[f"base_model.model.layers.{i}.lora_B.default.weight"] for i in cfg["targets"]]
    return model.to(device=device, dtype=dtype), [{"name": "A", "params": a}, {"name": "B", "params": b}]


def make_optimizer(cfg, groups):
    wd = cfg["weightDecay"]
    for g in groups:
        g["weight_decay"] = wd
        g["lr"] = cfg["lr"]
    if cfg["optimizer"] == "adamw":
        return torch.optim.AdamW(groups, lr=cfg["lr"], betas=(cfg["beta1"], cfg["beta2"]), eps=cfg["eps"], weight_decay=wd)
    return torch.optim.SGD(groups, lr=cfg["lr"], momentum=cfg["momentum"], weight_decay=wd)


def loss_of(cfg, out, y, labels, loss_scale):
    """The page's loss: MSE times 1/sigma2, or cross-entropy on the teacher's argmax; and the accuracy."""
    if cfg["loss"] == "mse":
        return nn.functional.mse_loss(out, y) * loss_scale, None
    return nn.functional.cross_entropy(out, labels), (out.argmax(dim=1) == labels).float().mean()


def js_number(x):
    """A number as JavaScript's String(x) writes it (the page's CSV cells)."""
    if x is None:
        return ""
    x = float(x)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x.is_integer() and abs(x) < 1e21:
        return str(int(x))
    s = repr(x)
    if "e" in s:
        mant, exp = s.split("e")
        s = f"{mant}e{'+' if int(exp) > 0 else '-'}{abs(int(exp))}"
    return s


CSV_COLUMNS = [("step", "step"), ("loss", "loss"), ("eval_loss", "evalLoss"), ("accuracy", "accuracy"), ("eval_accuracy", "evalAccuracy"), ("grad_norm", "gradNorm"), ("lr", "lr"), ("steps_per_sec", "stepsPerSec")]


def metrics_csv(points):
    rows = [",".join(name for name, _ in CSV_COLUMNS)]
    rows += [",".join(js_number(p.get(key)) for _, key in CSV_COLUMNS) for p in points]
    return "\n".join(rows) + "\n"


def train(cfg, out_dir, device="cpu", dtype=torch.float32, accelerator=None, mixed_precision="no"):
    """Runs cfg; returns the logged points. With an accelerate Accelerator, each process takes a slice of every micro-batch."""
    device_type = torch.device(device).type
    autocast = lambda: torch.autocast(device_type, dtype=torch.bfloat16, enabled=mixed_precision == "bf16")
    torch.manual_seed(cfg["seed"])  # PEFT's own draws (replaced by the page's init) and dropout masks
    task = ToyTask(cfg)
    model, groups = build_model(cfg, task, dtype, device)
    teacher = MLP(task.teacher_weights(), cfg["activation"]).to(device=device, dtype=dtype).requires_grad_(False)
    opt = make_optimizer(cfg, groups)
    rank, world = (accelerator.process_index, accelerator.num_processes) if accelerator else (0, 1)
    if accelerator:
        model, opt = accelerator.prepare(model, opt)
    params = [p for g in groups for p in g["params"]]
    loss_scale = 1 / task.sigma2 if cfg["loss"] == "mse" else 1.0
    batch, accum = cfg["batch"], cfg["accum"]
    if batch % world:
        raise SystemExit(f"batch {batch} does not split over {world} processes")
    lo, hi = rank * batch // world, (rank + 1) * batch // world
    if rank == 0:
        how = f", {accelerator.distributed_type} ({accelerator.state.backend})" if world > 1 else ""
        print(f"{cfg['mode']} run, {cfg['steps']} steps, {world} process{'es' if world > 1 else ''}{how}, {batch // world} rows of each micro-batch each", flush=True)
    tensor = lambda a: torch.from_numpy(np.ascontiguousarray(a)).to(device=device, dtype=dtype)
    eval_x = tensor(task.eval_x)
    with torch.no_grad():
        eval_f = teacher(eval_x)
    points, t0 = [], time.perf_counter()

    for t in range(1, cfg["steps"] + 1):
        lr = lr_at(t - 1, cfg)
        for g in opt.param_groups:
            g["lr"] = lr * cfg["loraPlusRatio"] if g.get("name") == "B" else lr
        opt.zero_grad(set_to_none=True)
        loss_sum = acc_sum = 0.0
        for k in range(accum):
            x = tensor(task.inputs_at((t - 1) * accum + k, batch))
            with torch.no_grad():
                f = teacher(x)  # the teacher runs beside the student, as on the page's GPU
            x, f = x[lo:hi], f[lo:hi]
            with autocast():
                out = model(x)
            loss, acc = loss_of(cfg, out.to(dtype), f, f.argmax(dim=1), loss_scale)
            # Each process's mean over its rows; DDP averages the gradients, so the sum of the
            # processes' losses / world is the global batch's loss.
            if accelerator:
                accelerator.backward(loss / accum)
            else:
                (loss / accum).backward()
            loss_sum += loss.item()  # a sync point on a GPU, once per micro-batch
            acc_sum += acc.item() if acc is not None else 0.0
        if world > 1:
            both = accelerator.reduce(torch.tensor([loss_sum, acc_sum], device=accelerator.device), reduction="mean")
            loss_sum, acc_sum = both.tolist()
        max_norm = cfg["clip"] if cfg["clip"] > 0 else float("inf")
        grad_norm = torch.nn.utils.clip_grad_norm_(params, max_norm).item()
        opt.step()
        last = t == cfg["steps"]
        if t == 1 or last or t % cfg["logEvery"] == 0:
            p = {"step": t, "loss": loss_sum / accum, "gradNorm": grad_norm}
            if cfg["loss"] == "ce":
                p["accuracy"] = acc_sum / accum
            model.eval()  # no dropout in the eval pass, as the page
            with torch.no_grad():
                e, e_acc = loss_of(cfg, model(eval_x), eval_f, eval_f.argmax(dim=1), loss_scale)
            model.train()
            p["evalLoss"] = e.item()
            if e_acc is not None:
                p["evalAccuracy"] = e_acc.item()
            p.update(lr=lr, weightDecay=cfg["weightDecay"], loraPlusRatio=cfg["loraPlusRatio"], clip=cfg["clip"], stepsPerSec=t / (time.perf_counter() - t0))
            points.append(p)
            if rank == 0:
                print(f"step {t:>6}  loss {p['loss']:.6g}  eval {p['evalLoss']:.6g}  |g| {grad_norm:.4g}  lr {lr:.4g}", flush=True)

    if rank == 0:
        save(cfg, accelerator.unwrap_model(model) if accelerator else model, points, Path(out_dir))
    return points


def save(cfg, model, points, out):
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.csv").write_text(metrics_csv(points))
    (out / "metrics.json").write_text(json.dumps(points, indent=1))
    (out / "run_config.json").write_text(json.dumps(cfg, indent=1))
    if cfg["mode"] == "lora":
        model.save_pretrained(str(out / "adapter"))
    else:
        from safetensors.torch import save_file

        save_file({k: v.detach().float().cpu().contiguous() for k, v in model.state_dict().items()}, str(out / "finetuned_model.safetensors"), {"format": "pt"})


def config_errors(cfg):
    """The page's rules that the flags can break (the page validated the rest), each naming its field."""
    errors = []
    n = cfg["width"]
    for key, lo, hi in (("width", 1, None), ("r", 1, min(n, 256) if cfg["mode"] == "lora" else None), ("trueRank", 1, n), ("batch", 1, None), ("steps", 1, None)):
        if not lo <= cfg[key] <= (hi if hi is not None else cfg[key]):
            errors.append(f"{key} = {cfg[key]} is outside {lo}..{hi if hi is not None else 'any'}")
    bad = [t for t in cfg["targets"] if not 1 <= t <= cfg["layers"]]
    if bad:
        errors.append(f"targets {bad} are outside 1..{cfg['layers']} (layers)")
    return errors


def load_config(path, args):
    cfg = json.loads(Path(path).read_text())
    if cfg.get("task", "toy") != "toy":
        raise SystemExit("train_with_peft.py trains the toy task only")
    for flag, key in (("steps", "steps"), ("rank", "r"), ("width", "width"), ("batch", "batch")):
        if getattr(args, flag) is not None:
            cfg[key] = getattr(args, flag)
    errors = config_errors(cfg)
    if errors:
        raise SystemExit("invalid run config: " + "; ".join(errors))
    return cfg


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config", default="run_config.json")
    ap.add_argument("--out", default="train_out")
    ap.add_argument("--steps", type=int)
    ap.add_argument("--rank", type=int)
    ap.add_argument("--width", type=int)
    ap.add_argument("--batch", type=int)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    ap.add_argument("--mixed-precision", default="no", choices=["no", "bf16"], help="bf16 autocast of the student's training forward (GPUs with bf16, or CPU); the eval pass stays in --dtype")
    ap.add_argument("--accelerate", action="store_true", help="use accelerate's Accelerator (set by `accelerate launch`)")
    args = ap.parse_args()
    cfg = load_config(args.config, args)
    accelerator = None
    if args.accelerate:
        from accelerate import Accelerator

        accelerator = Accelerator(cpu=args.device == "cpu")
    device = accelerator.device if accelerator else args.device
    train(cfg, args.out, device, getattr(torch, args.dtype), accelerator, args.mixed_precision)


if __name__ == "__main__":
    main()
