/**
 * Parameter groups shared by the optimizer launchers (adamw.ts, sgd.ts): ranges of one flat buffer, each
 * with its own learning rate, weight decay and clip coefficient, packed into a storage table so that a
 * whole optimizer step stays one dispatch, whatever the number of groups (a batched sweep has two per run). Each group is cut into tiles of WG * ITEMS elements
 * and owns a contiguous run of workgroups, so the shader looks its group up once per workgroup.
 */
import { ceilDiv, grid1d } from '../util';

/** Element offsets in the flat buffer, end exclusive. */
export interface ParamGroupRange {
  start: number;
  end: number;
  /** Which entry of the clip-coefficient buffer scales this group's gradients (default 0). */
  clipIndex?: number;
}

export interface GroupHyper {
  lr: number;
  weightDecay: number;
}

/**
 * Threads per workgroup and elements per thread (shader overrides WG and ITEMS). 16 elements per thread
 * amortise the group lookup and index set-up: on SwiftShader ITEMS 16 ran a 1M-parameter AdamW step in
 * about half the time of ITEMS 4 (and a third of one thread per element); on a real GPU 256 x 16
 * elements per workgroup still gives hundreds of workgroups for a million parameters.
 */
export interface OptimizerTiling {
  wg: number;
  items: number;
}

export const DEFAULT_TILING: OptimizerTiling = { wg: 256, items: 16 };

/** A sanity bound on the table (a sweep of a few hundred runs has a few hundred groups). */
export const MAX_GROUPS = 65536;

/** Throws unless the groups are at most MAX_GROUPS disjoint integer ranges inside [0, n). */
export function validateGroups(kernel: string, n: number, groups: ParamGroupRange[]): void {
  if (groups.length > MAX_GROUPS) throw new Error(`${kernel}: ${groups.length} parameter groups, at most ${MAX_GROUPS} allowed`);
  for (const [k, g] of groups.entries()) {
    if (!Number.isInteger(g.start) || !Number.isInteger(g.end) || g.start < 0 || g.end < g.start || g.end > n) {
      throw new Error(`${kernel}: group ${k} [${g.start}, ${g.end}) is not a range inside [0, ${n})`);
    }
  }
  // Overlapping groups would make one element's update depend on group order; PyTorch forbids it too.
  const sorted = [...groups].sort((a, b) => a.start - b.start);
  for (let k = 1; k < sorted.length; k++) {
    if (sorted[k].start < sorted[k - 1].end) throw new Error(`${kernel}: parameter groups overlap`);
  }
}

export function validateStep(kernel: string, t: number, groups: ParamGroupRange[], hyper: GroupHyper[]): void {
  if (!Number.isInteger(t) || t < 1) throw new Error(`${kernel}: step t must be an integer >= 1, got ${t}`);
  if (hyper.length !== groups.length) throw new Error(`${kernel}: ${hyper.length} hyperparameter sets for ${groups.length} groups`);
}

/** Workgroup range [tile0, tile1) of each group, in listed order, and the grid covering them all. */
export function groupTiles(groups: ParamGroupRange[], tiling: OptimizerTiling): { tiles: [number, number][]; workgroups: [number, number, number] } {
  const per = tiling.wg * tiling.items;
  let next = 0;
  const tiles = groups.map((g): [number, number] => {
    const t0 = next;
    next += ceilDiv(g.end - g.start, per);
    return [t0, next];
  });
  return { tiles, workgroups: grid1d(next, 1) };
}

/**
 * The group table for the shader's storage array: per group {start, end, tile0, tile1: u32, a, b: f32,
 * clipIndex, pad: u32}, where a and b are whatever per-group constants the kernel wants.
 */
export function groupTable(groups: ParamGroupRange[], tiles: [number, number][], perGroup: (k: number) => [number, number]): ArrayBuffer {
  const buf = new ArrayBuffer(Math.max(1, groups.length) * 32);
  const u = new Uint32Array(buf);
  const f = new Float32Array(buf);
  groups.forEach((g, k) => {
    const [a, b] = perGroup(k);
    u.set([g.start, g.end, tiles[k][0], tiles[k][1]], k * 8);
    f[k * 8 + 4] = a;
    f[k * 8 + 5] = b;
    u[k * 8 + 6] = g.clipIndex ?? 0;
  });
  return buf;
}
