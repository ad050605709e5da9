/**
 * The interop tests' access to real Python (scripts/interop/python.mjs finds .venv): needPython skips a
 * test with the reason when .venv is missing, except in CI (process.env.CI), where the suite expects the
 * interop checks to run and a missing .venv fails the test instead.
 */
import type { TestContext } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { NO_PYTHON, venvPython } from '../../scripts/interop/python.mjs';

const python = venvPython();
let warned = false;

export function needPython(ctx: TestContext): string {
  if (python) return python;
  if (process.env.CI) throw new Error(`CI must run the interop tests, but ${NO_PYTHON}`);
  if (!warned) console.warn(`interop tests skipped: ${NO_PYTHON}`);
  warned = true;
  ctx.skip(NO_PYTHON);
  return '';
}

export function runPython(py: string, args: string[], input?: string, timeout = 120_000): { code: number; out: string; stdout: string } {
  // maxBuffer: the port checks read back a few MB of numbers (the default 1 MB kills the child).
  const r = spawnSync(py, args, { input, encoding: 'utf8', timeout, maxBuffer: 256 * 2 ** 20 });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}`, stdout: r.stdout ?? '' };
}

/** Write files (by path inside the folder) into a fresh temporary folder; returns its path. */
export function writeTempFolder(files: Record<string, Uint8Array>, prefix = 'lora-lab-bundle-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  for (const [path, data] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), data);
  }
  return dir;
}
