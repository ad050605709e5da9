/**
 * Number formatting for everything the page shows (charts, tables, panels, messages), in one place,
 * and the one tick helper for log axes.
 */

/** 3 significant digits, no trailing zeros: "0.385", "12.3". */
export function short(x: number): string {
  return String(Number(x.toPrecision(3)));
}

/** "7.8e-3" (no '+' in positive exponents). */
export function sci(x: number): string {
  return x.toExponential(1).replace('e+', 'e');
}

/** A loss or other positive quantity over many decades: "0.385", "9.67e-5", "1.18e6". */
export function fmtNum(x: number): string {
  const a = Math.abs(x);
  return a !== 0 && Number.isFinite(a) && (a < 1e-3 || a >= 1e5) ? x.toExponential(2).replace('e+', 'e') : short(x);
}

/** An axis tick: "0.05", "1e-4". */
export function fmtTick(x: number): string {
  const a = Math.abs(x);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? x.toExponential(0).replace('e+', 'e') : short(x);
}

/** A table cell: 3 significant digits, '–' for a missing or NaN value, "Infinity" as such. */
export function fmt(x: number | null | undefined): string {
  if (x === null || x === undefined) return '–';
  if (!Number.isFinite(x)) return Number.isNaN(x) ? '–' : String(x);
  return short(x);
}

/** "2^-6.5". */
export const pow2 = (x: number) => `2^${Number(x.toFixed(2))}`;

/** A percentage without a '%': two significant digits below 0.1, else one decimal. */
export const percent = (p: number) => (p < 0.1 ? p.toPrecision(2) : p.toFixed(1));

/** "512 B", "1.5 KiB", "3.00 MiB": binary units, three significant digits. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${Number(v.toPrecision(3))} ${units[u]}`;
}

/**
 * Ticks for a log axis on [lo, hi]: powers of ten, with 2x and 5x between them when the range spans at
 * most two decades (a chart's own log ticks land on odd values like 0.06); the two ends (3 digits) when
 * fewer than two ticks fall inside; none for a range that is not positive.
 */
export function logTicks(lo: number, hi: number): number[] {
  if (!(lo > 0 && hi > lo)) return [];
  const mults = Math.log10(hi / lo) <= 2 ? [1, 2, 5] : [1];
  const out: number[] = [];
  for (let k = Math.floor(Math.log10(lo)); k <= Math.ceil(Math.log10(hi)); k++)
    for (const m of mults) {
      const v = Number((m * 10 ** k).toPrecision(3));
      if (v >= lo && v <= hi) out.push(v);
    }
  return out.length >= 2 ? out : [Number(lo.toPrecision(3)), Number(hi.toPrecision(3))];
}
