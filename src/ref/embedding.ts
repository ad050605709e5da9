/** Token embedding lookup (the spec of shaders/embedding.wgsl): row i of the output is row tokens[i] of E (vocab, dim). */
export function embeddingForward(E: ArrayLike<number>, dim: number, tokens: ArrayLike<number>): Float64Array {
  const out = new Float64Array(tokens.length * dim);
  for (let i = 0; i < tokens.length; i++) for (let j = 0; j < dim; j++) out[i * dim + j] = E[tokens[i] * dim + j];
  return out;
}

/** Its gradient: dE[v] = the sum of dOut's rows i with tokens[i] = v (a table row no token uses stays 0). */
export function embeddingBackward(dOut: ArrayLike<number>, dim: number, tokens: ArrayLike<number>, vocab: number): Float64Array {
  const dE = new Float64Array(vocab * dim);
  for (let i = 0; i < tokens.length; i++) for (let j = 0; j < dim; j++) dE[tokens[i] * dim + j] += dOut[i * dim + j];
  return dE;
}
