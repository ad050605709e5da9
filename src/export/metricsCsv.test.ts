import { describe, expect, it } from 'vitest';
import { metricsCsv } from './metricsCsv';

describe('metricsCsv', () => {
  it('one row per logged point, empty cells for values not logged, NaN kept', () => {
    const csv = metricsCsv([
      { step: 1, loss: 1.5, gradNorm: 2, divergedStep: 0, lr: 0.001, stepsPerSec: 10, evalLoss: 1.25 },
      { step: 5, loss: NaN, gradNorm: Infinity, divergedStep: 5, lr: 0.002, stepsPerSec: 12 },
    ]);
    expect(csv).toBe('step,loss,eval_loss,accuracy,eval_accuracy,grad_norm,lr,steps_per_sec\n1,1.5,1.25,,,2,0.001,10\n5,NaN,,,,Infinity,0.002,12\n');
  });
});
