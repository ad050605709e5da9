#!/usr/bin/env python3
"""Numbers from toy_task.py's port of the generator and the toy task (and train_with_peft.py's schedule), for the TypeScript test that
compares them with src/rng.ts and src/tasks/toy.ts.

    toy_numbers.py < spec.json   # spec: {"streams": [...], "tasks": [...], "inits": [...]}; prints JSON
"""
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src" / "export"))
from toy_task import Rng, ToyTask, init_lora  # noqa: E402
from train_with_peft import lr_at  # noqa: E402

flat = lambda a: [float(v) for v in a.ravel()]
spec = json.load(sys.stdin)
out = {"streams": [], "tasks": [], "inits": [], "lr": []}
for s in spec["streams"]:
    rng = Rng.stream(s["seed"], s["name"])
    u = [rng.uniform() for _ in range(s["uniforms"])]
    normals = [rng.normal() for _ in range(s["normals"])]
    f32 = flat(rng.normals(s["f32"], 0.7))
    after = [rng.normal() for _ in range(3)] + flat(rng.uniforms(5, -0.5, 2.0))
    out["streams"].append({"uniforms": u, "normals": normals, "f32": f32, "after": after})
for t in spec["tasks"]:
    task = ToyTask(t["config"])
    batches = [dict(zip(("x", "y", "labels"), map(flat, task.batch_at(step, t["batch"])))) for step in t["steps"]]
    out["tasks"].append({
        "Win": flat(task.w_in), "Ws": [flat(w) for w in task.ws], "Wout": flat(task.w_out),
        "U": [flat(u) for u in task.U], "V": [flat(v) for v in task.V], "deltas": [flat(d) for d in task.deltas],
        "teacherWs": [flat(w) for w in task.teacher_ws], "sigma2": task.sigma2,
        "evalX": flat(task.eval_x), "evalY": flat(task.eval_y), "evalLabels": flat(task.eval_labels), "batches": batches,
    })
for i in spec["inits"]:
    A, B = init_lora(i["scheme"], i["r"], i["dIn"], i["dOut"], Rng.stream(i["seed"], i["name"]))
    out["inits"].append({"A": flat(A), "B": flat(B)})
for c in spec["lr"]:
    out["lr"].append([lr_at(k, c) for k in range(c["steps"] + 2)])
json.dump(out, sys.stdout)
