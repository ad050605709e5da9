#!/usr/bin/env python3
"""Train several language-model run configs with the language model's train_with_peft.py in one Python process
(importing transformers and PEFT once costs ~10 s).

    train_lm_runs.py BASE_DIR DATA_DIR DIR...   # each DIR holds run_config.json; the run's outputs are written into DIR
    train_lm_runs.py BASE_DIR DATA_DIR float64:DIR ...   # the same run in float64
"""
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src" / "export"))
import torch  # noqa: E402
from train_lm_with_peft import train  # noqa: E402

base, data, *runs = sys.argv[1:]
for arg in runs:
    dtype, _, d = arg.rpartition(":") if arg.startswith("float64:") else ("float32", "", arg)
    train(json.loads((Path(d) / "run_config.json").read_text()), base, data, d, dtype=getattr(torch, dtype))
