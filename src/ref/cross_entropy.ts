/**
 * CPU reference for softmax cross-entropy with integer labels (the spec), float64, as PyTorch's
 * F.cross_entropy(logits, labels, reduction='mean'):
 *   lse_r = m_r + log sum_c exp(z_rc - m_r),  m_r = max_c z_rc          (log-sum-exp, stable at |z| ~ 100)
 *   loss = (1/rows) sum_r (lse_r - z_r,y_r)
 *   dloss/dz_rc = (softmax(z_r)_c - [c == y_r]) / rows                  (returned times gradScale)
 *   accuracy = (1/rows) #{r : argmax_c z_rc == y_r}, argmax = first index among ties (torch.argmax)
 * logits: (rows, classes) row-major; labels: (rows), each in [0, classes).
 */
export function crossEntropyLoss(
  logits: ArrayLike<number>,
  labels: ArrayLike<number>,
  rows: number,
  classes: number,
  gradScale = 1,
): { loss: number; accuracy: number; grad: Float64Array } {
  if (logits.length !== rows * classes) throw new Error(`crossEntropyLoss: logits has ${logits.length} elements, expected ${rows}x${classes}`);
  if (labels.length !== rows) throw new Error(`crossEntropyLoss: labels has ${labels.length} elements, expected ${rows}`);
  const grad = new Float64Array(rows * classes);
  let loss = 0;
  let correct = 0;
  for (let r = 0; r < rows; r++) {
    const y = labels[r];
    if (!Number.isInteger(y) || y < 0 || y >= classes) throw new Error(`crossEntropyLoss: label ${y} of row ${r} is not in [0, ${classes})`);
    const z = (c: number) => logits[r * classes + c];
    let m = z(0);
    let arg = 0;
    for (let c = 1; c < classes; c++) {
      if (z(c) > m) {
        m = z(c);
        arg = c;
      }
    }
    let s = 0;
    for (let c = 0; c < classes; c++) s += Math.exp(z(c) - m);
    loss += m + Math.log(s) - z(y);
    if (arg === y) correct++;
    for (let c = 0; c < classes; c++) grad[r * classes + c] = (gradScale * (Math.exp(z(c) - m) / s - (c === y ? 1 : 0))) / rows;
  }
  return { loss: loss / rows, accuracy: correct / rows, grad };
}
