/**
 * Elementwise comparison with tolerance |got - want| <= atol + rtol * |want| (llm.c style).
 * A failure names the worst elements, so a broken kernel is diagnosable from the test log.
 */
export interface Tolerance {
  atol: number;
  rtol: number;
}

export function compareArrays(got: ArrayLike<number>, want: ArrayLike<number>, tol: Tolerance, label = ''): string | null {
  if (got.length !== want.length) return `${label}: length ${got.length} != expected ${want.length}`;
  const bad: { i: number; g: number; w: number; excess: number }[] = [];
  for (let i = 0; i < want.length; i++) {
    const g = got[i];
    const w = want[i];
    const lim = tol.atol + tol.rtol * Math.abs(w);
    const err = Math.abs(g - w);
    if (!(err <= lim)) bad.push({ i, g, w, excess: Number.isFinite(err) ? err / lim : Infinity });
  }
  if (!bad.length) return null;
  bad.sort((a, b) => b.excess - a.excess);
  const worst = bad
    .slice(0, 5)
    .map((b) => `[${b.i}] got ${b.g} want ${b.w} (|diff| ${Math.abs(b.g - b.w).toExponential(2)})`)
    .join('; ');
  return `${label}: ${bad.length}/${want.length} elements out of tolerance (atol ${tol.atol}, rtol ${tol.rtol}); worst: ${worst}`;
}

/** Throw (failing the test) when arrays differ beyond tolerance. */
export function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: Tolerance, label = ''): void {
  const msg = compareArrays(got, want, tol, label);
  if (msg) throw new Error(msg);
}
