/**
 * Every measurement the bench page runs, in order. To add one: write `bench/<name>.ts` exporting a
 * Measurement (see types.ts and timing.ts) and list it here.
 */
import { adamwBench } from './adamw';
import { lmBench } from './lm';
import { lmSweepBench } from './lmSweep';
import { lmStepBench } from './lmStep';
import { matmulBench } from './matmul';
import { profileBench } from './profile';
import { runBench } from './run';
import { sweepBench } from './sweep';
import { tilesBench } from './tiles';
import { trainstepBench } from './trainstep';
import type { Measurement } from './types';

export const MEASUREMENTS: Measurement[] = [matmulBench, adamwBench, trainstepBench, runBench, sweepBench, profileBench, lmBench, lmStepBench, lmSweepBench];

/** Run only when asked for by name (`--only tiles`): tuning data, not a figure of the default table. */
export const ON_REQUEST: Measurement[] = [tilesBench];
