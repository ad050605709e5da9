#!/usr/bin/env python3
"""Load a LoRA Lab language-model export with transformers and PEFT, and continue a prompt with it.

LoRA Lab writes this file into every language-model export. base/ is a plain transformers
LlamaForCausalLM, adapter/ a PEFT LoRA adapter for it. The vocabulary is bytes (token id = UTF-8 byte
value), so no tokenizer is needed.

    pip install torch transformers peft safetensors
    python load_adapter.py                                  # greedy continuation of the export's prompt
    python load_adapter.py --prompt "And God said" --tokens 80
    python load_adapter.py --check                          # also compare with what the page computed

--check compares the logits of test_cases.json's token sequences with the page's (and the greedy
continuation with the page's tokens), prints the largest differences, and exits with code 1 when they
disagree. The last line printed is then a JSON summary (for scripts): RESULT {...}.
"""
import argparse
import json
import sys
from pathlib import Path

import torch
from peft import PeftModel
from transformers import AutoModelForCausalLM

HERE = Path(__file__).resolve().parent


def load_model():
    base = AutoModelForCausalLM.from_pretrained(str(HERE / "base"), dtype=torch.float32)
    return PeftModel.from_pretrained(base, str(HERE / "adapter")).eval()


def encode(text):
    return list(text.encode("utf-8"))


def decode(ids):
    return bytes(ids).decode("utf-8", errors="replace")


def greedy(model, prompt_ids, count):
    """`count` new token ids, each the argmax of the logits (do_sample=False)."""
    ids = torch.tensor([prompt_ids])
    with torch.no_grad():
        out = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=count, do_sample=False, pad_token_id=0)
    return out[0, len(prompt_ids):].tolist()


def check(model, cases):
    tol = cases["tolerance"]
    atol, rtol = tol["atol"], tol["rtol"]
    result = {"cases": len(cases["cases"]), "max_abs_diff": 0.0}
    ok = True
    for i, case in enumerate(cases["cases"]):
        want = torch.tensor(case["logits"], dtype=torch.float32)
        with torch.no_grad():
            got = model(torch.tensor([case["tokens"]])).logits[0]
        diff = (got - want).abs()
        within = bool((diff <= atol + rtol * want.abs()).all())
        ok &= within
        result["max_abs_diff"] = max(result["max_abs_diff"], diff.max().item())
        print(f"case {i} ({len(case['tokens'])} tokens): max |logit diff| = {diff.max().item():.3e}   ({'OK' if within else 'FAIL'})")
    gen = cases["generation"]
    got = greedy(model, gen["prompt_tokens"], len(gen["tokens"]))
    result["tokens_equal"] = got == gen["tokens"]
    ok &= result["tokens_equal"]
    if result["tokens_equal"]:
        print(f"greedy continuation ({len(got)} tokens): the same tokens as the page")
    else:
        print(f"greedy continuation DIFFERS from the page's: {decode(got)!r} vs {decode(gen['tokens'])!r}  (FAIL)")
    result["ok"] = bool(ok)
    return result


def main():
    cases = json.loads((HERE / "test_cases.json").read_text())
    if cases.get("format") != "lora-lab-lm-cases/1":
        sys.exit(f"unexpected test_cases.json format {cases.get('format')!r}")
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--prompt", default=cases["generation"]["prompt"])
    ap.add_argument("--tokens", type=int, default=len(cases["generation"]["tokens"]))
    ap.add_argument("--check", action="store_true", help="compare with test_cases.json; exit code 1 on a difference")
    args = ap.parse_args()

    model = load_model()
    new = greedy(model, encode(args.prompt), args.tokens)
    print(args.prompt + decode(new))
    if args.check:
        result = check(model, cases)
        print("RESULT " + json.dumps(result))
        sys.exit(0 if result["ok"] else 1)


if __name__ == "__main__":
    main()
