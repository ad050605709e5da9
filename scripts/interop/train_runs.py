#!/usr/bin/env python3
"""Train several run configs with train_with_peft.py in one Python process (importing PEFT once costs ~10 s).

    train_runs.py DIR...           # each DIR holds run_config.json; the run's outputs are written into DIR
    train_runs.py float64:DIR ...  # the same run in float64
"""
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src" / "export"))
import torch  # noqa: E402
from train_with_peft import train  # noqa: E402

for arg in sys.argv[1:]:
    dtype, _, d = arg.rpartition(":") if arg.startswith("float64:") else ("float32", "", arg)
    train(json.loads((Path(d) / "run_config.json").read_text()), d, dtype=getattr(torch, dtype))
