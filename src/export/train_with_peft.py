#!/usr/bin/env python3
"""Train a LoRA Lab toy run in PyTorch + Hugging Face PEFT (written by LoRA Lab into every toy export bundle).

Rebuilds the page's task from run_config.json alone (toy_task.py, beside this file: the page's seeded
generator and task in Python), so the same base weights, hidden change, teacher and data stream, bit for
bit; the same LoRA factors at step 0 (peft.get_peft_model, then the page's init
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

As a module (sweep_with_peft.py): train(cfg) -> (points, status), status as the page's RunStatus (done,
collapsed or diverged, with the page's final loss or first diverged step).
"""
import argparse
import json
import math
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from toy_task import Rng, ToyTask, init_lora  # beside this file (Python puts a script's folder on sys.path)
# what the toy's and the language model's scripts share; sweep_with_peft.py imports final_loss and js_number from here
from train_common import accelerator_and_device, add_common_args, end_status, final_loss, js_number, load_run_config, lr_at, make_optimizer, metrics_csv  # noqa: F401


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


def loss_of(cfg, out, y, labels, loss_scale):
    """The page's loss: MSE times 1/sigma2, or cross-entropy on the teacher's argmax; and the accuracy."""
    if cfg["loss"] == "mse":
        return nn.functional.mse_loss(out, y) * loss_scale, None
    return nn.functional.cross_entropy(out, labels), (out.argmax(dim=1) == labels).float().mean()


DIVERGE_BOUND = 1e4  # src/engine/setup.ts: a loss above this counts as diverged


def train(cfg, out_dir=None, device="cpu", dtype=torch.float32, accelerator=None, mixed_precision="no"):
    """Runs cfg; returns (the logged points, the end status as the page's RunStatus) and, with out_dir,
    saves the run there. With an accelerate Accelerator, each process takes a slice of every micro-batch.
    As the page, a run that diverges (the rule of src/ref/watch.ts) stops at the next logged step."""
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
    points, t0, diverged_step = [], time.perf_counter(), 0

    for t in range(1, cfg["steps"] + 1):
        lr = lr_at(t - 1, cfg)
        for g in opt.param_groups:
            g["lr"] = lr * cfg["loraPlusRatio"] if g.get("name") == "B" else lr
        opt.zero_grad(set_to_none=True)
        loss_sum = acc_sum = 0.0
        too_big = False
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
            too_big = too_big or not loss.item() <= DIVERGE_BOUND  # NaN fails the test too
            acc_sum += acc.item() if acc is not None else 0.0
        if world > 1:
            both = accelerator.reduce(torch.tensor([loss_sum, acc_sum], device=accelerator.device), reduction="mean")
            loss_sum, acc_sum = both.tolist()
        max_norm = cfg["clip"] if cfg["clip"] > 0 else float("inf")
        grad_norm = torch.nn.utils.clip_grad_norm_(params, max_norm).item()
        opt.step()
        if not diverged_step and (too_big or not math.isfinite(grad_norm)):
            diverged_step = t
        last = t == cfg["steps"]
        if t == 1 or last or t % cfg["logEvery"] == 0:
            p = {"step": t, "loss": loss_sum / accum, "gradNorm": grad_norm, "divergedStep": diverged_step}
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
            if diverged_step:
                break

    status = end_status(points, points[-1]["stepsPerSec"])
    if rank == 0 and out_dir is not None:
        save(cfg, accelerator.unwrap_model(model) if accelerator else model, points, Path(out_dir))
    return points, status


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
    flags = (("steps", "steps"), ("rank", "r"), ("width", "width"), ("batch", "batch"))
    return load_run_config(path, args, "toy", "train_with_peft.py trains the toy task only", flags, config_errors)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_common_args(ap, "run_config.json", "bf16 autocast of the student's training forward (GPUs with bf16, or CPU); the eval pass stays in --dtype")
    ap.add_argument("--width", type=int)
    args = ap.parse_args()
    cfg = load_config(args.config, args)
    accelerator, device = accelerator_and_device(args)
    train(cfg, args.out, device, getattr(torch, args.dtype), accelerator, args.mixed_precision)


if __name__ == "__main__":
    main()
