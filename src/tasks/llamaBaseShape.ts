/**
 * The shipped base's shape (public/models/tiny-llama-kjv/config.json) as a constant, for the arithmetic
 * the page does before any file is loaded: a sweep's trainable-parameter counts and a preset's
 * equal-budget ranks. The engine reads the real config.json; llamaBase.test.ts checks that they agree.
 */
import type { LlamaShape } from '../ref/llama';

export const BASE_SHAPE: Readonly<LlamaShape> = Object.freeze({
  vocab: 256,
  hidden: 128,
  intermediate: 352,
  layers: 2,
  heads: 4,
  kvHeads: 4,
  headDim: 32,
  eps: 1e-5,
  ropeTheta: 10000,
  context: 128,
});
