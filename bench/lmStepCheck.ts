/**
 * The checks a language-model training step passes before it is timed (the tfjs peer now, our GPU step
 * once it is wired in, through the same LmStepper interface):
 *   1. the first step's loss (B = 0, so the base model's) equals the CPU reference's mean next-token
 *      cross-entropy of the same windows (src/ref/llama.ts logits, src/ref/cross_entropy.ts) to FIRST_RTOL;
 *   2. after DESCENT_STEPS steps at DESCENT_LR on that one batch, the loss is lower than at the first.
 * Check 1 covers the forward math and the loss; check 2 that the gradients and the update point downhill.
 */
import { crossEntropyLoss } from '../src/ref/cross_entropy';
import { llamaForward } from '../src/ref/llama';
import { tfjsLlamaStep, type LmPeerArgs, type LmStepper } from './tfjsLlama';
import { CheckFailed } from './types';

export type LmStepFactory = (args: LmPeerArgs) => Promise<LmStepper>;

/** f32 forward against the reference's f64 accumulations: observed ~1e-6; 1e-4 leaves room, catches any math slip. */
const FIRST_RTOL = 1e-4;
const DESCENT_LR = 1e-2;
const DESCENT_STEPS = 5;

export interface LmStepCheck {
  reference: number;
  first: number;
  relErr: number;
  /** Losses of steps 1..DESCENT_STEPS at DESCENT_LR. */
  losses: number[];
}

/** Mean next-token cross-entropy of the base model over the windows, by the CPU reference. */
export function referenceLoss(a: Pick<LmPeerArgs, 'shape' | 'weights' | 'seq' | 'windows'>): number {
  let sum = 0;
  for (const w of a.windows) {
    const logits = llamaForward(a.shape, a.weights, w.slice(0, a.seq));
    sum += crossEntropyLoss(logits, w.slice(1), a.seq, a.shape.vocab).loss;
  }
  return sum / a.windows.length; // windows are equally long: the mean of their means is the mean over tokens
}

/** Runs both checks on a fresh stepper from `make` (at DESCENT_LR); throws CheckFailed with the figures. */
export async function checkLmStepper(name: string, make: LmStepFactory, a: LmPeerArgs, reference = referenceLoss(a)): Promise<LmStepCheck> {
  const stepper = await make({ ...a, lr: DESCENT_LR });
  try {
    const losses = [await stepper.step()];
    const first = losses[0];
    const relErr = Math.abs(first - reference) / Math.abs(reference);
    if (!(relErr <= FIRST_RTOL)) throw new CheckFailed(`lmstep ${name}: first-step loss ${first} but the CPU reference's cross-entropy is ${reference} (relative error ${relErr.toExponential(2)} > ${FIRST_RTOL})`);
    for (let t = 2; t <= DESCENT_STEPS; t++) losses.push(await stepper.step());
    const last = losses[losses.length - 1];
    if (!(last < first)) throw new CheckFailed(`lmstep ${name}: the loss did not go down in ${DESCENT_STEPS} steps at lr ${DESCENT_LR}: ${losses.map((l) => l.toFixed(5)).join(', ')}`);
    return { reference, first, relErr, losses };
  } finally {
    stepper.dispose();
  }
}

export const checkTfjsLlama = (a: LmPeerArgs, reference?: number): Promise<LmStepCheck> => checkLmStepper('tfjs', tfjsLlamaStep, a, reference);
