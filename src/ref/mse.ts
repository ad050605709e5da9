/**
 * CPU reference for the mean squared error (the spec), float64, as PyTorch's
 * F.mse_loss(pred, target, reduction='mean') times a loss scale s:
 *   loss = s * (1/n) sum_i (pred_i - target_i)^2
 *   dloss/dpred_i = s * 2 (pred_i - target_i) / n        (returned times gradScale, a gradient-only factor)
 */
export function mseLoss(
  pred: ArrayLike<number>,
  target: ArrayLike<number>,
  scale = 1,
  gradScale = 1,
): { loss: number; grad: Float64Array } {
  const n = pred.length;
  if (target.length !== n) throw new Error(`mseLoss: pred has ${n} elements, target ${target.length}`);
  let sq = 0;
  const grad = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const d = pred[i] - target[i];
    sq += d * d;
    grad[i] = (gradScale * scale * 2 * d) / n;
  }
  return { loss: (scale * sq) / n, grad };
}
