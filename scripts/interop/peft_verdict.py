#!/usr/bin/env python3
"""What real PEFT does with many adapter folders, in one process (importing torch + PEFT takes ~10 s).

    python peft_verdict.py ROOT

ROOT/bases.json names the base models: {"toy": {"sizes": [...], "activation": ..., "weights": path},
"lm": {"folder": path}}; every other folder ROOT/<id>/ holds case.json ({"base": "toy" | "lm"}),
adapter_config.json and adapter_model.safetensors, as a user would have them, and, where the page
accepted the case, page_delta.safetensors: the page's reading of it as W_eff - W for every module it
adapts (s B A).

For each case `PeftModel.from_pretrained(model, folder)` loads the adapter into a working copy of the
base, as a user would; afterwards PEFT's layers are taken out again and the copy is checked against the
pristine base (module types and every weight), and copied afresh when anything is left (deep-copying a
transformers model per case would take most of the run). One JSON line per case: {"id", "loaded", "error"} when PEFT raises; otherwise what PEFT made
of the files:
  missing         LoRA parameters PEFT created but the file did not fill (PEFT warns and keeps a fresh init)
  unused          file tensors that did not end up, value for value, in a PEFT parameter (PEFT ignores them)
  linear          every module acts as x -> x W_eff^T (+ its bias) with the base's bias, and the whole
                  model's output equals the base's with every W replaced by W_eff (so the deltas say it all)
  delta_diff      max |PEFT's W_eff - W  -  the page's delta| over every linear module (page_delta only)
  delta_scale     max |the page's delta|, for a relative tolerance
  adapted         the modules whose W_eff differs from W
  base_changed    the modules whose base weight PEFT changed while loading (PiSSA, OLoRA, ... re-run)
W_eff is measured, not read from PEFT's attributes: each module is fed the identity and zeros.
"""
import copy
import json
import sys
import warnings
from pathlib import Path

import torch
from safetensors.torch import load_file

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src" / "export"))
from load_with_peft import MLP  # noqa: E402  the toy network of every export

import peft  # noqa: E402
import peft.peft_model  # noqa: E402
from peft import PeftModel  # noqa: E402
from peft.tuners.tuners_utils import BaseTunerLayer  # noqa: E402
from transformers import AutoModelForCausalLM  # noqa: E402
from transformers.utils import logging as hf_logging  # noqa: E402

hf_logging.set_verbosity_error()
torch.manual_seed(0)
# tiny matrices: one thread (the default thread pool makes each small matmul milliseconds on a busy machine)
torch.set_num_threads(1)


def load_bases(root):
    spec = json.loads((root / "bases.json").read_text())
    bases = {}
    if "toy" in spec:
        t = spec["toy"]
        m = MLP(t["sizes"], t["activation"], False)
        m.load_state_dict(load_file(t["weights"]), strict=True)
        bases["toy"] = (m.eval(), torch.randn(7, t["sizes"][0]))
    if "lm" in spec:
        m = AutoModelForCausalLM.from_pretrained(spec["lm"]["folder"], dtype=torch.float32).eval()
        bases["lm"] = (m, torch.randint(0, m.config.vocab_size, (1, 9)))
    return bases


def linears(model):
    return {n: m for n, m in model.named_modules() if isinstance(m, torch.nn.Linear)}


def effective(module, d_in):
    """(W_eff, bias) of a module that should be affine: its outputs for the identity and for zeros."""
    with torch.no_grad():
        zero = module(torch.zeros(1, d_in))
        return (module(torch.eye(d_in)) - zero).T.contiguous(), zero[0]


def unwrap(model):
    """Put back the modules PEFT wrapped (LoRA layers, modules_to_save wrappers), wherever it got to."""
    for name, module in list(model.named_modules()):
        if any(f".{w}." in f".{name}." for w in ("original_module", "modules_to_save", "base_layer")):
            continue  # inside a wrapper that is put back as a whole
        original = module.get_base_layer() if isinstance(module, BaseTunerLayer) else getattr(module, "original_module", None)
        if original is not None and name:
            parent, _, child = name.rpartition(".")
            setattr(model.get_submodule(parent) if parent else model, child, original)
    for attr in ("peft_config", "_hf_peft_config_loaded"):
        if attr in model.__dict__:
            delattr(model, attr)


def same(model, base):
    def shape(m):
        return type(m), sorted(m.__dict__), len(m._forward_hooks), len(m._forward_pre_hooks)

    a, b = list(model.named_modules()), list(base.named_modules())
    if [(n, shape(m)) for n, m in a] != [(n, shape(m)) for n, m in b]:
        return False
    pa, pb = dict(model.named_parameters()), dict(base.named_parameters())
    return pa.keys() == pb.keys() and all(torch.equal(pa[k], pb[k]) for k in pa)


class Work:
    """A working copy of each base for PEFT to modify; made again only when unwrapping leaves a trace."""

    def __init__(self, bases):
        self.bases, self.models, self.copies = bases, {}, 0

    def get(self, kind):
        if kind not in self.models:
            self.models[kind] = copy.deepcopy(self.bases[kind][0])
            self.copies += 1
        return self.models[kind]

    def restore(self, kind):
        try:
            unwrap(self.models[kind])
            clean = same(self.models[kind], self.bases[kind][0])
        except Exception:  # noqa: BLE001  a wrapper inside a wrapper, ...: copy afresh
            clean = False
        if not clean:
            del self.models[kind]


def judge(case_dir, bases, captured, work):
    kind = json.loads((case_dir / "case.json").read_text())["base"]
    for attempt in range(2):
        try:
            res = judge_on(case_dir, kind, bases, captured, work.get(kind))
        finally:
            work.restore(kind)
        # a RecursionError comes from a working copy an earlier case left broken: again on a fresh copy
        if "RecursionError" not in res.get("error", "") or attempt:
            return res
        work.models.pop(kind, None)


def judge_on(case_dir, kind, bases, captured, model):
    base, probe = bases[kind]
    captured.clear()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            pm = PeftModel.from_pretrained(model, str(case_dir)).eval()
        except BaseException as e:  # noqa: BLE001  any failure is PEFT refusing the folder
            return {"loaded": False, "error": f"{type(e).__name__}: {e}"[:400]}
    out = {"loaded": True, "warnings": sorted({str(w.message)[:200] for w in caught})}
    out["missing"] = sorted(k for r in captured for k in r.missing_keys)
    params = dict(pm.named_parameters())
    saved = load_file(case_dir / "adapter_model.safetensors")
    out["unused"] = sorted(
        k for k, v in saved.items()
        if (p := params.get(k.replace(".weight", ".default.weight"))) is None or p.shape != v.shape or not torch.equal(p.detach(), v.to(p.dtype))
    )
    try:
        out.update(measure(pm, kind, base, probe, case_dir))
    except Exception as e:  # noqa: BLE001  e.g. a toy MLP wrapped for CAUSAL_LM cannot be called
        out.update(linear=False, adapted=[], error=f"forward: {type(e).__name__}: {e}"[:400])
    return out


def measure(pm, kind, base, probe, case_dir):
    out = {}
    inner = pm.get_base_model()
    page = load_file(case_dir / "page_delta.safetensors") if (case_dir / "page_delta.safetensors").exists() else None
    w_effs = {}
    linear, adapted, diff, scale, base_changed = True, [], 0.0, 0.0, []
    for name, lin in linears(base).items():
        module = inner.get_submodule(name)
        held = module.get_base_layer() if isinstance(module, BaseTunerLayer) else module
        if not torch.equal(held.weight, lin.weight):
            base_changed.append(name)  # e.g. PiSSA / OLoRA re-initialised on load
        w_eff, bias = effective(module, lin.in_features)
        if not (torch.isfinite(w_eff).all() and torch.isfinite(bias).all()):
            return {"linear": False, "adapted": [name], "error": f"{name} has non-finite weights"}
        want_bias = lin.bias.detach() if lin.bias is not None else torch.zeros(lin.out_features)
        linear &= bool(torch.allclose(bias, want_bias, atol=1e-6))
        delta = w_eff - lin.weight.detach()
        if delta.abs().max().item() > 1e-6:
            adapted.append(name)
        w_effs[name] = w_eff
        if page is not None:
            want = page.get(f"{name}.weight", torch.zeros_like(delta))
            diff = max(diff, (delta - want).abs().max().item()) if want.shape == delta.shape else float("inf")
            scale = max(scale, want.abs().max().item())
    # the pristine base with every W replaced by W_eff, for one forward pass, then put back
    lins = linears(base)
    saved = {n: lins[n].weight.data for n in w_effs}
    try:
        for n, w in w_effs.items():
            lins[n].weight.data = w
        with torch.no_grad():
            expect = base(probe)
    finally:
        for n, w in saved.items():
            lins[n].weight.data = w
    with torch.no_grad():
        got = pm(probe)
    got, expect = (got.logits, expect.logits) if kind == "lm" else (got, expect)
    linear &= bool(torch.allclose(got, expect, atol=1e-4, rtol=1e-4))
    out.update(linear=linear, adapted=adapted, base_changed=base_changed)
    if page is not None:
        out.update(delta_diff=diff, delta_scale=scale)
    return out


def main():
    root = Path(sys.argv[1])
    bases = load_bases(root)
    captured = []
    original = peft.peft_model.set_peft_model_state_dict

    def recording(*args, **kwargs):
        result = original(*args, **kwargs)
        captured.append(result)
        return result

    peft.peft_model.set_peft_model_state_dict = recording
    work = Work(bases)
    for case_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        res = judge(case_dir, bases, captured, work)
        print(json.dumps({"id": case_dir.name, **res}), flush=True)
    print(json.dumps({"id": "_summary", "base_copies": work.copies}), flush=True)


if __name__ == "__main__":
    main()
