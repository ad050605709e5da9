/**
 * A toy sweep as a runnable PyTorch grid, from plain data (no GPU, no DOM): grid.json (every run's runId
 * and full RunConfig, and the page's sweep CSV columns), sweep_with_peft.py (runs the grid, appends one
 * row per finished run to results.csv in those columns), train_with_peft.py, toy_task.py and
 * train_common.py (what it trains each run with), README.md; then one zip.
 */
import { CSV_COLUMNS } from '../sweep/io';
import { sweepToQuery } from '../sweep/url';
import type { SweepRecord } from '../sweep/types';
import { zipFiles } from './bundle';
import sweepWithPeft from './sweep_with_peft.py?raw';
import { toyTrainingScripts } from './scriptFiles';

export const GRID_FORMAT = 'lora-lab-grid';

const text = (s: string) => new TextEncoder().encode(s);

/** Why the sweep cannot be exported as a PyTorch grid, or null when it can. */
export function gridExportBlocker(s: Pick<SweepRecord, 'runs'>): string | null {
  if (s.runs.length === 0) return 'The sweep has no runs';
  if (s.runs.some((r) => r.config.task !== 'toy')) return 'train_with_peft.py trains the toy task only';
  return null;
}

/** grid.json: what sweep_with_peft.py reads. The columns travel with the runs, so rows match this page. */
export function gridJson(s: SweepRecord): string {
  const doc = { format: GRID_FORMAT, version: 1, name: s.name, definition: sweepToQuery(s.def), columns: CSV_COLUMNS, runs: s.runs.map((r) => ({ runId: r.runId, config: r.config })) };
  return JSON.stringify(doc, null, 1) + '\n';
}

function readme(s: SweepRecord, version: string): string {
  return `# ${s.name}: the sweep's grid for PyTorch + PEFT

Exported by LoRA Lab ${version}: ${s.runs.length} runs (grid.json: each run's runId and full settings).

    pip install torch peft safetensors numpy
    python sweep_with_peft.py --device cuda        # or --device cpu

Each run is trained by train_with_peft.py (the page's task, LoRA init, loss, optimizer and schedule, in
PyTorch + PEFT) and one row per finished run is appended to sweep_out/results.csv, in the columns and
number format of the page's sweep CSV (state, every setting, finalLoss, bestLoss, evalLoss, divergedStep,
stepsPerSec). Each run's metrics and adapter go to sweep_out/runs/<runId>/.

- **Resumable**: a run already in results.csv is skipped; start the same command again after an
  interruption.
- **Several processes or GPUs**: \`--shard i/n\` runs every n-th run starting at the i-th (0-based). Start
  one process per GPU, all writing to the same results.csv:

      for i in 0 1 2 3; do python sweep_with_peft.py --device cuda:$i --shard $i/4 & done; wait

lora_dropout goes to PEFT's own dropout, whose random masks are not the page's; everything else is the
page's computation (in float32 the losses agree with the page's within float32 rounding).
`;
}

/** Every file of the grid export, by path inside the zip. */
export function sweepBundleFiles(s: SweepRecord, version: string): Record<string, Uint8Array> {
  return {
    'grid.json': text(gridJson(s)),
    'sweep_with_peft.py': text(sweepWithPeft),
    ...toyTrainingScripts(),
    'README.md': text(readme(s, version)),
  };
}

/** The zip (a fixed time stamp: the same sweep zips to the same bytes). */
export function sweepBundleZip(s: SweepRecord, version: string): Uint8Array {
  return zipFiles(sweepBundleFiles(s, version), new Date(Date.UTC(2024, 0, 1)));
}
