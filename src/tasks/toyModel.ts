/**
 * The toy task's model as a description (src/engine/model.ts): `layers.0` (W_in, dIn -> n, frozen),
 * `layers.1`..`layers.L` (n -> n, adaptable: LoRA-adapted or fully trained when in `targets`), `head`
 * (W_out, n -> dOut, frozen); PyTorch nn.Linear layout (out, in), no biases, the activation after every
 * module but the head. The only place these names and shapes are written.
 */
import type { RunConfig } from '../config/schema';
import type { LinearModule, ModelDesc } from '../engine/model';

export type ToyModelConfig = Pick<RunConfig, 'dIn' | 'width' | 'layers' | 'dOut' | 'targets' | 'mode' | 'activation' | 'loss'>;

export function toyModel(cfg: ToyModelConfig): ModelDesc {
  const n = cfg.width;
  const hidden = Array.from({ length: cfg.layers }, (_, k): LinearModule => {
    const i = k + 1;
    const trained = cfg.targets.includes(i);
    return { name: `layers.${i}`, dIn: n, dOut: n, adaptable: true, mode: !trained ? 'frozen' : cfg.mode === 'lora' ? 'lora' : 'full' };
  });
  return {
    modules: [{ name: 'layers.0', dIn: cfg.dIn, dOut: n, adaptable: false, mode: 'frozen' }, ...hidden, { name: 'head', dIn: n, dOut: cfg.dOut, adaptable: false, mode: 'frozen' }],
    bias: false,
    activation: cfg.activation,
    loss: cfg.loss,
  };
}
