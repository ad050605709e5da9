#!/usr/bin/env python3
"""Windows and initial factors from lm_task.py's port of the language-model task, for the TypeScript test that
compares them with src/tasks/lmTask.ts and src/tasks/textData.ts.

    lm_numbers.py < spec.json   # spec: {"tasks": [...], "inits": [...], "rejects": [...]}; prints JSON
"""
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src" / "export"))
from lm_task import LmTask, TextRejected, check_text, lora_init  # noqa: E402

spec = json.load(sys.stdin)
out = {"tasks": [], "inits": [], "rejects": []}
for t in spec["tasks"]:
    task = LmTask(t["config"], Path(t["fineTune"]).read_bytes(), Path(t["pretrainHeldOut"]).read_bytes())
    out["tasks"].append({"evalSets": task.eval_sets, "steps": [task.windows_at(s) for s in t["steps"]], "trainBytes": len(task.train)})
for i in spec["inits"]:
    A, B = lora_init(i["config"], i["cell"], i["dIn"], i["dOut"])
    out["inits"].append({"A": [float(v) for v in A.ravel()], "B": [float(v) for v in B.ravel()]})
for r in spec["rejects"]:
    try:
        check_text(bytes(r["bytes"]), r["context"], r["name"])
        out["rejects"].append(None)
    except TextRejected as e:
        out["rejects"].append(str(e))
json.dump(out, sys.stdout)
