"""The language model's LoRA training step on PyTorch's CPU, one thread: a peer for the bench's lmstep row.

    .venv/bin/python bench/torch_lm_step.py --batch 4 --seq 64 --r 8 --alpha 16 \
        --targets q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj --layers 0,1 --steps 20

Loads the shipped base (public/models/tiny-llama-kjv) with transformers, wraps it with PEFT's LoRA
(lora_dropout 0, default init: B = 0), and trains with torch.optim.AdamW on one fixed batch of byte
windows: evenly spaced over the corpus's training split (the first 95%), the rule of evalWindows in
src/tasks/textData.ts, so the page's tfjs peer sees the same windows and the first losses are comparable.
Loss: mean next-token cross-entropy, inputs w[:seq], labels w[1:]. Step 1 is a warm-up (allocations),
reported as loss_first and not timed; then --steps steps are timed one by one.
scripts/torchLmPeer.mjs runs it with the settings of bench/lmStepSettings.json. Prints one JSON line:
{tokens_per_s, tokens_per_s_best, ms_per_step, ms_best, loss_first, loss_last, ...}.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import time
from pathlib import Path

import peft
import torch
import torch.nn.functional as F
import transformers
from peft import LoraConfig, get_peft_model
from transformers import AutoModelForCausalLM

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "public" / "models" / "tiny-llama-kjv"
DATA = ROOT / "public" / "data"
HELD_OUT = 0.05  # src/tasks/textData.ts's HELD_OUT


def windows(text: bytes, batch: int, seq: int) -> torch.Tensor:
    """(batch, seq + 1) token ids: evenly spaced starts over the training split, as evalWindows."""
    train = text[: math.floor(len(text) * (1 - HELD_OUT))]
    span = len(train) - seq - 1
    if span < 0:
        raise SystemExit(f"the training split ({len(train)} bytes) is shorter than a window of {seq + 1}")
    # math.floor(x + 0.5) is JavaScript's Math.round on these non-negative values (Python's round is to even)
    starts = [0] if batch == 1 else [math.floor(b * span / (batch - 1) + 0.5) for b in range(batch)]
    return torch.tensor([list(train[s : s + seq + 1]) for s in starts], dtype=torch.long)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--seq", type=int, default=64)
    ap.add_argument("--r", type=int, default=8)
    ap.add_argument("--alpha", type=float, default=16)
    ap.add_argument("--targets", default="q_proj,v_proj", help="PEFT target_modules, comma-separated module types")
    ap.add_argument("--layers", default="0,1", help="PEFT layers_to_transform, comma-separated")
    ap.add_argument("--steps", type=int, default=20, help="timed steps, after one warm-up step")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--weight-decay", type=float, default=0.01)
    ap.add_argument("--seed", type=int, default=0, help="seeds PEFT's lora_A init")
    ap.add_argument("--corpus", default="tinyshakespeare.txt", help="a file of public/data")
    args = ap.parse_args()

    transformers.utils.logging.disable_progress_bar()  # stdout is one JSON line; keep stderr quiet too
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    model = AutoModelForCausalLM.from_pretrained(MODEL, dtype=torch.float32)
    config = LoraConfig(
        r=args.r,
        lora_alpha=args.alpha,
        lora_dropout=0.0,
        target_modules=args.targets.split(","),
        layers_to_transform=[int(x) for x in args.layers.split(",")],
    )
    model = get_peft_model(model, config)
    model.train()
    trainable = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(trainable, lr=args.lr, weight_decay=args.weight_decay)

    w = windows((DATA / args.corpus).read_bytes(), args.batch, args.seq)
    x, y = w[:, :-1], w[:, 1:]

    def step() -> float:
        logits = model(input_ids=x).logits  # (batch, seq, vocab)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss.item()

    loss_first = step()
    times = []
    loss = loss_first
    for _ in range(args.steps):
        t0 = time.perf_counter()
        loss = step()
        times.append((time.perf_counter() - t0) * 1000)
    ms = statistics.median(times)
    best = min(times)
    tokens = args.batch * args.seq
    print(
        json.dumps(
            {
                "tokens_per_s": tokens / (ms / 1000),
                "tokens_per_s_best": tokens / (best / 1000),
                "ms_per_step": ms,
                "ms_best": best,
                "loss_first": loss_first,
                "loss_last": loss,
                "steps": args.steps,
                "trainable": sum(p.numel() for p in trainable),
                "attn_implementation": model.config._attn_implementation,
                "versions": f"torch {torch.__version__}, transformers {transformers.__version__}, peft {peft.__version__}",
            }
        )
    )


if __name__ == "__main__":
    main()
