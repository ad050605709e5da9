// The Python interpreter of the interop checks (real PyTorch, PEFT, safetensors), in one place.
// scripts/setup-python.sh creates it; tests skip with this reason outside CI and fail inside CI.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export function venvPython() {
  const py = resolve(process.env.LORA_LAB_PYTHON ?? '.venv/bin/python');
  return existsSync(py) ? py : null;
}

export const NO_PYTHON =
  'real PEFT is not installed: run `bash scripts/setup-python.sh` (creates .venv with torch, peft, safetensors; about 2 minutes, needs the package mirror)';
