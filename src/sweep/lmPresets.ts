/**
 * The presets on the language model (RunConfig.task 'lm'): the tiny Llama pretrained on the KJV,
 * fine-tuned on Shakespeare. Sizes: an LM step of 4 windows of 64 bytes takes about 0.3-1 s on a software
 * GPU, so each preset is at most 24 runs of 100 steps (runs that share their target modules and mode
 * train together, one step for all of them), and the quick scale a handful of runs of 20 steps of
 * 2 windows of 32 bytes.
 *
 * The learning-rate grids are placed around the optima that scripts/lm_preset_lrs.py measured with
 * PyTorch on the same recipe (one seed; log2 lr, best final training loss unless said):
 *   lm-mua-a1          r = 2, 8, 32: -5, -6, -7 (slope -1/2)             grid -10..-4
 *   lm-mua-a-inv-r     r = 2, 8, 32: -5, -5, -5 (slope 0)                grid -8..-2
 *   lm-mua-b1-fft      r = 2, 8, 32: -7, -7, -8; FFT -9                  grid -11..-6
 *   lm-attn-vs-all     q+v r = 5, 24: -6, -6; all r = 5, 24: -7, -7      grid -9..-4
 *                      (equal budget, held-out: all r = 5 2.95 bits/byte, q+v r = 24 3.26)
 *   lm-learns-forgets  best held-out loss at r = 2, 8, 32: -6, -6, -5; FFT -9   grid -10..-5
 *                      (held-out Shakespeare 3.05, 3.01, 2.99, FFT 2.94; KJV 2.29, 2.35, 2.39, FFT 2.53;
 *                      the base: 4.70 and 1.86 bits/byte)
 * The page's own runs draw other windows and initial factors, so its numbers differ somewhat.
 */
import type { RunConfig } from '../config/schema';
import { ALL_CELLS, cellsOf, equalBudgetRank } from '../tasks/lmTargets';
import type { Preset } from './presets';

const MUA = 'muA paper (Chen, Villar, Hayou): Learning Rate Scaling across LoRA Ranks and Transfer to Full Finetuning (Figure 2: Llama-3.2-1B on Tulu3)';
const lr = (from: number, to: number, step = 1) => ({ from, to, step });

/**
 * The settings of every LM preset: Shakespeare, 4 windows of 64 bytes, 100 steps, every projection
 * (unless the preset sweeps them). Coming from the toy, TASK_PRESETS.lm applies first (presetSettings).
 */
const LM: Partial<RunConfig> = { task: 'lm', lmData: 'shakespeare', seqLen: 64, batch: 4, accum: 1, steps: 100, logEvery: 10, lmTargets: ALL_CELLS };
/** A first look on a slow (software) GPU: 20 steps of 2 windows of 32 bytes, logged often enough for a final loss. */
const QUICK = { settings: { steps: 20, logEvery: 5, batch: 2, seqLen: 32 } };

/** Attention-only LoRA: q_proj and v_proj on both layers (the LoRA paper's choice). */
export const QV_CELLS: readonly number[] = cellsOf(['q_proj', 'v_proj']);
/** The rank of all-linear-layer LoRA in the equal-budget preset, and q,v's rank at the same budget (24). */
export const ALL_RANK = 5;
export const QV_RANK = equalBudgetRank(QV_CELLS, ALL_CELLS, ALL_RANK);

export const LM_PRESETS: readonly Preset[] = [
  {
    id: 'lm-mua-a1',
    title: 'LM · muA: Init[A], alpha_eff = 1',
    source: MUA,
    found: 'On a Llama language model, as muA predicts: with Init[A] and alpha_eff = 1 (lora_alpha = r), the optimal learning rate shrinks as the rank grows, eta* ~ r^-1/2 (slope -1/2 of log2 eta* against log2 r).',
    def: { ranks: [2, 8, 32], lr: lr(-10, -4), alpha: { kind: 'alphaEff', values: [1] }, inits: ['initA'], scalings: ['standard'] },
    settings: LM,
    quick: QUICK,
    view: {},
  },
  {
    id: 'lm-mua-a-inv-r',
    title: 'LM · muA: Init[A], alpha_eff = 1/r',
    source: MUA,
    found: "On a Llama language model, with Init[A] and a fixed lora_alpha (alpha_eff = 1/r, the original LoRA paper's choice), the optimal learning rate is rank-invariant: the optima line up (slope 0).",
    def: { ranks: [2, 8, 32], lr: lr(-8, -2), alpha: { kind: 'loraAlpha', values: [1] }, inits: ['initA'], scalings: ['standard'] },
    settings: LM,
    quick: QUICK,
    view: {},
  },
  {
    id: 'lm-mua-b1-fft',
    title: 'LM · muA: Init[B], alpha_eff = 1, vs full fine-tuning',
    source: MUA,
    found: "On a Llama language model, with Init[B] (B random, A = 0) and alpha_eff = 1, the optimal learning rate is rank-invariant and close to full fine-tuning's, so a learning rate tuned with LoRA transfers to full fine-tuning (here: full training of the same projections).",
    def: { ranks: [2, 8, 32], lr: lr(-11, -6), alpha: { kind: 'alphaEff', values: [1] }, inits: ['initB'], scalings: ['standard'], includeFft: true },
    settings: LM,
    quick: QUICK,
    view: {},
  },
  {
    id: 'lm-attn-vs-all',
    title: 'LM · attention (q, v) vs all linear layers at equal budget',
    source: 'LoRA paper (Hu et al. 2021, Table 5: which weight matrices to adapt, at a fixed parameter budget); Sebastian Raschka: Practical tips for finetuning LLMs using LoRA',
    found: 'At a fixed budget of trainable parameters, spreading LoRA over more weight types at a lower rank did as well as or better than a higher rank on fewer (Hu et al.: Wq, Wk, Wv, Wo at r = 2 matched or beat Wq, Wv at r = 4 on GPT-3). Raschka found LoRA on all linear layers, the MLP included, better than on q and v alone. Here q, v at r = ' + QV_RANK + ' and all seven projections at r = ' + ALL_RANK + ' train the same number of parameters (within 0.3%); each set is also run at the other rank.',
    def: { ranks: [ALL_RANK, QV_RANK], lr: lr(-9, -4), alpha: { kind: 'loraAlpha', values: [16] }, inits: ['initA'], scalings: ['standard'], lmTargets: [[...QV_CELLS], [...ALL_CELLS]] },
    settings: LM,
    quick: { ...QUICK, def: { lr: lr(-7, -5, 2) } },
    view: { heatmap: ['lmTargets', 'rank'] },
  },
  {
    id: 'lm-learns-forgets',
    title: 'LM · LoRA learns less and forgets less',
    source: 'Biderman et al. 2024: LoRA Learns Less and Forgets Less (Llama-2-7B on code and math)',
    found: "LoRA learned the target domain less well than full fine-tuning but kept more of the base model's abilities outside it: it forgot less. Higher ranks learned more and forgot more, closer to full fine-tuning, which learned most and forgot most. Here the target is Shakespeare and \"outside\" is the KJV the base was pretrained on: each run's held-out loss on both, at each rank's (and full fine-tuning's) best learning rate.",
    // A fixed lora_alpha keeps LoRA's optimum rank-invariant (muA, alpha_eff = 1/r), so one grid from full
    // fine-tuning's optimum (lower) up to LoRA's covers every curve.
    def: { ranks: [2, 8, 32], lr: lr(-10, -5), alpha: { kind: 'loraAlpha', values: [1] }, inits: ['initA'], scalings: ['standard'], includeFft: true },
    settings: LM,
    quick: { ...QUICK, def: { lr: lr(-9, -5, 2) } },
    view: { forgetting: true },
  },
];
