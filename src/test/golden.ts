/** Golden cases from fixtures/golden (copied verbatim from ../shared/golden; PyTorch float64). */
export { default as goldenMatmul } from '../../fixtures/golden/matmul.json';
export { default as goldenLora } from '../../fixtures/golden/lora_linear.json';
export { default as goldenGelu } from '../../fixtures/golden/gelu.json';
export { default as goldenLosses } from '../../fixtures/golden/losses.json';
export { default as goldenOptimizers } from '../../fixtures/golden/optimizers.json';
export { default as goldenClip } from '../../fixtures/golden/clip.json';
export { default as goldenSchedule } from '../../fixtures/golden/schedule.json';
export { default as goldenTrainStep } from '../../fixtures/golden/train_step.json';
export { default as goldenEma } from '../../fixtures/golden/ema.json';
