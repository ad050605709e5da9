"""Pretrain the language-model task's frozen base: a tiny Hugging Face LlamaForCausalLM on bytes.

    .venv/bin/python scripts/pretrain_base.py            # writes public/models/tiny-llama-kjv/
    .venv/bin/python scripts/pretrain_base.py --check    # retrain in memory, compare with the shipped losses

The vocabulary is the 256 byte values (token id = byte), so any text works without a tokenizer. The
model is transformers' own LlamaForCausalLM (the page reimplements exactly its math), trained with
PyTorch on the CPU, seeded: a rerun on the same machine type reproduces the held-out loss to two
decimals. Pretraining corpus: the King James Bible; the other corpus (Shakespeare) is what the page
fine-tunes on by default, so both held-out losses are recorded (what the base knows, what it does not).

Output, a Hugging Face model folder: config.json, generation_config.json, model.safetensors (float32,
HF key names such as model.layers.0.self_attn.q_proj.weight), and training.json (settings, losses in
bits per byte, the sha256 of model.safetensors) that the repository's tests check the files against.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import time
from pathlib import Path

import torch
from transformers import LlamaConfig, LlamaForCausalLM

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "public" / "data"
CORPORA = {"kjv": "kjv.txt", "shakespeare": "tinyshakespeare.txt"}

# The model: about 0.45 M parameters, context 128.
MODEL = dict(
    vocab_size=256,
    hidden_size=128,
    intermediate_size=352,
    num_hidden_layers=2,
    num_attention_heads=4,
    num_key_value_heads=4,
    max_position_embeddings=128,
    rms_norm_eps=1e-5,
    rope_parameters={"rope_type": "default", "rope_theta": 10000.0},
    hidden_act="silu",
    attention_bias=False,
    mlp_bias=False,
    tie_word_embeddings=False,
    bos_token_id=None,
    eos_token_id=None,
    pad_token_id=None,
)

TRAIN = dict(seed=0, steps=1500, batch=16, context=128, lr=3e-3, warmup=50, weight_decay=0.01, eval_batches=16)
HELD_OUT = 0.05  # the last 5% of each corpus, never trained on (the page's held-out split too)


def corpus(name: str, source: Path) -> torch.Tensor:
    return torch.frombuffer(bytearray((source / CORPORA[name]).read_bytes()), dtype=torch.uint8).long()


def split(data: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    cut = int(len(data) * (1 - HELD_OUT))
    return data[:cut], data[cut:]


def windows(data: torch.Tensor, starts: torch.Tensor, context: int) -> tuple[torch.Tensor, torch.Tensor]:
    idx = starts[:, None] + torch.arange(context + 1)[None, :]
    w = data[idx]
    return w[:, :-1], w[:, 1:]


@torch.no_grad()
def bits_per_byte(model: LlamaForCausalLM, data: torch.Tensor, context: int, batches: int, batch: int) -> float:
    """Mean next-byte loss over evenly spaced windows (deterministic), in bits."""
    model.eval()
    n = batches * batch
    starts = torch.linspace(0, len(data) - context - 2, n).long()
    total = 0.0
    for i in range(batches):
        x, y = windows(data, starts[i * batch : (i + 1) * batch], context)
        logits = model(input_ids=x).logits
        total += torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1)).item()
    model.train()
    return total / batches / math.log(2)


WINDOW = 64  # tokens of each reference window


@torch.no_grad()
def reference_windows(model: LlamaForCausalLM, source: Path) -> list[dict]:
    """The first WINDOW + 1 bytes of each held-out split and the model's mean next-byte loss on them, in
    bits: the repository's tests run the TypeScript reference on the same bytes and must agree."""
    model.eval()
    out = []
    for name in CORPORA:
        held = split(corpus(name, source))[1]
        x, y = held[None, :WINDOW], held[None, 1 : WINDOW + 1]
        logits = model(input_ids=x).logits
        bits = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1)).item() / math.log(2)
        out.append({"corpus": CORPORA[name], "offset": int(len(corpus(name, source)) - len(held)), "tokens": WINDOW, "bits_per_byte": round(bits, 6)})
    return out


def train(source: Path, log=lambda m: print(m, flush=True)) -> tuple[LlamaForCausalLM, dict]:
    t = TRAIN
    torch.manual_seed(t["seed"])
    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True)
    data = {k: split(corpus(k, source)) for k in CORPORA}
    train_data = data["kjv"][0]
    model = LlamaForCausalLM(LlamaConfig(**MODEL))
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    rest = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": t["weight_decay"]}, {"params": rest, "weight_decay": 0.0}], lr=t["lr"], betas=(0.9, 0.95))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / t["warmup"]) * 0.5 * (1 + math.cos(math.pi * min(1.0, s / t["steps"])))
    )
    gen = torch.Generator().manual_seed(t["seed"])
    began = time.time()
    train_bits = float("nan")
    for step in range(1, t["steps"] + 1):
        starts = torch.randint(0, len(train_data) - t["context"] - 1, (t["batch"],), generator=gen)
        x, y = windows(train_data, starts, t["context"])
        loss = model(input_ids=x, labels=None).logits
        loss = torch.nn.functional.cross_entropy(loss.reshape(-1, 256), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        train_bits = loss.item() / math.log(2)
        if step % 100 == 0 or step == t["steps"]:
            log(f"step {step}/{t['steps']}: train {train_bits:.3f} bits/byte ({time.time() - began:.0f} s)")
    ctx, eb, b = t["context"], t["eval_batches"], t["batch"]
    losses = {
        "train_bits_per_byte_last_batch": round(train_bits, 4),
        "kjv_train_bits_per_byte": round(bits_per_byte(model, data["kjv"][0], ctx, eb, b), 4),
        "kjv_heldout_bits_per_byte": round(bits_per_byte(model, data["kjv"][1], ctx, eb, b), 4),
        "shakespeare_train_bits_per_byte": round(bits_per_byte(model, data["shakespeare"][0], ctx, eb, b), 4),
        "shakespeare_heldout_bits_per_byte": round(bits_per_byte(model, data["shakespeare"][1], ctx, eb, b), 4),
    }
    info = {
        "model": "LlamaForCausalLM",
        "parameters": sum(p.numel() for p in model.parameters()),
        "pretraining_corpus": CORPORA["kjv"],
        "held_out": f"the last {HELD_OUT:.0%} of each corpus (bytes)",
        "training": t,
        "torch": torch.__version__,
        "seconds": round(time.time() - began, 1),
        "losses": losses,
    }
    return model, info


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=ROOT / "public" / "models" / "tiny-llama-kjv")
    ap.add_argument("--data", type=Path, default=DATA, help="folder with kjv.txt and tinyshakespeare.txt")
    ap.add_argument("--check", action="store_true", help="retrain and compare the held-out losses with the shipped training.json")
    args = ap.parse_args()
    model, info = train(args.data)
    if args.check:
        shipped = json.loads((args.out / "training.json").read_text())["losses"]
        bad = [k for k in ("kjv_heldout_bits_per_byte", "shakespeare_heldout_bits_per_byte") if round(shipped[k], 2) != round(info["losses"][k], 2)]
        print(json.dumps({"shipped": shipped, "rerun": info["losses"], "differ": bad}, indent=2))
        raise SystemExit(1 if bad else 0)
    args.out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(args.out, safe_serialization=True)
    info["reference_windows"] = reference_windows(model, args.data)
    info["model_safetensors_sha256"] = hashlib.sha256((args.out / "model.safetensors").read_bytes()).hexdigest()
    (args.out / "training.json").write_text(json.dumps(info, indent=2) + "\n")
    print(json.dumps(info["losses"], indent=2))


if __name__ == "__main__":
    main()
