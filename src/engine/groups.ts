/**
 * Per-group optimizer hyperparameters for a step: group A and full fine-tuning get the learning rate,
 * group B gets lr * loraPlusRatio (LoRA+); weight decay is the same everywhere.
 */
import type { GroupHyper } from '../gpu/kernels/paramGroups';
import type { ParamLayout } from './layout';
import type { OptimSettings } from './types';

export function groupHypers(layout: ParamLayout, lr: number, optim: Pick<OptimSettings, 'weightDecay' | 'loraPlusRatio'>): GroupHyper[] {
  return layout.groups.map((g) => ({ lr: g.name === 'B' ? lr * optim.loraPlusRatio : lr, weightDecay: optim.weightDecay }));
}
