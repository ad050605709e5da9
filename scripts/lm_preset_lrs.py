"""Where the language-model presets' optima fall, measured with PyTorch on the CPU (one thread).

    .venv/bin/python scripts/lm_preset_lrs.py                  # every preset's full-scale grid
    .venv/bin/python scripts/lm_preset_lrs.py lm-attn-vs-all   # one preset

The grids are those of src/sweep/lmPresets.ts at the full scale (keep them in step), trained with the
page's recipe: the shipped base (public/models/tiny-llama-kjv), LoRA as x A^T B^T * lora_alpha / r on the
targeted projections (Init[A]: A ~ N(0, 1/dIn), B = 0; Init[B]: B ~ N(0, 1/r), A = 0) or those
projections trained in full (FFT), AdamW (weight decay 0.01), 5% linear warmup then cosine to 0.1x the
peak, gradient clipping at 1, 100 steps of 4 random windows of 64 bytes of the Shakespeare training
split, then the held-out losses on 8 evenly spaced windows of each text's last 5% (src/tasks/textData.ts).
The windows and initial draws come from PyTorch's and Python's generators, not the page's, so losses
agree with the page's only roughly; the point is where each curve's best learning rate sits.

Prints one JSON line per run (final training loss = mean of the last 10 steps, held-out losses; bits
per byte) and, per preset, each curve's best learning rate by training loss and by held-out loss.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
from pathlib import Path

import torch
import torch.nn.functional as F
import transformers
from transformers import AutoModelForCausalLM

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "public" / "models" / "tiny-llama-kjv"
DATA = ROOT / "public" / "data"
HELD_OUT = 0.05  # src/tasks/textData.ts
SEQ, BATCH, STEPS, EVAL_WINDOWS = 64, 4, 100, 8
TYPES = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
QV = ["q_proj", "v_proj"]


def lrs(lo: int, hi: int) -> list[int]:
    return list(range(lo, hi + 1))


def lora(ranks, log2lrs, alpha, init="initA", targets=TYPES, alpha_eff=False):
    return [dict(mode="lora", r=r, alpha=alpha * r if alpha_eff else alpha, init=init, log2lr=k, targets=targets) for r in ranks for k in log2lrs]


def fft(log2lrs, targets=TYPES):
    return [dict(mode="fft", log2lr=k, targets=targets) for k in log2lrs]


# src/sweep/lmPresets.ts, full scale
PRESETS = {
    "lm-mua-a1": lora([2, 8, 32], lrs(-10, -4), 1, alpha_eff=True),
    "lm-mua-a-inv-r": lora([2, 8, 32], lrs(-8, -2), 1),
    "lm-mua-b1-fft": lora([2, 8, 32], lrs(-11, -6), 1, init="initB", alpha_eff=True) + fft(lrs(-11, -6)),
    "lm-attn-vs-all": [run for t in (QV, TYPES) for run in lora([5, 24], lrs(-9, -4), 16, targets=t)],
    "lm-learns-forgets": lora([2, 8, 32], lrs(-10, -5), 1) + fft(lrs(-10, -5)),
}


def split(text: bytes) -> tuple[bytes, bytes]:
    cut = math.floor(len(text) * (1 - HELD_OUT))
    return text[:cut], text[cut:]


def eval_windows(text: bytes) -> torch.Tensor:
    span = len(text) - SEQ - 1
    # math.floor(x + 0.5) is JavaScript's Math.round here (Python's round is to even)
    starts = [math.floor(i * span / (EVAL_WINDOWS - 1) + 0.5) for i in range(EVAL_WINDOWS)]
    return torch.tensor([list(text[s : s + SEQ + 1]) for s in starts])


class Lab:
    def __init__(self) -> None:
        transformers.utils.logging.disable_progress_bar()
        torch.set_num_threads(1)
        self.model = AutoModelForCausalLM.from_pretrained(MODEL, dtype=torch.float32)
        for p in self.model.parameters():
            p.requires_grad_(False)
        self.base = {k: v.clone() for k, v in self.model.state_dict().items()}
        self.train, held = split((DATA / "tinyshakespeare.txt").read_bytes())
        self.evals = [eval_windows(held), eval_windows(split((DATA / "kjv.txt").read_bytes())[1])]

    def loss_bits(self, w: torch.Tensor) -> torch.Tensor:
        logits = self.model(input_ids=w[:, :-1]).logits
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), w[:, 1:].reshape(-1)) / math.log(2)

    def run(self, mode: str, log2lr: int, targets: list[str], r: int = 1, alpha: float = 1, init: str = "initA", seed: int = 1) -> dict:
        self.model.load_state_dict(self.base)
        gen = torch.Generator().manual_seed(seed)
        modules = [getattr(layer.self_attn, t, None) or getattr(layer.mlp, t) for layer in self.model.model.layers for t in targets]
        params, hooks = [], []
        if mode == "fft":
            for m in modules:
                m.weight.requires_grad_(True)
                params.append(m.weight)
        else:
            for m in modules:
                d_out, d_in = m.weight.shape
                if init == "initA":
                    a, b = torch.randn(r, d_in, generator=gen) / math.sqrt(d_in), torch.zeros(d_out, r)
                else:
                    a, b = torch.zeros(r, d_in), torch.randn(d_out, r, generator=gen) / math.sqrt(r)
                a.requires_grad_(True)
                b.requires_grad_(True)
                params += [a, b]
                s = alpha / r
                hooks.append(m.register_forward_hook(lambda _m, x, y, a=a, b=b, s=s: y + s * (x[0] @ a.t()) @ b.t()))
        lr = 2.0**log2lr
        opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
        warm = math.ceil(0.05 * STEPS)
        rng = random.Random(seed)
        span = len(self.train) - SEQ - 1
        losses = []
        try:
            for k in range(STEPS):
                progress = min(1.0, (k - warm) / max(1, STEPS - warm))
                for g in opt.param_groups:
                    g["lr"] = lr * k / max(1, warm) if k < warm else lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))
                starts = [rng.randint(0, span) for _ in range(BATCH)]
                loss = self.loss_bits(torch.tensor([list(self.train[s : s + SEQ + 1]) for s in starts]))
                opt.zero_grad()
                (loss * math.log(2)).backward()
                torch.nn.utils.clip_grad_norm_(params, 1.0)
                opt.step()
                losses.append(loss.item())
                if not math.isfinite(losses[-1]):
                    return {"diverged": True}
            with torch.no_grad():
                target, pretrain = (self.loss_bits(w).item() for w in self.evals)
        finally:
            for h in hooks:
                h.remove()
            for m in modules:
                m.weight.requires_grad_(False)
        return {"train": sum(losses[-10:]) / 10, "target": target, "pretrain": pretrain}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("presets", nargs="*", default=list(PRESETS), help=f"any of {', '.join(PRESETS)} (default: all)")
    args = ap.parse_args()
    unknown = [p for p in args.presets if p not in PRESETS]
    if unknown:
        ap.error(f"unknown preset {unknown[0]} (known: {', '.join(PRESETS)})")
    lab = Lab()
    for name in args.presets:
        curves: dict[str, list[dict]] = {}
        for spec in PRESETS[name]:
            out = {**spec, "targets": "q+v" if spec["targets"] == QV else "all", **lab.run(**spec)}
            print(json.dumps({"preset": name, **{k: round(v, 4) if isinstance(v, float) else v for k, v in out.items()}}), flush=True)
            curve = "FFT" if spec["mode"] == "fft" else f"r={spec['r']}"
            curves.setdefault(f"{out['targets']} {curve}", []).append(out)
        for curve, runs in curves.items():
            ok = [x for x in runs if "train" in x]
            by_train = min(ok, key=lambda x: x["train"])
            by_eval = min(ok, key=lambda x: x["target"])
            print(f"# {name} {curve}: best lr 2^{by_train['log2lr']} by training loss ({by_train['train']:.3f}), 2^{by_eval['log2lr']} by held-out loss ({by_eval['target']:.3f}, pretraining text {by_eval['pretrain']:.3f})", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
