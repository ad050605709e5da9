#!/usr/bin/env python3
"""Run a LoRA Lab sweep's grid in PyTorch + Hugging Face PEFT (written by LoRA Lab into a sweep's PyTorch grid export).

grid.json (beside this file) holds every run of the sweep: its runId and its full run config. A toy run
is trained by train_with_peft.py's train() (the page's task, init, loss, optimizer and schedule; see that
file), a language-model run (config task "lm") by train_lm_with_peft.py's train() on the grid's base/ (the
page's LlamaForCausalLM folder) and data/ (finetune.txt, pretrain_heldout.txt). One row per finished run
is appended to results.csv in the page's sweep CSV columns and number format, so the file imports back
into the page like the page's own sweep CSV.

    pip install torch peft safetensors numpy       # and transformers for a language-model grid
    python sweep_with_peft.py [--grid grid.json --out sweep_out --device cuda --dtype float64 --shard i/n]

Resumable: a run whose runId is already in results.csv is skipped, so an interrupted sweep goes on where
it stopped when started again. --shard i/n runs every n-th run starting at the i-th (0-based), so n
processes started with i = 0 .. n-1 run the whole grid between them, all appending to the same
results.csv (each row is one write to a file opened for appending). With several GPUs, start one process
per GPU, each with its own device and shard:

    for i in 0 1 2 3; do python sweep_with_peft.py --device cuda:$i --shard $i/4 & done; wait

Each run's own outputs (metrics.csv, metrics.json, run_config.json, adapter/) go to <out>/runs/<runId>/.
"""
import argparse
import json
import math
import os
from pathlib import Path

import torch

from train_with_peft import config_errors, final_loss, js_number, train  # beside this file

HERE = Path(__file__).resolve().parent


def cell(value):
    """A config value as the page's rowsToCsv writes it: String(v), lists joined by commas."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return js_number(value)
    if isinstance(value, list):
        return ",".join(cell(v) for v in value)
    return str(value)


def quote(s):
    """RFC 4180, as the page: a cell with a comma, quote or line break is quoted, quotes doubled."""
    return '"' + s.replace('"', '""') + '"' if any(c in s for c in ',"\n\r') else s


def summary(points, status):
    """src/sweep/analysis.ts summarizeRun for one finished run: the CSV's metric cells by column name."""
    losses = [p["loss"] for p in points]
    finite = [y for y in losses if math.isfinite(y)]
    evals = [p["evalLoss"] for p in points if "evalLoss" in p]
    # the language model's second eval set (the pretraining corpus's held-out text); the toy has none
    pretrain = [p["evalLosses"][1] for p in points if len(p.get("evalLosses", [])) > 1]
    return {
        "finalLoss": final_loss(losses),
        "bestLoss": min(finite) if finite else math.nan,
        "evalLoss": evals[-1] if evals else math.nan,
        "pretrainEvalLoss": pretrain[-1] if pretrain else math.nan,
        "divergedStep": status.get("divergedStep"),
        "stepsPerSec": status["stepsPerSec"],
    }


def csv_row(columns, run_id, cfg, points, status):
    metrics = summary(points, status)
    cells = []
    for col in columns:
        if col == "runId":
            cells.append(run_id)
        elif col == "state":
            cells.append(status["state"])
        elif col in metrics:
            cells.append(js_number(metrics[col]))  # None (no diverged step) -> ''
        else:
            cells.append(cell(cfg[col]))
    return ",".join(quote(c) for c in cells) + "\n"


def done_ids(path):
    """The runIds already in results.csv (the first cell of each row; runIds hold no commas or quotes)."""
    if not path.exists():
        return set()
    return {line.split(",", 1)[0] for line in path.read_text().splitlines()[1:] if line}


def append(path, text):
    """One os.write on a file opened with O_APPEND: rows of concurrent shards do not interleave."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def write_header(path, columns):
    """The header, once: created exclusively, so shards started together do not write it twice."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return
    try:
        os.write(fd, (",".join(columns) + "\n").encode())
    finally:
        os.close(fd)


def parse_shard(text):
    i, _, n = text.partition("/")
    i, n = int(i), int(n)
    if not 0 <= i < n:
        raise SystemExit(f"--shard {text}: expected i/n with 0 <= i < n")
    return i, n


def lm_trainer(base, data):
    """The language model's train(cfg, out_dir, device, dtype) and config check, imported on first use
    (transformers is needed only by a grid with language-model runs)."""
    import train_lm_with_peft as lm  # beside this file

    missing = [str(p) for p in (base / "config.json", data / "finetune.txt", data / "pretrain_heldout.txt") if not p.exists()]
    if missing:
        raise SystemExit("a language-model run needs the grid's base/ and data/: missing " + ", ".join(missing))
    return (lambda cfg, out, device, dtype: lm.train(cfg, base, data, out, device, dtype)), lm.config_errors


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--grid", default="grid.json")
    ap.add_argument("--out", default="sweep_out")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    ap.add_argument("--shard", default="0/1", help="i/n: run every n-th run of the grid, starting at the i-th (0-based)")
    ap.add_argument("--base", default=str(HERE / "base"), help="language-model runs: the base model folder (default: the grid's base/)")
    ap.add_argument("--data", default=str(HERE / "data"), help="language-model runs: the folder of finetune.txt and pretrain_heldout.txt")
    args = ap.parse_args()
    i, n = parse_shard(args.shard)
    grid = json.loads(Path(args.grid).read_text())
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results = out / "results.csv"
    write_header(results, grid["columns"])
    done = done_ids(results)
    mine = grid["runs"][i::n]
    todo = [r for r in mine if r["runId"] not in done]
    print(f"{grid['name']}: {len(grid['runs'])} runs, shard {i}/{n}: {len(mine)}, {len(mine) - len(todo)} already in {results}", flush=True)
    lm = None
    for k, run in enumerate(todo):
        cfg = run["config"]
        task = cfg.get("task", "toy")
        if task == "lm":
            lm = lm or lm_trainer(Path(args.base), Path(args.data))
            run_train, errors = lm[0], lm[1](cfg)
        else:
            run_train = train
            errors = config_errors(cfg) + ([f"task {task!r}: the grid trains the toy task and the language model (lm)"] if task != "toy" else [])
        if errors:
            raise SystemExit(f"{run['runId']}: invalid run config: " + "; ".join(errors))
        print(f"[{k + 1}/{len(todo)}] {run['runId']}", flush=True)
        points, status = run_train(cfg, out / "runs" / run["runId"], args.device, getattr(torch, args.dtype))
        append(results, csv_row(grid["columns"], run["runId"], cfg, points, status))


if __name__ == "__main__":
    main()
