#!/usr/bin/env python3
"""The reference safetensors library as an oracle for LoRA Lab's reader and writer (interop tests).

    reference_safetensors.py write OUT.safetensors < spec.json    # {"tensors": {name: {"shape", "data"}}, "metadata": {...}}
    reference_safetensors.py verdicts FILE...                      # prints {file: "accepted" | "rejected: <message>"}
"""
import json
import sys

import numpy as np
from safetensors import safe_open
from safetensors.numpy import save_file


def write(out):
    spec = json.load(sys.stdin)
    tensors = {k: np.asarray(t["data"], dtype=np.float32).reshape(t["shape"]) for k, t in spec["tensors"].items()}
    save_file(tensors, out, metadata=spec.get("metadata"))


def verdicts(files):
    out = {}
    for f in files:
        try:
            with safe_open(f, "np") as st:
                for k in st.keys():
                    st.get_tensor(k)
            out[f] = "accepted"
        except Exception as e:  # the library raises SafetensorError, and others for odd inputs
            out[f] = f"rejected: {e}"
    print(json.dumps(out))


if __name__ == "__main__":
    if sys.argv[1] == "write":
        write(sys.argv[2])
    elif sys.argv[1] == "verdicts":
        verdicts(sys.argv[2:])
    else:
        sys.exit(__doc__)
