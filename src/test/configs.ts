/** Configs for tests that build trainers of many settings (the memory estimate's tests). */
import { DEFAULT_CONFIG, TASK_PRESETS, type RunConfig } from '../config/schema';

export const toy = (p: Partial<RunConfig>): RunConfig => ({ ...DEFAULT_CONFIG, ...p });
/** The language model on short windows and a small batch, unless told otherwise. */
export const lm = (p: Partial<RunConfig>): RunConfig => ({ ...DEFAULT_CONFIG, ...TASK_PRESETS.lm, task: 'lm', seqLen: 32, batch: 2, ...p });
/** R runs of one group (one per rank): ranks and learning rates differ. */
export const group = (c: RunConfig, ranks: number[]): RunConfig[] => ranks.map((r, i) => ({ ...c, r, lr: 2 ** (-8 + i) }));
