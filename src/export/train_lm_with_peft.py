#!/usr/bin/env python3
"""Train a LoRA Lab language-model run in PyTorch + Hugging Face PEFT (LoRA Lab writes this file into every
language-model export as train_with_peft.py).

Rebuilds the page's run from the bundle's own files: base/ (the frozen LlamaForCausalLM the page trained,
loaded with AutoModelForCausalLM, float32, eager attention), data/finetune.txt (the fine-tuning text) and
data/pretrain_heldout.txt (the pretraining corpus's held-out 5%), run_config.json (the page's RunConfig).
lm_task.py (beside this file) gives the page's windows of every step, byte for byte, and its LoRA factors at
step 0, bit for bit (get_peft_model with the export's LoraConfig, then the page's init scheme written into
lora_A / lora_B). The loss is the mean next-token cross-entropy over every window's positions, each
micro-batch's mean; the optimizer (torch.optim.AdamW, or SGD with momentum; LoRA+'s learning rate for B),
warmup + cosine schedule, global gradient-norm clipping and gradient accumulation are the page's. Full
fine-tuning (mode "fft") trains the targeted projections' weights instead.

    pip install torch transformers peft safetensors numpy
    python train_with_peft.py [--steps N --rank R --batch B --seq-len S --device cuda --mixed-precision bf16
                               --dtype float64 --lora-dropout P --out train_out]

The page trains the language model without dropout; --lora-dropout > 0 uses PEFT's dropout, whose random
masks are PEFT's own, so that run is no longer the page's (the script says so when it starts).

Writes into --out (default: train_out/): metrics.csv (the page's columns: eval_loss is the fine-tuning
text's held-out loss), metrics.json (also evalLosses: [fine-tuning text, pretraining corpus]),
run_config.json (the config after the flags) and adapter/ (save_pretrained), or model/ (a plain
LlamaForCausalLM folder) for full fine-tuning. With --accelerate it runs under `accelerate launch`
(PyTorch DDP; each process takes its share of the windows of every micro-batch):

    accelerate launch --multi_gpu --num_processes 2 train_with_peft.py --accelerate --device cuda
"""
import argparse
import json
import math
import sys
import time
from pathlib import Path

import torch
from torch import nn

from lm_task import MODULE_TYPES, LmTask, lora_init, target_cells  # beside this file
from train_common import accelerator_and_device, add_common_args, end_status, load_run_config, lr_at, make_optimizer, metrics_csv

HERE = Path(__file__).resolve().parent
DIVERGE_BOUND = 100  # src/tasks/lmTask.ts: a byte-level model starts near ln(256) = 5.5 nats
MAX_RANK = 128  # the narrowest projection of the shipped base (src/config/schema.ts LM_MAX_RANK)


def lora_config(cfg, cells, layers, dropout):
    """The export's LoraConfig (src/export/lmPeftFormat.ts): the module types' short names, narrowed by
    layers_to_transform when some layers are skipped. A set of cells that is no types x layers grid (which
    the page cannot export either) names its modules one by one."""
    from peft import LoraConfig

    types = [t for t in MODULE_TYPES if any(c[2] == t for c in cells)]
    used = sorted({c[1] for c in cells})
    common = dict(r=cfg["r"], lora_alpha=cfg["lora_alpha"], use_rslora=cfg["scaling"] == "rslora", lora_dropout=dropout, task_type="CAUSAL_LM")
    if len(types) * len(used) != len(cells):
        return LoraConfig(target_modules=[c[3] for c in cells], **common)
    every = len(used) == layers
    return LoraConfig(target_modules=types, layers_to_transform=None if every else used, layers_pattern=None if every else "layers", **common)


def build_model(cfg, base_dir, dtype, device, dropout):
    """The model and its optimizer groups: PEFT LoRA on the target cells with the page's init, or those
    projections trainable (full fine-tuning)."""
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(str(base_dir), dtype=torch.float32, attn_implementation="eager").to(dtype)
    base.config.use_cache = False
    layers = base.config.num_hidden_layers
    cells = target_cells(cfg, layers)
    if not cells:
        raise SystemExit("invalid run config: lmTargets names no projection")
    module = lambda root, name: root.get_submodule(name)
    if cfg["mode"] == "fft":
        base.requires_grad_(False)
        params = [module(base, c[3]).weight.requires_grad_(True) for c in cells]
        return base.to(device=device, dtype=dtype), [{"name": "full", "params": params}], cells
    from peft import get_peft_model

    model = get_peft_model(base, lora_config(cfg, cells, layers, dropout))
    with torch.no_grad():
        for cell, _, _, name in cells:
            lin = module(model.base_model.model, name)
            A, B = lora_init(cfg, cell, lin.in_features, lin.out_features)
            lin.lora_A["default"].weight.copy_(torch.from_numpy(A))
            lin.lora_B["default"].weight.copy_(torch.from_numpy(B))
    a = [module(model.base_model.model, c[3]).lora_A["default"].weight for c in cells]
    b = [module(model.base_model.model, c[3]).lora_B["default"].weight for c in cells]
    trained = {id(p) for p in a + b}
    extra = [n for n, p in model.named_parameters() if p.requires_grad and id(p) not in trained]
    if extra:
        raise SystemExit(f"PEFT adapted more than the run's cells: {extra[:3]}")
    return model.to(device=device, dtype=dtype), [{"name": "A", "params": a}, {"name": "B", "params": b}], cells


def batch_loss(model, windows, device):
    """Mean next-token cross-entropy over every position of the windows (inputs w[:-1], labels w[1:]), and
    the fraction of positions whose argmax is the label (the page's accuracy)."""
    w = torch.tensor(windows, device=device)
    logits = model(input_ids=w[:, :-1]).logits  # (batch, seq, vocab)
    labels = w[:, 1:].reshape(-1)
    flat = logits.reshape(labels.numel(), -1)
    return nn.functional.cross_entropy(flat.float() if flat.dtype == torch.bfloat16 else flat, labels), (flat.argmax(dim=1) == labels).float().mean()


def evaluate(model, task, device):
    """Each eval set's loss as the page computes it: the mean of its chunks' (batch windows each) means."""
    model.eval()
    out = []
    with torch.no_grad():
        for windows in task.eval_sets:
            chunks = [windows[i : i + task.batch] for i in range(0, len(windows), task.batch)]
            out.append(sum(batch_loss(model, c, device)[0].item() for c in chunks) / len(chunks))
    model.train()
    return out


def train(cfg, base_dir, data_dir, out_dir=None, device="cpu", dtype=torch.float32, accelerator=None, mixed_precision="no", dropout=0.0):
    """Runs cfg; returns (the logged points, the end status as the page's RunStatus) and, with out_dir,
    saves the run there. As the page, a run that diverges stops at the next logged step."""
    device_type = torch.device(device).type
    autocast = lambda: torch.autocast(device_type, dtype=torch.bfloat16, enabled=mixed_precision == "bf16")
    torch.manual_seed(cfg["seed"])  # PEFT's own draws (replaced by the page's init) and dropout masks
    data = Path(data_dir)
    task = LmTask(cfg, (data / "finetune.txt").read_bytes(), (data / "pretrain_heldout.txt").read_bytes())
    model, groups, cells = build_model(cfg, base_dir, dtype, device, dropout)
    if task.seq > model.config.max_position_embeddings:
        raise SystemExit(f"invalid run config: seqLen = {task.seq} is above the model's context ({model.config.max_position_embeddings})")
    opt = make_optimizer(cfg, groups)
    rank, world = (accelerator.process_index, accelerator.num_processes) if accelerator else (0, 1)
    unwrapped = model
    if accelerator:
        model, opt = accelerator.prepare(model, opt)
    params = [p for g in groups for p in g["params"]]
    batch, accum = cfg["batch"], cfg["accum"]
    if batch % world:
        raise SystemExit(f"batch {batch} does not split over {world} processes")
    lo, hi = rank * batch // world, (rank + 1) * batch // world
    if rank == 0:
        how = f", {accelerator.distributed_type} ({accelerator.state.backend})" if world > 1 else ""
        print(f"{cfg['mode']} run on {len(cells)} projections, {cfg['steps']} steps, {world} process{'es' if world > 1 else ''}{how}, {batch // world} windows of each micro-batch each", flush=True)
    points, t0, diverged_step = [], time.perf_counter(), 0

    for t in range(1, cfg["steps"] + 1):
        lr = lr_at(t - 1, cfg)
        for g in opt.param_groups:
            g["lr"] = lr * cfg["loraPlusRatio"] if g.get("name") == "B" else lr
        opt.zero_grad(set_to_none=True)
        loss_sum = acc_sum = 0.0
        too_big = False
        for windows in task.windows_at(t):
            with autocast():
                loss, acc = batch_loss(model, windows[lo:hi], device)
            # each process's mean over its windows; DDP averages the gradients, so the mean of the
            # processes' losses is the micro-batch's loss
            if accelerator:
                accelerator.backward(loss / accum)
            else:
                (loss / accum).backward()
            loss_sum += loss.item()  # a sync point on a GPU, once per micro-batch
            too_big = too_big or not loss.item() <= DIVERGE_BOUND  # NaN fails the test too
            acc_sum += acc.item()
        if world > 1:
            both = accelerator.reduce(torch.tensor([loss_sum, acc_sum], device=accelerator.device), reduction="mean")
            loss_sum, acc_sum = both.tolist()
        max_norm = cfg["clip"] if cfg["clip"] > 0 else float("inf")
        grad_norm = torch.nn.utils.clip_grad_norm_(params, max_norm).item()
        opt.step()
        if not diverged_step and (too_big or not math.isfinite(grad_norm)):
            diverged_step = t
        if t == 1 or t == cfg["steps"] or t % cfg["logEvery"] == 0:
            ev = evaluate(unwrapped, task, device)
            p = {"step": t, "loss": loss_sum / accum, "accuracy": acc_sum / accum, "gradNorm": grad_norm, "divergedStep": diverged_step, "evalLosses": ev, "evalLoss": ev[0]}
            p.update(lr=lr, weightDecay=cfg["weightDecay"], loraPlusRatio=cfg["loraPlusRatio"], clip=cfg["clip"], stepsPerSec=t / (time.perf_counter() - t0))
            points.append(p)
            if rank == 0:
                print(f"step {t:>6}  loss {p['loss']:.6g}  eval {ev[0]:.6g} (pretraining text {ev[1]:.6g})  |g| {grad_norm:.4g}  lr {lr:.4g}", flush=True)
            if diverged_step:
                break

    status = end_status(points, points[-1]["stepsPerSec"])
    if rank == 0 and out_dir is not None:
        save(cfg, unwrapped, points, Path(out_dir))
    return points, status


def save(cfg, model, points, out):
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.csv").write_text(metrics_csv(points))
    (out / "metrics.json").write_text(json.dumps(points, indent=1))
    (out / "run_config.json").write_text(json.dumps(cfg, indent=1))
    model.to(torch.float32).save_pretrained(str(out / ("adapter" if cfg["mode"] == "lora" else "model")))


def config_errors(cfg):
    """The page's rules that the flags can break (the page validated the rest), each naming its field."""
    errors = []
    for key, lo, hi in (("r", 1, MAX_RANK if cfg["mode"] == "lora" else None), ("batch", 1, None), ("accum", 1, None), ("steps", 1, None), ("seqLen", 8, 128)):
        if not lo <= cfg[key] <= (hi if hi is not None else cfg[key]):
            errors.append(f"{key} = {cfg[key]} is outside {lo}..{hi if hi is not None else 'any'}")
    return errors


def load_config(path, args):
    flags = (("steps", "steps"), ("rank", "r"), ("batch", "batch"), ("seq_len", "seqLen"))
    return load_run_config(path, args, "lm", "this train_with_peft.py trains the language model; a toy run's bundle has its own", flags, config_errors)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_common_args(ap, str(HERE / "run_config.json"), "bf16 autocast of the training forward (GPUs with bf16, or CPU); the eval pass stays in --dtype")
    ap.add_argument("--base", default=str(HERE / "base"), help="the base model folder (default: the bundle's base/)")
    ap.add_argument("--data", default=str(HERE / "data"), help="the folder of finetune.txt and pretrain_heldout.txt")
    ap.add_argument("--seq-len", type=int)
    ap.add_argument("--lora-dropout", type=float, default=0.0, help="PEFT's lora_dropout (the page trains the language model without dropout)")
    args = ap.parse_args()
    if args.lora_dropout > 0:
        print(f"warning: lora_dropout {args.lora_dropout}: PEFT draws its own dropout masks and the page trains the language model without dropout, so this run will not reproduce the page's numbers", file=sys.stderr, flush=True)
    cfg = load_config(args.config, args)
    cfg["lora_dropout"] = args.lora_dropout  # what this run used (the page's language model reads no lora_dropout)
    accelerator, device = accelerator_and_device(args)
    train(cfg, args.base, args.data, args.out, device, getattr(torch, args.dtype), accelerator, args.mixed_precision, args.lora_dropout)


if __name__ == "__main__":
    main()
