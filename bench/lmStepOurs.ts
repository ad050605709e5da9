/**
 * Our GPU training step of the language model behind the bench's LmStepper interface: a one-run
 * LlamaTrainer (src/engine/llamaTrainer.ts) on the args' base, windows and settings, LoRA factors
 * initialised as the peer's (A as PEFT's default, B = 0: the first step is the base model's loss).
 * Steps between readbacks are submitted without waiting; the last one logs its loss.
 */
import { LlamaTrainer } from '../src/engine/llamaTrainer';
import { initLora } from '../src/tasks/init';
import { llamaLinears } from '../src/tasks/llamaModel';
import { Rng } from '../src/rng';
import type { Dispatch } from '../src/gpu/dispatch';
import type { LmPeerArgs, LmStepper } from './tfjsLlama';

export async function ourLlamaStep(device: GPUDevice, a: LmPeerArgs): Promise<LmStepper & { dispatches(): Dispatch[] }> {
  const modules = llamaLinears(a.shape, { types: [], layers: [], mode: 'lora' }).map((m) => ({ ...m, mode: a.targets.includes(m.name) ? ('lora' as const) : ('frozen' as const) }));
  const init = { r: a.r, scaling: a.scaling, A: [] as (Float32Array | null)[], B: [] as (Float32Array | null)[] };
  modules.forEach((m, i) => {
    const f = m.mode === 'lora' ? initLora('peft', a.r, m.dIn, m.dOut, Rng.stream(a.seed ?? 0, `lora/${i}`)) : null;
    init.A.push(f?.A ?? null);
    init.B.push(f?.B ?? null);
  });
  const optim = { kind: 'adamw' as const, beta1: 0.9, beta2: 0.999, eps: 1e-8, momentum: 0 };
  const tr = new LlamaTrainer(device, { shape: a.shape, weights: a.weights, modules, batch: a.batch, seq: a.seq, accum: 1, optim, divergeBound: 1e6, evalSets: [] }, [init]);
  const hypers = [{ lr: a.lr, weightDecay: a.weightDecay ?? 0.01, loraPlusRatio: 1, clip: 0 }];
  let t = 0;
  const run = async (steps: number): Promise<number> => {
    let logs: Promise<{ loss: number }[]> | null = null;
    for (let i = 0; i < steps; i++) {
      const sub = await tr.submit({ t: ++t, hypers, windows: [a.windows] }, i === steps - 1);
      if (sub) logs = sub.logs;
    }
    return (await logs!)[0].loss;
  };
  return { step: () => run(1), run, dispose: () => tr.destroy(), dispatches: () => tr.dispatchLists().step };
}
