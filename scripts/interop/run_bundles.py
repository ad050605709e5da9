#!/usr/bin/env python3
"""Run several bundles' load_with_peft.py in one Python process (importing PEFT once costs ~10 s).

    run_bundles.py DIR...   # prints one JSON line per bundle: {"dir", "exit_code", "output"}
"""
import contextlib
import io
import json
import runpy
import sys

for d in sys.argv[1:]:
    buf = io.StringIO()
    code = 0
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
        try:
            runpy.run_path(f"{d}/load_with_peft.py", run_name="__main__")
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
            if not isinstance(e.code, int) and e.code is not None:
                print(e.code)
        except Exception as e:  # a crash in the script is a failure of that bundle, not of the others
            code = 1
            print(f"{type(e).__name__}: {e}")
    print(json.dumps({"dir": d, "exit_code": code, "output": buf.getvalue()}))
