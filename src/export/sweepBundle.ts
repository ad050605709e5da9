/**
 * A sweep as a runnable PyTorch grid, from plain data (no GPU, no DOM): grid.json (every run's runId and
 * full RunConfig, and the page's sweep CSV columns), sweep_with_peft.py (runs the grid, appends one row
 * per finished run to results.csv in those columns), train_with_peft.py, toy_task.py and train_common.py
 * (what it trains a toy run with), README.md; then one zip. A sweep of language-model runs also holds
 * what the language model's bundle trains a run from: train_lm_with_peft.py (that bundle's
 * train_with_peft.py, under its own name here) and lm_task.py, base/ (the shipped HF folder, byte for
 * byte) and data/finetune.txt, data/pretrain_heldout.txt (LmGridAssets: the caller fetches them, see
 * sweepGridAssets.ts).
 */
import { CSV_COLUMNS } from '../sweep/io';
import { sweepToQuery } from '../sweep/url';
import type { SweepRecord } from '../sweep/types';
import { zipFiles } from './bundle';
import sweepWithPeft from './sweep_with_peft.py?raw';
import trainLm from './train_lm_with_peft.py?raw';
import lmTask from './lm_task.py?raw';
import { toyTrainingScripts } from './scriptFiles';

export const GRID_FORMAT = 'lora-lab-grid';

const text = (s: string) => new TextEncoder().encode(s);

/** What a language-model grid trains from, byte for byte as a run's language-model bundle ships it. */
export interface LmGridAssets {
  /** The shipped base folder's files (base/config.json, base/generation_config.json, base/model.safetensors). */
  base: { config: string; generationConfig: string; safetensors: Uint8Array };
  /** The fine-tuning text (a shipped corpus: the sweep keeps no text of the user's). */
  fineTune: Uint8Array;
  /** The pretraining corpus's held-out part (textData.ts splitText), the second eval set's text. */
  pretrainHeldOut: Uint8Array;
}

type Runs = Pick<SweepRecord, 'runs'>;

const lmRuns = (s: Runs) => s.runs.filter((r) => r.config.task === 'lm');

/** Whether the grid trains language-model runs (and so needs LmGridAssets). */
export const gridNeedsLm = (s: Runs): boolean => lmRuns(s).length > 0;

/** Why the sweep cannot be exported as a PyTorch grid, or null when it can. */
export function gridExportBlocker(s: Runs): string | null {
  if (s.runs.length === 0) return 'The sweep has no runs';
  const other = s.runs.find((r) => r.config.task !== 'toy' && r.config.task !== 'lm');
  if (other) return `The grid trains the toy task and the language model, not ${other.config.task}`;
  // The page's CSV import (csvImport.ts) takes one task per file.
  if (gridNeedsLm(s) && lmRuns(s).length < s.runs.length) return 'The sweep mixes toy and language-model runs';
  const texts = [...new Set(lmRuns(s).map((r) => r.config.lmData))];
  // The sweep record keeps each run's config, not the text pasted for it.
  if (texts.includes('user')) return 'The runs fine-tune on your own text, which the sweep does not keep: export a run\'s bundle instead';
  // One data/finetune.txt per grid.
  if (texts.length > 1) return `The runs fine-tune on different texts (${texts.join(', ')}); the grid holds one`;
  return null;
}

/** grid.json: what sweep_with_peft.py reads. The columns travel with the runs, so rows match this page. */
export function gridJson(s: SweepRecord): string {
  const doc = { format: GRID_FORMAT, version: 1, name: s.name, definition: sweepToQuery(s.def), columns: CSV_COLUMNS, runs: s.runs.map((r) => ({ runId: r.runId, config: r.config })) };
  return JSON.stringify(doc, null, 1) + '\n';
}

/** What the README says of the training, by task (a grid trains one task: gridExportBlocker). */
const TRAINING = {
  toy: {
    install: 'pip install torch peft safetensors numpy',
    trainer: "train_with_peft.py (the page's task, LoRA init, loss, optimizer and schedule, in\nPyTorch + PEFT)",
    columns: 'finalLoss, bestLoss, evalLoss, divergedStep,\nstepsPerSec',
    note: "lora_dropout goes to PEFT's own dropout, whose random masks are not the page's; everything else is the\npage's computation (in float32 the losses agree with the page's within float32 rounding).",
  },
  lm: {
    install: 'pip install torch transformers peft safetensors numpy',
    trainer:
      "train_lm_with_peft.py (the page's language-model run in PyTorch + transformers + PEFT;\nthe file a run's language-model bundle ships as train_with_peft.py) from base/ (the page's frozen\nLlamaForCausalLM, loaded as it is), data/finetune.txt (the fine-tuning text) and data/pretrain_heldout.txt\n(the pretraining corpus's held-out 5%; --base and --data train from other folders)",
    columns: 'finalLoss, bestLoss, evalLoss: the fine-tuning text\'s held-out loss,\npretrainEvalLoss: the pretraining text\'s, divergedStep, stepsPerSec',
    note: "The language model trains without dropout, as on the page; everything is the page's computation (in\nfloat32 the losses agree with the page's within float32 rounding).",
  },
};

function readme(s: SweepRecord, version: string): string {
  const t = TRAINING[gridNeedsLm(s) ? 'lm' : 'toy'];
  return `# ${s.name}: the sweep's grid for PyTorch + PEFT

Exported by LoRA Lab ${version}: ${s.runs.length} runs (grid.json: each run's runId and full settings).

    ${t.install}
    python sweep_with_peft.py --device cuda        # or --device cpu

Each run is trained by ${t.trainer} and one row per finished run is appended to sweep_out/results.csv, in the columns and
number format of the page's sweep CSV (state, every setting, ${t.columns}). Each run's metrics and adapter go to sweep_out/runs/<runId>/.

- **Resumable**: a run already in results.csv is skipped; start the same command again after an
  interruption.
- **Several processes or GPUs**: \`--shard i/n\` runs every n-th run starting at the i-th (0-based). Start
  one process per GPU, all writing to the same results.csv:

      for i in 0 1 2 3; do python sweep_with_peft.py --device cuda:$i --shard $i/4 & done; wait

${t.note}
`;
}

/** The language model's script, its task module, base/ and data/ (paths inside the zip). */
function lmGridFiles(lm: LmGridAssets): Record<string, Uint8Array> {
  return {
    'train_lm_with_peft.py': text(trainLm),
    'lm_task.py': text(lmTask), // imports toy_task.py's seeded generator (toyTrainingScripts)
    'base/config.json': text(lm.base.config),
    'base/generation_config.json': text(lm.base.generationConfig),
    'base/model.safetensors': lm.base.safetensors,
    'data/finetune.txt': lm.fineTune,
    'data/pretrain_heldout.txt': lm.pretrainHeldOut,
  };
}

/** Every file of the grid export, by path inside the zip; `lm` is required when the sweep has language-model runs. */
export function sweepBundleFiles(s: SweepRecord, version: string, lm?: LmGridAssets): Record<string, Uint8Array> {
  const blocker = gridExportBlocker(s);
  if (blocker) throw new Error(`PyTorch grid: ${blocker}`);
  if (gridNeedsLm(s) && !lm) throw new Error('PyTorch grid: a language-model sweep needs the base model and texts');
  return {
    'grid.json': text(gridJson(s)),
    'sweep_with_peft.py': text(sweepWithPeft),
    ...toyTrainingScripts(),
    ...(gridNeedsLm(s) ? lmGridFiles(lm!) : {}),
    'README.md': text(readme(s, version)),
  };
}

/** The zip (a fixed time stamp: the same sweep zips to the same bytes). */
export function sweepBundleZip(s: SweepRecord, version: string, lm?: LmGridAssets): Uint8Array {
  return zipFiles(sweepBundleFiles(s, version, lm), new Date(Date.UTC(2024, 0, 1)));
}
