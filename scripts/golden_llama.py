"""Golden cases for the language model's CPU reference (src/ref/llama.ts), from transformers itself.

    .venv/bin/python scripts/golden_llama.py     # writes fixtures/golden/llama_forward.json

A tiny LlamaForCausalLM (grouped-query attention: 4 query heads on 2 key/value heads, 2 layers), seeded
random weights rounded to float32, run by transformers in float64; the logits of token sequences of
awkward lengths (1, a prime, the whole context). Weights are stored by their HF names, row-major.
"""

import json
from pathlib import Path

import torch
from transformers import LlamaConfig, LlamaForCausalLM

OUT = Path(__file__).resolve().parent.parent / "fixtures" / "golden" / "llama_forward.json"

CONFIG = dict(
    vocab_size=32,
    hidden_size=16,
    intermediate_size=24,
    num_hidden_layers=2,
    num_attention_heads=4,
    num_key_value_heads=2,
    max_position_embeddings=13,
    rms_norm_eps=1e-5,
    rope_parameters={"rope_type": "default", "rope_theta": 10000.0},
    hidden_act="silu",
    attention_bias=False,
    mlp_bias=False,
    tie_word_embeddings=False,
)


def main() -> None:
    torch.manual_seed(0)
    model = LlamaForCausalLM(LlamaConfig(**CONFIG, attn_implementation="eager"))
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.copy_(1 + 0.3 * torch.randn_like(p))
            else:
                p.copy_(0.4 * torch.randn_like(p))
            p.copy_(p.float())  # float32 values, so the reference reads exactly these weights
    model = model.double().eval()
    gen = torch.Generator().manual_seed(1)
    cases = []
    for length in (1, 7, CONFIG["max_position_embeddings"]):
        tokens = torch.randint(0, CONFIG["vocab_size"], (length,), generator=gen)
        with torch.no_grad():
            logits = model(input_ids=tokens[None, :]).logits[0]
        cases.append({"tokens": tokens.tolist(), "logits": logits.flatten().tolist()})
    weights = {n: p.detach().flatten().tolist() for n, p in model.named_parameters()}
    shapes = {n: list(p.shape) for n, p in model.named_parameters()}
    hf = json.loads(model.config.to_json_string())
    OUT.write_text(json.dumps({"source": "transformers " + __import__("transformers").__version__ + ", float64", "config": hf, "shapes": shapes, "weights": weights, "cases": cases}) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
