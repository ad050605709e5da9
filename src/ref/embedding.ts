/** Token embedding lookup (the spec of shaders/embedding.wgsl): row i of the output is row tokens[i] of E (vocab, dim). */
export function embeddingForward(E: ArrayLike<number>, dim: number, tokens: ArrayLike<number>): Float64Array {
  const out = new Float64Array(tokens.length * dim);
  for (let i = 0; i < tokens.length; i++) for (let j = 0; j < dim; j++) out[i * dim + j] = E[tokens[i] * dim + j];
  return out;
}
