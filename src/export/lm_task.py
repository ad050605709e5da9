"""The language-model task of LoRA Lab as the page builds it, for the language model's train_with_peft.py.

A port of src/tasks/textData.ts (the check of a text, its held-out split, the seeded training windows and
the evenly spaced eval windows) and of src/tasks/lmTask.ts (the task from the fine-tuning text and the
pretraining corpus's held-out part, the windows of optimizer step t, the target cells, the LoRA factors
at step 0), over toy_task.py's port of the seeded generator (src/rng.ts), so that the script trains on
the page's windows, byte for byte, and starts from the page's factors, bit for bit. Token id = byte value.
numpy only, no PyTorch.
"""
import math

from toy_task import Rng, init_lora

HELD_OUT = 0.05  # the last 5% of every text is never trained on
MAX_TEXT_BYTES = 16 * 1024 * 1024
MODULE_TYPES = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
ATTENTION = MODULE_TYPES[:4]


def js_round(x):
    """JavaScript's Math.round (halves go up; Python's round() takes the even neighbour)."""
    f = math.floor(x)
    return f + 1 if x - f >= 0.5 else f


class TextRejected(ValueError):
    pass


def min_bytes(context):
    """The shortest text whose held-out split still holds one window of context + 1 bytes."""
    return math.ceil((context + 1) / HELD_OUT) + 1


def check_text(data, context, name="the text"):
    """textData.ts checkText: the bytes, or TextRejected saying why not (the page's rules and messages)."""
    if len(data) == 0:
        raise TextRejected(f"{name} is empty")
    if len(data) > MAX_TEXT_BYTES:
        raise TextRejected(f"{name} is {len(data):,} bytes; the limit is {MAX_TEXT_BYTES:,} bytes")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        raise TextRejected(f"{name} is not valid UTF-8 text") from None
    if 0 in data:
        raise TextRejected(f"{name} looks binary (it contains NUL bytes)")
    control = sum(1 for b in data if b < 32 and b not in (9, 10, 13))
    if control > len(data) * 0.05:
        raise TextRejected(f"{name} looks binary ({control} control characters)")
    need = min_bytes(context)
    if len(data) < need:
        raise TextRejected(f"{name} is {len(data)} bytes; at least {need} are needed (one window of {context + 1} bytes in the held-out {HELD_OUT * 100:g}% too)")
    return data


def split_text(data):
    """(train, held_out): the held-out part is the last HELD_OUT of the bytes."""
    cut = math.floor(len(data) * (1 - HELD_OUT))
    return data[:cut], data[cut:]


def sample_windows(text, context, batch, rng):
    """`batch` windows of context + 1 bytes at seeded random starts (inputs w[:-1], labels w[1:])."""
    span = len(text) - context - 1
    if span < 0:
        raise ValueError(f"text of {len(text)} bytes is shorter than a window of {context + 1}")
    out = []
    for _ in range(batch):
        s = min(span, math.floor(rng.uniform() * (span + 1)))
        out.append(list(text[s : s + context + 1]))
    return out


def eval_windows(text, context, count):
    """`count` evenly spaced windows of context + 1 bytes (deterministic): an eval set."""
    span = len(text) - context - 1
    if span < 0:
        raise ValueError(f"text of {len(text)} bytes is shorter than a window of {context + 1}")
    starts = [0 if count == 1 else js_round(b * span / (count - 1)) for b in range(count)]
    return [list(text[s : s + context + 1]) for s in starts]


def lm_eval_windows(batch):
    """Held-out windows per eval set: a whole number of batches, about 8 windows."""
    return batch * max(1, js_round(8 / batch))


def module_name(layer, t):
    return f"model.layers.{layer}.{'self_attn' if t in ATTENTION else 'mlp'}.{t}"


def target_cells(cfg, layers):
    """The run's trained projections as (cell, layer, type, PEFT module name), in the page's module order
    (cell = layer * 7 + type index; the LoRA init of cell c draws from the stream 'lora/<c>')."""
    cells = sorted(set(cfg["lmTargets"]))
    bad = [c for c in cells if not 0 <= c < layers * len(MODULE_TYPES)]
    if bad:
        raise ValueError(f"lmTargets {bad} are outside 0..{layers * len(MODULE_TYPES) - 1}")
    return [(c, c // 7, MODULE_TYPES[c % 7], module_name(c // 7, MODULE_TYPES[c % 7])) for c in cells]


def lora_init(cfg, cell, d_in, d_out):
    """lmTask.ts lmRunInit: cell `cell`'s (A (r, dIn), B (dOut, r)) as float32 numpy arrays."""
    return init_lora(cfg["init"], cfg["r"], d_in, d_out, Rng.stream(cfg["seed"], f"lora/{cell}"))


class LmTask:
    """lmTask.ts lmTaskFrom: training bytes and the two eval sets ([fine-tuning text's held-out windows,
    the pretraining corpus's]) from the fine-tuning text and the pretraining corpus's held-out part (the
    bundle ships that part only: data/pretrain_heldout.txt)."""

    def __init__(self, cfg, fine_tune, pretrain_held_out, context=128):
        seq = cfg["seqLen"]
        if seq > context:
            raise ValueError(f"window of {seq} bytes: the model reads at most {context}")
        name = "your text" if cfg["lmData"] == "user" else f"the {cfg['lmData']} corpus"
        self.train, held_out = split_text(check_text(bytes(fine_tune), seq, name))
        n = lm_eval_windows(cfg["batch"])
        self.eval_sets = [eval_windows(held_out, seq, n), eval_windows(bytes(pretrain_held_out), seq, n)]
        self.seq, self.seed, self.batch, self.accum = seq, cfg["seed"], cfg["batch"], cfg["accum"]

    def windows_at(self, t):
        """Optimizer step t's (1-based) accum micro-batches, each `batch` windows of seq + 1 bytes."""
        return [sample_windows(self.train, self.seq, self.batch, Rng.stream(self.seed, f"lm/batch/{(t - 1) * self.accum + k}")) for k in range(self.accum)]
