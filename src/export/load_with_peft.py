#!/usr/bin/env python3
"""Check a LoRA Lab export with Hugging Face PEFT (written by LoRA Lab into every export bundle).

Rebuilds the base network in PyTorch from test_cases.json's model description, loads
base_model.safetensors into it, attaches adapter/ with PeftModel.from_pretrained, runs the test inputs
and prints the largest difference from the outputs LoRA Lab computed in the browser; then merges the
adapter into the weights (merge_and_unload) and checks again. A full fine-tuning export has no adapter
(PEFT adapters are LoRA only): its finetuned_model.safetensors is loaded and checked instead.

    pip install torch peft safetensors
    python load_with_peft.py            # exit code 0 when everything agrees within the tolerance

The last line printed is a JSON summary (for scripts): RESULT {...}.
"""
import json
import sys
from pathlib import Path

import torch
from safetensors.torch import load_file
from torch import nn

HERE = Path(__file__).resolve().parent
MERGE_ATOL = 1e-4  # merged weights must reproduce the unmerged adapter's outputs this closely


class MLP(nn.Module):
    """layers.0 .. layers.L (activation after each), then head; names match the exported weights."""

    def __init__(self, sizes, activation, bias):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(sizes[i], sizes[i + 1], bias=bias) for i in range(len(sizes) - 2))
        self.head = nn.Linear(sizes[-2], sizes[-1], bias=bias)
        self.activation = activation

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
            x = nn.functional.gelu(x, approximate="tanh") if self.activation == "gelu_tanh" else torch.relu(x)
        return self.head(x)


def build_base(desc):
    if desc["arch"] != "mlp":
        sys.exit(f"unknown architecture {desc['arch']!r} in test_cases.json")
    model = MLP(desc["sizes"], desc["activation"], desc["bias"])
    model.load_state_dict(load_file(HERE / "base_model.safetensors"), strict=True)
    return model.eval()


def compare(name, got, want, atol, rtol):
    diff = (got - want).abs()
    max_abs = diff.max().item()
    excess = (diff / (atol + rtol * want.abs())).max().item()  # <= 1 means within tolerance
    ok = excess <= 1.0
    print(f"{name:<36} max |diff| = {max_abs:.3e}   (tolerance atol {atol:g} + rtol {rtol:g} |expected|: {'OK' if ok else 'FAIL'})")
    return max_abs, ok


def main():
    cases = json.loads((HERE / "test_cases.json").read_text())
    if cases.get("format") != "lora-interop-cases/1":
        sys.exit(f"unexpected test_cases.json format {cases.get('format')!r}")
    tol = cases["tolerance"]
    atol, rtol = tol["atol"], tol["rtol"]
    x = torch.tensor(cases["inputs"], dtype=torch.float32)
    base_want = torch.tensor(cases["base_outputs"], dtype=torch.float32)
    want = torch.tensor(cases["adapted_outputs"], dtype=torch.float32)
    result = {"torch": torch.__version__}
    oks = []

    model = build_base(cases["model"])
    with torch.no_grad():
        result["base_max_abs_diff"], ok = compare("base model vs base_outputs", model(x), base_want, atol, rtol)
    oks.append(ok)

    if (HERE / "adapter" / "adapter_config.json").exists():
        import peft
        from peft import PeftModel

        result["peft"] = peft.__version__
        adapter_dir = HERE / "adapter"
        peft_model = PeftModel.from_pretrained(model, str(adapter_dir)).eval()
        # Every tensor in the file must have been loaded (a name mismatch would leave fresh LoRA weights).
        saved = load_file(adapter_dir / "adapter_model.safetensors")
        params = dict(peft_model.named_parameters())
        for key, value in saved.items():
            loaded = params.get(key.replace(".weight", ".default.weight"))
            if loaded is None or not torch.equal(loaded.detach(), value):
                sys.exit(f"PEFT did not load {key} from adapter_model.safetensors")
        print(f"PEFT {peft.__version__} loaded {len(saved)} LoRA tensors from adapter/")
        with torch.no_grad():
            adapted = peft_model(x)
            result["adapted_max_abs_diff"], ok = compare("PEFT adapter vs adapted_outputs", adapted, want, atol, rtol)
            oks.append(ok)
            merged_model = peft_model.merge_and_unload()
            merged = merged_model(x)
            result["merged_max_abs_diff"], ok = compare("merged vs adapted_outputs", merged, want, atol, rtol)
            oks.append(ok)
            result["merged_vs_unmerged_max_abs_diff"] = (merged - adapted).abs().max().item()
            ok = result["merged_vs_unmerged_max_abs_diff"] <= MERGE_ATOL
            print(f"{'merged vs unmerged PEFT':<36} max |diff| = {result['merged_vs_unmerged_max_abs_diff']:.3e}   (limit {MERGE_ATOL:g}: {'OK' if ok else 'FAIL'})")
            oks.append(ok)
    else:
        finetuned = build_base(cases["model"])
        finetuned.load_state_dict(load_file(HERE / "finetuned_model.safetensors"), strict=True)
        print("full fine-tuning export: no PEFT adapter; checking finetuned_model.safetensors")
        with torch.no_grad():
            result["adapted_max_abs_diff"], ok = compare("fine-tuned model vs adapted_outputs", finetuned(x), want, atol, rtol)
        oks.append(ok)

    result["ok"] = all(oks)
    print("RESULT " + json.dumps(result))
    sys.exit(0 if result["ok"] else 1)


if __name__ == "__main__":
    main()
