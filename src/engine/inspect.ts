/**
 * What the "inside the adapter" panel shows of a run at a logged step: per adapted module, the update's
 * singular values (Delta W = s B A for LoRA, W - W0 for full fine-tuning) against the true change's
 * (the toy task knows it: Delta_l = c U_l V_l^T), the subspace agreement with the truth, the effective
 * rank, and the factor norms. Plain data, computed in the worker from the run's real weights read back
 * from the GPU; the page only draws it.
 */

/** One adapted module at one logged step. */
export interface ModuleInspect {
  /** PEFT module name ('layers.1', 'model.layers.0.self_attn.q_proj'). */
  module: string;
  mode: 'lora' | 'full';
  /** The adapter's rank (0 for full fine-tuning). */
  r: number;
  /** Singular values of the update, descending: all r of a LoRA update, the top MAX_SIGMA of a full one. */
  sigma: number[];
  /** The true change's singular values, descending (toy task only). */
  trueSigma?: number[];
  /**
   * Cosines of the principal angles between the update's top-k left singular directions and the true
   * change's (k = min(r, r*), toy task), largest first: 1 = the same subspace.
   */
  agreement?: number[];
  /** exp(entropy of sigma / sum sigma): 1 for a rank-1 update, r for r equal values. */
  effRank: number;
  /** Frobenius norms: A and B (LoRA), the update, and the change of A, B since the previous inspection. */
  normA?: number;
  normB?: number;
  normDelta: number;
  stepA?: number;
  stepB?: number;
  /**
   * The share of the update's energy (||Delta W||_F^2) outside the span of the base weight's top
   * BASE_DIRECTIONS left singular directions: 0 = it only re-weights what the base already does,
   * near 1 = new directions.
   */
  outsideBase?: number;
}

/** A downsampled update and truth of one module, on one colour scale (the heatmap view). */
export interface InspectHeat {
  module: string;
  rows: number;
  cols: number;
  /** rows x cols, row-major: block means of Delta W (at most 128 x 128). */
  delta: number[];
  truth?: number[];
}

export interface InspectPoint {
  step: number;
  modules: ModuleInspect[];
  heat?: InspectHeat;
  /** Milliseconds spent reading the factors back and computing this point (kept off the hot path). */
  readbackMs: number;
  computeMs: number;
}

/** The largest number of singular values kept of a full fine-tuning update (the chart's x axis). */
export const MAX_SIGMA = 32;
/** How many of the base weight's top singular directions outsideBase measures against. */
export const BASE_DIRECTIONS = 16;
/** Heatmaps are block means down to at most this many rows and columns. */
export const MAX_HEAT = 128;
