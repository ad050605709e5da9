"""What LoRA Lab's two training scripts share (written beside them into every export bundle): the page's
learning-rate schedule, its optimizers as PyTorch's, its metrics CSV (numbers as JavaScript's String(x)
writes them) and its final-loss rule. The toy's train_with_peft.py and the language model's import it.
"""
import math

import torch


def lr_at(step, cfg):
    """src/engine/schedule.ts: the lr of optimizer step `step` (0-based)."""
    total = cfg["steps"]
    if cfg["schedule"] == "constant":
        return cfg["lr"]
    w = math.ceil(cfg["warmup"] * total)
    if step < w:
        return cfg["lr"] * (step / max(1, w))
    progress = min(1, (step - w) / max(1, total - w))
    m = cfg["minLrRatio"]
    return cfg["lr"] * max(0, 0.5 * (1 + math.cos(math.pi * progress)) * (1 - m) + m)


def make_optimizer(cfg, groups):
    wd = cfg["weightDecay"]
    for g in groups:
        g["weight_decay"] = wd
        g["lr"] = cfg["lr"]
    if cfg["optimizer"] == "adamw":
        return torch.optim.AdamW(groups, lr=cfg["lr"], betas=(cfg["beta1"], cfg["beta2"]), eps=cfg["eps"], weight_decay=wd)
    return torch.optim.SGD(groups, lr=cfg["lr"], momentum=cfg["momentum"], weight_decay=wd)


def js_number(x):
    """A number as JavaScript's String(x) writes it (the page's CSV cells): the shortest digits that read
    back (as Python's repr), in fixed notation for 1e-7 <= |x| < 1e21 and as d.ddde+n outside."""
    if x is None:
        return ""
    x = float(x)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x) or x == 0:
        return ("-" if x < 0 else "") + ("Infinity" if math.isinf(x) else "0")
    mant, _, exp = repr(abs(x)).partition("e")
    whole, _, frac = mant.partition(".")
    # |x| = 0.<whole frac> * 10^(len(whole) + exp) = 0.<digits> * 10^n, leading zeros dropped
    all_digits = whole + frac
    n = len(whole) + int(exp or 0) - (len(all_digits) - len(all_digits.lstrip("0")))
    digits = all_digits.strip("0")
    k = len(digits)
    if k <= n <= 21:
        s = digits + "0" * (n - k)
    elif 0 < n <= 21:
        s = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        s = "0." + "0" * -n + digits
    else:
        s = digits[0] + ("." + digits[1:] if k > 1 else "") + f"e{'+' if n - 1 > 0 else '-'}{abs(n - 1)}"
    return ("-" if x < 0 else "") + s


CSV_COLUMNS = [("step", "step"), ("loss", "loss"), ("eval_loss", "evalLoss"), ("accuracy", "accuracy"), ("eval_accuracy", "evalAccuracy"), ("grad_norm", "gradNorm"), ("lr", "lr"), ("steps_per_sec", "stepsPerSec")]


def metrics_csv(points):
    rows = [",".join(name for name, _ in CSV_COLUMNS)]
    rows += [",".join(js_number(p.get(key)) for _, key in CSV_COLUMNS) for p in points]
    return "\n".join(rows) + "\n"


def final_loss(losses, fraction=0.1, weight=0.9):
    """src/metrics/ema.ts finalLoss: the de-biased EMA of the last ceil(10%) of the logged losses (a
    non-finite loss in that tail is returned as is)."""
    k = max(1, min(len(losses), math.ceil(fraction * len(losses))))
    tail = losses[-k:]
    bad = [y for y in tail if not math.isfinite(y)]
    if bad:
        return bad[0]
    if all(y == tail[0] for y in tail):
        return tail[-1]  # a constant series is returned as is, as the page's emaSmooth
    last = 0.0
    for y in tail:
        last = last * weight + (1 - weight) * y
    return last / (1 - weight**k)


def end_status(points, steps_per_sec):
    """The page's end state (src/engine/runLoop.ts): diverged (with its first bad step), collapsed (final
    loss above the first logged loss) or done."""
    diverged = next((p["divergedStep"] for p in points if p["divergedStep"] > 0), 0)
    losses = [p["loss"] for p in points]
    final = final_loss(losses)
    if diverged:
        return {"state": "diverged", "step": points[-1]["step"], "stepsPerSec": steps_per_sec, "divergedStep": diverged}
    state = "collapsed" if math.isfinite(final) and final > losses[0] else "done"
    return {"state": state, "step": points[-1]["step"], "stepsPerSec": steps_per_sec, "finalLoss": final}


# ---------------------------------------------------------------------------------------------------
# The command line both scripts share: the run config, its flags, and accelerate


def add_common_args(ap, config_default, mixed_help):
    """The flags every training script takes (each script adds its own after these)."""
    ap.add_argument("--config", default=config_default)
    ap.add_argument("--out", default="train_out")
    ap.add_argument("--steps", type=int)
    ap.add_argument("--rank", type=int)
    ap.add_argument("--batch", type=int)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    ap.add_argument("--mixed-precision", default="no", choices=["no", "bf16"], help=mixed_help)
    ap.add_argument("--accelerate", action="store_true", help="use accelerate's Accelerator (set by `accelerate launch`)")


def load_run_config(path, args, task, wrong_task, flags, config_errors):
    """run_config.json with the flags given on the command line applied (flag name -> config key), then
    checked by the script's config_errors; a run of another task or a broken rule stops with the reason."""
    import json
    from pathlib import Path

    cfg = json.loads(Path(path).read_text())
    if cfg.get("task", "toy") != task:
        raise SystemExit(wrong_task)
    for flag, key in flags:
        if getattr(args, flag) is not None:
            cfg[key] = getattr(args, flag)
    errors = config_errors(cfg)
    if errors:
        raise SystemExit("invalid run config: " + "; ".join(errors))
    return cfg


def accelerator_and_device(args):
    """accelerate's Accelerator when --accelerate (under `accelerate launch`), and the device to train on."""
    if not args.accelerate:
        return None, args.device
    from accelerate import Accelerator

    accelerator = Accelerator(cpu=args.device == "cpu")
    return accelerator, accelerator.device
