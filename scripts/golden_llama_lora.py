"""Golden cases for one LoRA training step of the language model (src/ref/llamaLora.ts), from PEFT itself.

    .venv/bin/python scripts/golden_llama_lora.py     # writes fixtures/golden/llama_lora_step.json

The tiny LlamaForCausalLM of scripts/golden_llama.py (same config, same seeded float32 weights), wrapped by
PEFT's get_peft_model and run in float64 throughout: transformers computes RMSNorm, the rotary table and the
eager attention's softmax in float32 even in a float64 model, which would blur the comparison to ~1e-6, so
those three are computed in float64 here (float64_throughout). Every case also records the loss of the model
as transformers computes it, and the script checks that its gradients agree with the float64 ones to ~1e-5.

Each case sets every lora_A and lora_B to seeded random float32 values (B nonzero, so every gradient is
nonzero), takes a batch of windows of WINDOW tokens (inputs are a window's first WINDOW - 1 tokens, labels
the next tokens), and records the mean cross-entropy over all positions, the logits of the first window, the
gradient of every lora_A and lora_B, and the adapters after one torch.optim.AdamW step over all LoRA
parameters.
Cases: every module type on every layer; rsLoRA on some types of the top layer only; some types of the
bottom layer only (their gradients pass back through the frozen top layer).
"""

import json
from contextlib import contextmanager
from pathlib import Path
from unittest.mock import patch

import peft
import torch
import torch.nn.functional as F
import transformers
from peft import LoraConfig, get_peft_model
from transformers.models.llama.modeling_llama import LlamaRMSNorm, LlamaRotaryEmbedding

from golden_llama import CONFIG, tiny_model

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "fixtures" / "golden" / "llama_lora_step.json"

ALL_TYPES = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
ATTENTION = {"q_proj", "k_proj", "v_proj", "o_proj"}
BATCH = 2
WINDOW = 10
ADAMW = dict(lr=1e-2, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
CASES = [
    dict(name="all", r=3, lora_alpha=6, use_rslora=False, target_modules=ALL_TYPES, layers=[0, 1]),
    dict(name="rslora_some", r=2, lora_alpha=4, use_rslora=True, target_modules=["q_proj", "v_proj", "down_proj"], layers=[1]),
    dict(name="bottom", r=2, lora_alpha=3, use_rslora=False, target_modules=["o_proj", "up_proj"], layers=[0]),
]
# PEFT's parameter names are base_model.model.<module>.lora_A.default.weight
PREFIX = "base_model.model."


def module_name(layer: int, t: str) -> str:
    return f"model.layers.{layer}.{'self_attn' if t in ATTENTION else 'mlp'}.{t}"


def split(param_name: str) -> tuple[str, str]:
    """(module name, 'A' or 'B') of a PEFT LoRA parameter."""
    assert param_name.startswith(PREFIX), param_name
    module, factor, adapter, leaf = param_name[len(PREFIX) :].rsplit(".", 3)
    assert adapter == "default" and leaf == "weight" and factor in ("lora_A", "lora_B"), param_name
    return module, factor[-1]


def rms_norm_float64(self: LlamaRMSNorm, x: torch.Tensor) -> torch.Tensor:
    """w * x / sqrt(mean(x^2) + eps) in the input's precision."""
    return self.weight * x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.variance_epsilon)


def rotary_float64(self: LlamaRotaryEmbedding, x: torch.Tensor, position_ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """transformers' angles (float32 products of the float32 inverse frequencies and the positions), their cos and
    sin taken in float64 and rounded to float32: src/ref/rope.ts's table, which differs from transformers'
    float32 cos and sin by at most their last bit."""
    angles = (self.inv_freq.float()[None, :, None] @ position_ids[:, None, :].float()).transpose(1, 2)
    emb = torch.cat((angles, angles), dim=-1).double()
    return emb.cos().float().to(x.dtype), emb.sin().float().to(x.dtype)


@contextmanager
def float64_throughout(model: torch.nn.Module):
    """RMSNorm and the rotary table in float64, and attention by SDPA, which computes its softmax in the inputs' dtype."""
    model.set_attn_implementation("sdpa")
    try:
        with patch.object(LlamaRMSNorm, "forward", rms_norm_float64), patch.object(LlamaRotaryEmbedding, "forward", rotary_float64):
            yield
    finally:
        model.set_attn_implementation("eager")


def run_case(case: dict, seed: int) -> dict:
    """The case in float64 throughout, checked against the same step as transformers computes it."""
    base = tiny_model()
    with float64_throughout(base):
        out = step(base, case, seed)
    as_is = step(tiny_model(), case, seed)
    assert as_is["windows"] == out["windows"] and as_is["adapters"] == out["adapters"]
    assert abs(as_is["loss"] - out["loss"]) < 1e-6 * out["loss"], (as_is["loss"], out["loss"])
    worst = 0.0  # largest gradient difference, relative to the largest gradient entry of its tensor
    for m, g in out["grads"].items():
        for k, v in g.items():
            err = max(abs(a - b) for a, b in zip(v, as_is["grads"][m][k])) / max(abs(a) for a in v)
            assert err < 1e-5, (m, k, err)
            worst = max(worst, err)
    print(f"  {case['name']}: transformers as it runs differs by {abs(as_is['loss'] - out['loss']) / out['loss']:.1e} in the loss, {worst:.1e} in the gradients")
    out["loss_transformers"] = as_is["loss"]
    return out


def step(base: torch.nn.Module, case: dict, seed: int) -> dict:
    config = LoraConfig(
        r=case["r"],
        lora_alpha=case["lora_alpha"],
        use_rslora=case["use_rslora"],
        target_modules=case["target_modules"],
        layers_to_transform=case["layers"],
        lora_dropout=0.0,
        bias="none",
    )
    model = get_peft_model(base, config).double()
    model.train()  # dropout is 0, so train and eval compute the same; train as a training step does
    lora = {n: p for n, p in model.named_parameters() if p.requires_grad}
    want = {module_name(l, t) for l in case["layers"] for t in case["target_modules"]}
    assert {split(n)[0] for n in lora} == want, sorted({split(n)[0] for n in lora} ^ want)
    assert len(lora) == 2 * len(want), "only lora_A and lora_B train"

    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for n, p in lora.items():
            p.copy_((0.3 * torch.randn(p.shape, generator=gen, dtype=torch.float64)).float())
    scalings = {m.scaling["default"] for m in model.modules() if isinstance(m, peft.tuners.lora.LoraLayer)}
    assert len(scalings) == 1
    scaling = scalings.pop()
    expected = case["lora_alpha"] / (case["r"] ** 0.5 if case["use_rslora"] else case["r"])
    assert abs(scaling - expected) < 1e-15, (scaling, expected)

    adapters: dict[str, dict] = {}
    for n, p in lora.items():
        module, factor = split(n)
        adapters.setdefault(module, {"r": case["r"]})[factor] = p.detach().flatten().tolist()

    windows = torch.randint(0, CONFIG["vocab_size"], (BATCH, WINDOW), generator=gen)
    logits = model(input_ids=windows[:, :-1]).logits  # (BATCH, WINDOW - 1, vocab)
    loss = F.cross_entropy(logits.reshape(-1, CONFIG["vocab_size"]), windows[:, 1:].reshape(-1))
    loss.backward()
    grads: dict[str, dict] = {}
    for n, p in lora.items():
        module, factor = split(n)
        assert p.grad is not None and p.grad.abs().max() > 0, n
        grads.setdefault(module, {})["d" + factor] = p.grad.flatten().tolist()

    opt = torch.optim.AdamW(list(lora.values()), **ADAMW)
    opt.step()
    after: dict[str, dict] = {}
    for n, p in lora.items():
        module, factor = split(n)
        after.setdefault(module, {})[factor] = p.detach().flatten().tolist()

    return {
        "name": case["name"],
        "lora_config": {k: case[k] for k in ("r", "lora_alpha", "use_rslora", "target_modules")} | {"layers_to_transform": case["layers"]},
        "scaling": scaling,
        "adapters": adapters,
        "windows": windows.tolist(),
        "loss": loss.item(),
        "logits_first_window": logits[0].detach().flatten().tolist(),
        "grads": grads,
        "after_adamw": after,
    }


def main() -> None:
    base = tiny_model()
    hf = json.loads(base.config.to_json_string())
    weights = {n: p.detach().flatten().tolist() for n, p in base.named_parameters()}
    cases = [run_case(c, seed=10 + i) for i, c in enumerate(CASES)]
    about = (
        f"peft {peft.__version__}, transformers {transformers.__version__}, torch {torch.__version__}, float64. "
        "float64 throughout: RMSNorm, the rotary table (cos and sin of transformers' float32 angles, rounded to float32) "
        "and the attention softmax, which transformers computes in float32, are float64 here; loss_transformers is the "
        "loss of the unpatched model. "
        "Base weights by HF name (float32 values), row-major; adapters by PEFT module name: A (r, in), B (out, r), "
        "row-major, float32 values. Each case: windows (batch, seq + 1); logits = model(input_ids=windows[:, :-1]); "
        "loss = mean cross-entropy (natural log) over every position against windows[:, 1:]; logits_first_window "
        "(seq, vocab); grads of every lora_A and lora_B; after_adamw: the adapters after one torch.optim.AdamW step "
        "over all LoRA parameters with the hyperparameters in adamw (one group)."
    )
    doc = {"about": about, "config": hf, "adamw": ADAMW, "weights": weights, "cases": cases}
    OUT.write_text(json.dumps(doc) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")
    for c in cases:
        print(f"  {c['name']}: {len(c['adapters'])} modules, scaling {c['scaling']:.6g}, loss {c['loss']:.12g}")


if __name__ == "__main__":
    main()
