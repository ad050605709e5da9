/**
 * The learning rate carried to another rank, as a PyTorch run: a zip of the toy training scripts (scriptFiles.ts),
 * run_config.json and a README, where run_config.json is a run of the sweep's panel at the asked rank with
 * the predicted learning rate. The panel's run at its largest rank gives every other setting; lora_alpha
 * follows the rank when the panel held alpha_eff = lora_alpha / r fixed across ranks, and stays as it was
 * when the panel held lora_alpha fixed. Plain data, built on the page without the engine.
 */
import { alphaEff, type RunConfig } from '../config/schema';
import type { Panel } from '../sweep/analysis';
import type { SweepRunRecord } from '../sweep/types';
import { zipFiles } from './bundle';
import { toyTrainingScripts } from './scriptFiles';

const text = (s: string) => new TextEncoder().encode(s);

/** The panel's LoRA runs, from its curves' points. */
function panelRuns(panel: Panel, runs: readonly SweepRunRecord[]): SweepRunRecord[] {
  const ids = new Set(panel.curves.filter((c) => !c.fft).flatMap((c) => c.points.flatMap((p) => p.runIds)));
  return runs.filter((r) => ids.has(r.runId));
}

/** The run to train: the panel's settings at `rank` with learning rate 2^log2lr. null when the panel has no LoRA run. */
export function transferConfig(panel: Panel, runs: readonly SweepRunRecord[], rank: number, log2lr: number): RunConfig | null {
  const mine = panelRuns(panel, runs);
  if (mine.length === 0) return null;
  const top = mine.reduce((a, b) => (b.config.r > a.config.r ? b : a));
  const effs = new Set(mine.map((r) => alphaEff(r.config)));
  const ranks = new Set(mine.map((r) => r.config.r));
  const followsRank = effs.size === 1 && ranks.size > 1;
  const lora_alpha = followsRank ? alphaEff(top.config) * rank : top.config.lora_alpha;
  return { ...top.config, mode: 'lora', r: rank, lora_alpha, lr: 2 ** log2lr };
}

/** Why a run cannot go out as a script (the language model has no training script in this export). */
export function transferScriptBlocker(cfg: RunConfig | null): string | null {
  if (!cfg) return 'the panel has no LoRA run to take the settings from';
  return cfg.task === 'toy' ? null : 'train_with_peft.py here trains the toy task only';
}

function readme(cfg: RunConfig, why: string, version: string): string {
  return `# A LoRA Lab run carried to rank ${cfg.r}

Made by LoRA Lab ${version}. ${why}

run_config.json is the run: r = ${cfg.r}, lora_alpha = ${cfg.lora_alpha}, learning rate ${cfg.lr} (2^${Math.log2(cfg.lr).toFixed(3)}), every other setting as the sweep's run.

\`\`\`sh
pip install torch peft safetensors numpy
python train_with_peft.py --config run_config.json --out train_out   # flags: --steps --rank --width --batch --device cuda
\`\`\`

It writes metrics.csv (the page's columns), metrics.json and adapter/ (save_pretrained) under train_out/.
`;
}

/** The zip's files, by path. */
export function transferScriptFiles(cfg: RunConfig, why: string, version: string): Record<string, Uint8Array> {
  return {
    'run_config.json': text(JSON.stringify(cfg, null, 2) + '\n'),
    ...toyTrainingScripts(),
    'README.md': text(readme(cfg, why, version)),
  };
}

export function transferScriptZip(cfg: RunConfig, why: string, version: string): Uint8Array {
  return zipFiles(transferScriptFiles(cfg, why, version), new Date(Date.UTC(2024, 0, 1)));
}
