"""Golden cases for the language model's CPU reference (src/ref/llama.ts), from transformers itself.

    .venv/bin/python scripts/golden_llama.py     # writes fixtures/golden/llama_forward.json

A tiny LlamaForCausalLM (grouped-query attention: 4 query heads on 2 key/value heads, 2 layers), seeded
random weights rounded to float32, run by transformers in float64; the logits of token sequences of
awkward lengths (1, a prime, the whole context). Weights are stored by their HF names, row-major.
Also the shipped base's greedy continuations of two prompts (llama_generate.json), float32 as the page runs.
"""

import json
from pathlib import Path

import torch
from transformers import LlamaConfig, LlamaForCausalLM

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "fixtures" / "golden" / "llama_forward.json"
# Greedy generation of the shipped base (public/models/tiny-llama-kjv), which the page must reproduce.
GENERATE_OUT = ROOT / "fixtures" / "golden" / "llama_generate.json"
PROMPTS = ["And the LORD said", "ROMEO:\n"]
NEW_TOKENS = 40

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


def tiny_model() -> LlamaForCausalLM:
    """The tiny model of CONFIG with seeded weights (float32 values), in float64 for evaluation."""
    torch.manual_seed(0)
    model = LlamaForCausalLM(LlamaConfig(**CONFIG, attn_implementation="eager"))
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.copy_(1 + 0.3 * torch.randn_like(p))
            else:
                p.copy_(0.4 * torch.randn_like(p))
            p.copy_(p.float())  # float32 values, so the reference reads exactly these weights
    return model.double().eval()


def main() -> None:
    model = tiny_model()
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
    generate()


def generate() -> None:
    base = LlamaForCausalLM.from_pretrained(ROOT / "public" / "models" / "tiny-llama-kjv").eval()
    cases = []
    for prompt in PROMPTS:
        ids = torch.tensor([list(prompt.encode())])
        with torch.no_grad():
            out = base.generate(ids, max_new_tokens=NEW_TOKENS, do_sample=False, pad_token_id=0)
        cases.append({"prompt": prompt, "tokens": out[0, ids.shape[1] :].tolist()})
    GENERATE_OUT.write_text(json.dumps({"source": "transformers " + __import__("transformers").__version__ + " generate(do_sample=False), float32", "model": "public/models/tiny-llama-kjv", "cases": cases}, indent=1) + "\n")
    print(f"wrote {GENERATE_OUT}")


if __name__ == "__main__":
    main()
