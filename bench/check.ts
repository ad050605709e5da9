/** Correctness checks that run before any timing: a wrong kernel has no speed worth reporting. */
import { compareArrays, type Tolerance } from '../src/test/compare';
import { CheckFailed } from './types';

export function checkClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: Tolerance, label: string): void {
  const msg = compareArrays(got, want, tol, label);
  if (msg) throw new CheckFailed(msg);
}

/** `count` distinct-ish flat indices in [0, size), spread with a fixed stride so the check is cheap. */
export function sampleIndices(size: number, count: number): number[] {
  if (size <= count) return Array.from({ length: size }, (_, i) => i);
  const stride = size / count;
  // The last element is always included: it is the one a missing bounds guard gets wrong.
  return [...Array.from({ length: count - 1 }, (_, i) => Math.floor(i * stride + stride / 3)), size - 1];
}
