#!/usr/bin/env python3
"""Check LoRA Lab language-model exports against real transformers and PEFT (CI runs it on a page's export).

    check_lm_bundle.py BUNDLE_DIR_OR_ZIP...

For each bundle, base/ is loaded with AutoModelForCausalLM.from_pretrained and adapter/ with
PeftModel.from_pretrained, float32 on the CPU; the check requires
  - every tensor of adapter_model.safetensors loaded into a LoRA layer, and every LoRA layer loaded from one;
  - the logits of every test case within atol 1e-4 + rtol 1e-3 * |page's| of the page's;
  - the greedy continuation (generate, do_sample=False) of the prompt, as many tokens as the page made,
    identical to the page's tokens;
  - merge_and_unload()'s logits within 1e-5 * max(1, largest |logit|) of the unmerged adapter's;
  - when the bundle has merged/: that plain model within the case tolerance of the page, within the same
    limit of PEFT's merge, and the same continuation;
  - the bundle's own load_adapter.py --check, run as a user would, exits with 0;
  - when the bundle holds train_with_peft.py and metrics.csv: the run trained again by that script (float32,
    CPU, in this process) logs the page's losses and held-out losses at every logged step within 1e-4
    relative, and ends with the exported adapter within 1e-4 * max(1, largest |value|).
The tolerances are this script's, not the bundle's, so that a bundle cannot loosen its own check.
Prints one JSON line per bundle (its figures, "failures" and "ok"); exit code 1 when any bundle fails.
"""
import contextlib
import csv
import importlib
import json
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import torch
from peft import PeftModel
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM

ATOL, RTOL = 1e-4, 1e-3  # an independent float32 implementation against the page's
# Merged weights against the unmerged adapter, both in PyTorch. Rounding W + s B A to float32 moves the
# logits by a few float32 steps at their own scale (measured: 3.4e-5 with logits up to 20), so the limit
# scales with the largest logit; a wrong merge (scaling, transposed factor) is off by 1e-1 or more.
MERGE_RTOL = 1e-5
# The page's GPU run (float32, its own summation order) against PyTorch's float32 rerun of it: the same
# windows, init and updates, so they part only by float32 rounding (measured on the e2e export, 10 steps
# on SwiftShader: 3.7e-6 in loss, 6.7e-6 in the adapter); the same run with its lr 10% off moved them by
# 1.3e-3 and 4.7e-3.
RERUN_RTOL = 1e-4


def bundle_root(path, tmp):
    """The folder holding base/ and adapter/: the path itself, or the zip's contents (at the top or in one folder)."""
    p = Path(path)
    if p.is_dir():
        return p
    with zipfile.ZipFile(p) as z:
        z.extractall(tmp)
    tops = [d for d in Path(tmp).iterdir() if d.is_dir()]
    if not (Path(tmp) / "base").is_dir() and len(tops) == 1:
        return tops[0]
    return Path(tmp)


def logits(model, tokens):
    with torch.no_grad():
        return model(torch.tensor([tokens])).logits[0]


def greedy(model, prompt_ids, count):
    ids = torch.tensor([prompt_ids])
    with torch.no_grad():
        out = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=count, do_sample=False, pad_token_id=0)
    return out[0, len(prompt_ids):].tolist()


def rerun(root, saved, tmp):
    """The bundle's train_with_peft.py trains the run again (imported from the bundle, so its own modules):
    its logged losses against the page's metrics.csv, its adapter against the exported one."""
    for name in ("train_with_peft", "lm_task", "toy_task", "train_common"):
        sys.modules.pop(name, None)  # each bundle's own files
    sys.path.insert(0, str(root))
    t0 = time.perf_counter()
    try:
        script = importlib.import_module("train_with_peft")
        cfg = json.loads((root / "run_config.json").read_text())
        with contextlib.redirect_stdout(sys.stderr):  # stdout holds this script's JSON lines only
            points, _ = script.train(cfg, root / "base", root / "data", Path(tmp) / "rerun")
    finally:
        sys.path.remove(str(root))
    with open(root / "metrics.csv", newline="") as f:
        page = list(csv.DictReader(f))
    ours = {p["step"]: p for p in points}
    rel = lambda a, b: abs(a - b) / abs(b)
    out = {"rerun_seconds": round(time.perf_counter() - t0, 2), "rerun_logged_steps": len(points), "rerun_logged_steps_compared": 0, "rerun_max_loss_rel": 0.0}
    missing = [row["step"] for row in page if int(row["step"]) not in ours]
    for row in page:
        p = ours.get(int(row["step"]))
        if p is None:
            continue
        out["rerun_logged_steps_compared"] += 1
        worst = rel(p["loss"], float(row["loss"]))
        if row["eval_loss"]:
            worst = max(worst, rel(p["evalLoss"], float(row["eval_loss"])))
        out["rerun_max_loss_rel"] = max(out["rerun_max_loss_rel"], worst)
    again = load_file(str(Path(tmp) / "rerun" / "adapter" / "adapter_model.safetensors"))
    scale = max(1.0, max(v.abs().max().item() for v in saved.values()))
    out["rerun_adapter_max_abs_diff"] = max((again[k] - v).abs().max().item() if k in again else float("inf") for k, v in saved.items())
    out["rerun_adapter_limit"] = RERUN_RTOL * scale
    return out, missing


def check(path):
    res = {"bundle": str(path), "failures": []}
    fail = res["failures"].append
    with tempfile.TemporaryDirectory() as tmp:
        root = bundle_root(path, tmp)
        cases = json.loads((root / "test_cases.json").read_text())
        if cases.get("format") != "lora-lab-lm-cases/1":
            fail(f"test_cases.json: unexpected format {cases.get('format')!r}")
            return res
        base = AutoModelForCausalLM.from_pretrained(str(root / "base"), dtype=torch.float32).eval()
        model = PeftModel.from_pretrained(base, str(root / "adapter")).eval()

        # A name PEFT does not recognise would leave that LoRA layer at its fresh init, silently.
        saved = load_file(str(root / "adapter" / "adapter_model.safetensors"))
        params = {k: v for k, v in model.named_parameters() if ".lora_" in k}
        for key, value in saved.items():
            got = params.get(key.replace(".weight", ".default.weight"))
            if got is None or not torch.equal(got.detach(), value.to(got.dtype)):
                fail(f"PEFT did not load {key}")
        unloaded = sorted(set(params) - {k.replace(".weight", ".default.weight") for k in saved})
        if unloaded:
            fail(f"LoRA layers without a tensor in adapter_model.safetensors: {unloaded[:4]}")
        res["lora_tensors"] = len(saved)

        page = [torch.tensor(c["logits"], dtype=torch.float32) for c in cases["cases"]]
        unmerged = [logits(model, c["tokens"]) for c in cases["cases"]]
        res["cases"] = len(page)
        res["max_abs_logit_diff"] = max((u - p).abs().max().item() for u, p in zip(unmerged, page))
        # <= 1 is within the tolerance
        res["max_tolerance_ratio"] = max(((u - p).abs() / (ATOL + RTOL * p.abs())).max().item() for u, p in zip(unmerged, page))
        if res["max_tolerance_ratio"] > 1:
            fail(f"logits differ from the page's by up to {res['max_abs_logit_diff']:.3e} (tolerance atol {ATOL} + rtol {RTOL} * |page|)")

        gen = cases["generation"]
        want = gen["tokens"]
        got = greedy(model, gen["prompt_tokens"], len(want))
        res["generated_tokens"] = len(got)
        res["tokens_equal"] = got == want
        if not res["tokens_equal"]:
            first = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
            fail(f"greedy continuation differs from the page's at token {first}: {bytes(got).decode('utf-8', 'replace')!r} vs {bytes(want).decode('utf-8', 'replace')!r}")

        merged = model.merge_and_unload().eval()
        after = [logits(merged, c["tokens"]) for c in cases["cases"]]
        res["merge_limit"] = limit = MERGE_RTOL * max(1.0, max(u.abs().max().item() for u in unmerged))
        res["merged_vs_unmerged_max_abs_diff"] = max((a - u).abs().max().item() for a, u in zip(after, unmerged))
        if res["merged_vs_unmerged_max_abs_diff"] > limit:
            fail(f"merge_and_unload changes the logits by {res['merged_vs_unmerged_max_abs_diff']:.3e} (limit {limit:.3e})")

        if (root / "merged").is_dir():
            plain = AutoModelForCausalLM.from_pretrained(str(root / "merged"), dtype=torch.float32).eval()
            folder = [logits(plain, c["tokens"]) for c in cases["cases"]]
            res["merged_folder_vs_page_max_abs_diff"] = max((f - p).abs().max().item() for f, p in zip(folder, page))
            res["merged_folder_vs_peft_merge_max_abs_diff"] = max((f - a).abs().max().item() for f, a in zip(folder, after))
            if max(((f - p).abs() / (ATOL + RTOL * p.abs())).max().item() for f, p in zip(folder, page)) > 1:
                fail(f"merged/ logits differ from the page's by up to {res['merged_folder_vs_page_max_abs_diff']:.3e}")
            if res["merged_folder_vs_peft_merge_max_abs_diff"] > limit:
                fail(f"merged/ differs from PEFT's merge_and_unload by {res['merged_folder_vs_peft_merge_max_abs_diff']:.3e} (limit {limit:.3e})")
            res["merged_folder_tokens_equal"] = greedy(plain, gen["prompt_tokens"], len(want)) == want
            if not res["merged_folder_tokens_equal"]:
                fail("merged/ continues the prompt differently from the page")

        run = subprocess.run([sys.executable, str(root / "load_adapter.py"), "--check"], cwd=root, capture_output=True, text=True, timeout=600)
        res["load_adapter_exit_code"] = run.returncode
        if run.returncode != 0:
            fail(f"load_adapter.py --check exited with {run.returncode}: {(run.stdout + run.stderr).strip()[-600:]}")

        if (root / "train_with_peft.py").is_file() and (root / "metrics.csv").is_file():
            figures, missing = rerun(root, saved, tmp)
            res.update(figures)
            if missing:
                fail(f"train_with_peft.py did not log the page's steps {missing[:5]}")
            if not figures["rerun_max_loss_rel"] <= RERUN_RTOL:
                fail(f"train_with_peft.py's losses differ from the page's by {figures['rerun_max_loss_rel']:.3e} relative (limit {RERUN_RTOL})")
            if not figures["rerun_adapter_max_abs_diff"] <= figures["rerun_adapter_limit"]:
                fail(f"train_with_peft.py's adapter differs from the exported one by {figures['rerun_adapter_max_abs_diff']:.3e} (limit {figures['rerun_adapter_limit']:.3e})")
    return res


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    ok = True
    for path in sys.argv[1:]:
        try:
            res = check(path)
        except Exception as e:  # a bundle that cannot be loaded fails its check; the others still run
            res = {"bundle": path, "failures": [f"{type(e).__name__}: {e}"]}
        res["ok"] = not res["failures"]
        ok &= res["ok"]
        print(json.dumps(res), flush=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
