/**
 * How a task's losses are shown. The language model is byte-level (one token per byte) and its trainer
 * reports cross-entropy in nats per byte; the literature (and scripts/pretrain_base.py's training.json)
 * quotes bits per byte, nats / ln 2. The toy's losses are shown as they are. Only the display changes:
 * the analysis works in whatever the engine logged (an optimum's position does not depend on the unit).
 */
import type { RunConfig } from '../config/schema';

/** Bits per byte from nats per byte. */
export const bitsPerByte = (nats: number): number => nats / Math.LN2;

export interface LossView {
  /** '' for losses as logged (the toy), 'bits/byte' for the language model. */
  unit: string;
  /** What follows a loss's name on an axis or in a heading: '' or ' (bits/byte)'. */
  suffix: string;
  /** A logged loss as shown. */
  of(x: number): number;
}

const AS_LOGGED: LossView = { unit: '', suffix: '', of: (x) => x };
const BITS: LossView = { unit: 'bits/byte', suffix: ' (bits/byte)', of: bitsPerByte };

export function lossView(task: RunConfig['task']): LossView {
  return task === 'lm' ? BITS : AS_LOGGED;
}
