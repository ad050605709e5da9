/**
 * Parameter groups shared by the optimizer launchers (adamw.ts, sgd.ts): ranges of one flat buffer, each
 * with its own learning rate and weight decay, packed into a uniform table of at most MAX_GROUPS entries
 * so that a whole optimizer step stays one dispatch. Each group is cut into tiles of WG * ITEMS elements
 * and owns a contiguous run of workgroups, so the shader looks its group up once per workgroup.
 */
import type { UniformField } from '../uniforms';
import { ceilDiv, grid1d } from '../util';

/** Element offsets in the flat buffer, end exclusive. */
export interface ParamGroupRange {
  start: number;
  end: number;
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

/** Must match MAX_GROUPS in shaders/adamw.wgsl and shaders/sgd.wgsl. */
export const MAX_GROUPS = 8;

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
 * The group table as uniform fields: MAX_GROUPS entries of {start, end, tile0, tile1: u32, a, b: f32, pad,
 * pad}, where a and b are whatever per-group constants the kernel wants (unused entries are zero).
 */
export function groupTableFields(groups: ParamGroupRange[], tiles: [number, number][], perGroup: (k: number) => [number, number]): UniformField[] {
  const out: UniformField[] = [];
  for (let k = 0; k < MAX_GROUPS; k++) {
    const g = groups[k];
    const [a, b] = g ? perGroup(k) : [0, 0];
    const [t0, t1] = g ? tiles[k] : [0, 0];
    out.push(['u32', g ? g.start : 0], ['u32', g ? g.end : 0], ['u32', t0], ['u32', t1], ['f32', a], ['f32', b], ['u32', 0], ['u32', 0]);
  }
  return out;
}
