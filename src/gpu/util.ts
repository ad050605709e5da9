/** Integer ceil(a / b) for dispatch sizes. The one place it lives. */
export function ceilDiv(a: number, b: number): number {
  return Math.floor((a + b - 1) / b);
}

/** Round n up to a multiple of m. */
export function roundUp(n: number, m: number): number {
  return ceilDiv(n, m) * m;
}

/** The most workgroups WebGPU guarantees per dispatch dimension. */
export const MAX_WORKGROUPS_PER_DIM = 65535;

/**
 * Grid for a 1-D kernel over n elements with `wg` threads per workgroup. Beyond 65535 workgroups the
 * grid folds into y; kernels recover the flat index as `gid.x + gid.y * num_workgroups.x * WG`.
 */
export function grid1d(n: number, wg: number): [number, number, number] {
  const groups = ceilDiv(n, wg);
  if (groups <= MAX_WORKGROUPS_PER_DIM) return [groups, 1, 1];
  const y = ceilDiv(groups, MAX_WORKGROUPS_PER_DIM);
  return [ceilDiv(groups, y), y, 1];
}
