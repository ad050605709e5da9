/**
 * Synthetic sweeps for tests: the grid of a definition, each run "trained" by a formula that gives its
 * final loss (a flat tail of logged points at that value), or marks it diverged / collapsed. For the
 * language model, `evals` gives a finished run's held-out losses (fine-tuning text, pretraining text) at
 * its first logged point (step 1: the base, about) and at its last.
 */
import { DEFAULT_CONFIG, type RunConfig } from '../config/schema';
import type { MetricPoint, RunStatus } from '../engine/protocol';
import { buildGrid, DEFAULT_SWEEP } from './grid';
import type { GridRun, SweepDef, SweepRecord } from './types';

export type Outcome = number | 'diverged' | 'collapsed' | 'pending';

/** Logged points of a run that starts at `start` and ends flat at `final` (finalLoss reads `final` exactly). */
export function flatTail(start: number, final: number, n = 10, every = 10): MetricPoint[] {
  return Array.from({ length: n }, (_, i) => ({
    step: i === 0 ? 1 : i * every,
    loss: i === 0 ? start : final,
    gradNorm: 1,
    lr: 0.01,
    stepsPerSec: 100,
    divergedStep: 0,
    ...(i === n - 1 ? { evalLoss: final * 1.1 } : {}),
  }));
}

export type SyntheticEvals = (run: GridRun) => { first: number[]; last: number[] };

export function syntheticSweep(partial: Partial<SweepDef>, outcome: (run: GridRun) => Outcome, base: RunConfig = { ...DEFAULT_CONFIG }, evals?: SyntheticEvals): SweepRecord {
  const def: SweepDef = { ...structuredClone(DEFAULT_SWEEP as SweepDef), ...partial };
  const runs = buildGrid(def, base).map((g, i) => {
    const o = outcome(g);
    const runId = `s-${i}`;
    if (o === 'pending') return { ...g, runId, status: null, points: [] };
    if (o === 'diverged') {
      const pts = flatTail(1, 1, 3);
      pts[2] = { ...pts[2], loss: NaN, divergedStep: pts[2].step };
      const status: RunStatus = { state: 'diverged', step: pts[2].step, stepsPerSec: 100, divergedStep: pts[2].step };
      return { ...g, runId, status, points: pts };
    }
    const final = o === 'collapsed' ? 2 : o;
    const state = o === 'collapsed' ? 'collapsed' : 'done';
    // An ok run starts above where it ends (else it would count as collapsed).
    const start = o === 'collapsed' ? 1 : Math.max(1, 2 * final);
    const points = flatTail(start, final);
    if (evals) {
      const { first, last } = evals(g);
      points[0] = { ...points[0], evalLoss: first[0], evalLosses: first };
      points[points.length - 1] = { ...points[points.length - 1], evalLoss: last[0], evalLosses: last };
    }
    return { ...g, runId, status: { state, step: g.config.steps, stepsPerSec: 100, finalLoss: final } as RunStatus, points };
  });
  return { id: 'syn', name: 'synthetic', createdAt: 0, def, base, state: 'done', runs };
}
