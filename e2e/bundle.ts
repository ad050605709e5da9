/**
 * Shared by the export e2e tests: download a file from a button, and check an unzipped export bundle with
 * REAL PEFT through its own load_with_peft.py (.venv, made by scripts/setup-python.sh). Without .venv the
 * check is skipped with the reason, except in CI, where it must run.
 */
import type { Page, TestInfo } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { expect, test } from './fixtures';
import { venvPython, NO_PYTHON } from '../scripts/interop/python.mjs';

/** Drop a file on the page, as a person drags one from their desktop. */
export async function dropFile(page: Page, name: string, bytes: Uint8Array, type = 'application/zip'): Promise<void> {
  const dataTransfer = await page.evaluateHandle(
    ({ name, b64, type }) => {
      const dt = new DataTransfer();
      dt.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], name, { type }));
      return dt;
    },
    { name, b64: Buffer.from(bytes).toString('base64'), type },
  );
  await page.locator('main').dispatchEvent('drop', { dataTransfer });
}

export async function downloadOf(page: Page, button: RegExp): Promise<{ name: string; bytes: Uint8Array }> {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: button }).click()]);
  return { name: dl.suggestedFilename(), bytes: new Uint8Array(readFileSync((await dl.path())!)) };
}

/** Write the bundle's files to a test folder, run load_with_peft.py, and require agreement. */
export function checkWithPeft(files: Record<string, Uint8Array>, info: TestInfo, folder = 'bundle'): void {
  const python = venvPython();
  if (!python) {
    if (process.env.CI) throw new Error(`CI must run the PEFT interop check, but ${NO_PYTHON}`);
    test.skip(true, NO_PYTHON);
    return;
  }
  const dir = info.outputPath(folder);
  for (const [path, data] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), data);
  }
  const r = spawnSync(python, [join(dir, 'load_with_peft.py')], { encoding: 'utf8', timeout: 120_000 });
  const out = `${r.stdout}${r.stderr}`;
  console.log(out);
  expect(r.status, out).toBe(0);
  const result = JSON.parse(out.split('\n').find((l) => l.startsWith('RESULT '))!.slice(7));
  info.annotations.push({ type: 'peft agreement', description: JSON.stringify(result) });
  expect(result.ok).toBe(true);
  expect(result.merged_vs_unmerged_max_abs_diff).toBeLessThanOrEqual(1e-4);
  expect(result.merged_max_abs_diff).toBeLessThanOrEqual(1e-4);
}
