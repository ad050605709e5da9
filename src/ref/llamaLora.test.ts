import { describe, expect, it } from 'vitest';
import golden from '../../fixtures/golden/llama_lora_step.json';
import { Rng } from '../rng';
import { llamaShapeFromConfig } from '../tasks/llamaConfig';
import { assertClose, type Tolerance } from '../test/compare';
import { numericGrad } from '../test/finiteDiff';
import { adamwInit, adamwStep } from './adamw';
import { llamaForward, llamaLinear, llamaTensorShapes, type LlamaShape, type LlamaWeights } from './llama';
import { llamaForwardLora, llamaLoraLossGrad, mergeAdapters, type LlamaAdapters } from './llamaLora';

const shape = llamaShapeFromConfig(golden.config);
const weights: LlamaWeights = Object.fromEntries(Object.entries(golden.weights).map(([k, v]) => [k, Float32Array.from(v)]));

type GoldenCase = (typeof golden.cases)[number];
const adaptersOf = (c: GoldenCase): LlamaAdapters =>
  Object.fromEntries(Object.entries(c.adapters as Record<string, { r: number; A: number[]; B: number[] }>).map(([m, f]) => [m, { r: f.r, scaling: c.scaling, A: Float32Array.from(f.A), B: Float32Array.from(f.B) }]));

/** Largest |got - want| over the arrays, for the log. */
const maxAbs = (got: ArrayLike<number>, want: ArrayLike<number>) => Math.max(...Array.from(want, (x, i) => Math.abs(got[i] - x)));

// float64 on both sides (the fixture's transformers run is float64 throughout); what differs is summation order
const TIGHT: Tolerance = { atol: 1e-12, rtol: 1e-9 };

describe('llama LoRA reference against PEFT (float64)', () => {
  const margins: string[] = [];
  for (const c of golden.cases) {
    const adapters = adaptersOf(c);
    const wantGrads = c.grads as Record<string, { dA: number[]; dB: number[] }>;
    const modules = Object.keys(adapters).sort();
    const logits = llamaForwardLora(shape, weights, adapters, c.windows[0].slice(0, -1));
    const { loss, grads } = llamaLoraLossGrad(shape, weights, adapters, c.windows);
    // one AdamW step over every A then every B, module by module, as one parameter vector (one group)
    const st = adamwInit(modules.flatMap((m) => [...adapters[m].A, ...adapters[m].B]));
    const { lr, weight_decay: weightDecay, betas, eps } = golden.adamw;
    adamwStep(st, modules.flatMap((m) => [...grads[m].dA, ...grads[m].dB]), 1, [{ start: 0, end: st.p.length }], [{ lr, weightDecay }], { beta1: betas[0], beta2: betas[1], eps });
    const after = c.after_adamw as Record<string, { A: number[]; B: number[] }>;
    const wantAfter = modules.flatMap((m) => [...after[m].A, ...after[m].B]);

    describe(`case ${c.name}`, () => {
      it('logits of the first window', () => assertClose(logits, c.logits_first_window, TIGHT, 'logits'));

      it('loss, and the loss of transformers as it runs (float32 norms, rotary table and softmax)', () => {
        expect(Math.abs(loss - c.loss) / c.loss).toBeLessThan(1e-12);
        expect(Math.abs(loss - c.loss_transformers) / c.loss).toBeLessThan(1e-6);
      });

      it('dA and dB of every adapter', () => {
        expect(Object.keys(grads).sort()).toEqual(Object.keys(wantGrads).sort());
        for (const [m, g] of Object.entries(wantGrads)) {
          assertClose(grads[m].dA, g.dA, TIGHT, `${m} dA`);
          assertClose(grads[m].dB, g.dB, TIGHT, `${m} dB`);
        }
      });

      it("one AdamW step (torch's decoupled weight decay) gives torch's parameters", () => assertClose(st.p, wantAfter, TIGHT, 'after AdamW'));
    });
    const gradErr = Math.max(...Object.entries(wantGrads).flatMap(([m, g]) => [maxAbs(grads[m].dA, g.dA), maxAbs(grads[m].dB, g.dB)]));
    const e = (x: number) => x.toExponential(1);
    margins.push(`${c.name}: loss rel ${e(Math.abs(loss - c.loss) / c.loss)}, max |diff| logits ${e(maxAbs(logits, c.logits_first_window))}, grads ${e(gradErr)}, after AdamW ${e(maxAbs(st.p, wantAfter))}`);
  }
  it('logs its margins', () => console.log(margins.join('\n')));
});

/** A model small enough for finite differences over every adapter entry; grouped heads, two layers. */
const tiny: LlamaShape = { vocab: 7, hidden: 8, intermediate: 6, layers: 2, heads: 2, kvHeads: 1, headDim: 4, eps: 1e-5, ropeTheta: 10000, context: 5 };

function tinyModel(seed: number): LlamaWeights {
  const rng = new Rng(seed);
  return Object.fromEntries(llamaTensorShapes(tiny).map(([n, sh]) => {
    const size = sh.reduce((a, b) => a * b, 1);
    return [n, n.endsWith('norm.weight') ? rng.uniforms(size, 0.5, 1.5) : rng.normals(size, 0.5)];
  }));
}

function tinyAdapters(w: LlamaWeights, seed: number, modules: string[], r = 2, scaling = 1.5): LlamaAdapters {
  const rng = new Rng(seed);
  return Object.fromEntries(modules.map((m) => {
    const { dIn, dOut } = llamaLinear(tiny, w, m);
    return [m, { r, scaling, A: Float64Array.from(rng.normals(r * dIn, 0.5)), B: Float64Array.from(rng.normals(dOut * r, 0.5)) }];
  }));
}

describe('llama LoRA reference on a tiny random model', () => {
  const w = tinyModel(21);
  // adapters in both layers, on attention and MLP, on k_proj (grouped heads) and on lm_head
  const adapters = tinyAdapters(w, 22, ['model.layers.0.self_attn.k_proj', 'model.layers.0.mlp.down_proj', 'model.layers.1.self_attn.q_proj', 'model.layers.1.mlp.gate_proj', 'lm_head']);
  const windows = [[1, 4, 0, 6, 2], [3, 3, 5, 0, 1]];

  it('every dA and dB matches central finite differences of the loss', () => {
    const { grads } = llamaLoraLossGrad(tiny, w, adapters, windows);
    for (const [m, f] of Object.entries(adapters)) {
      const lossWith = (over: Partial<typeof f>) => llamaLoraLossGrad(tiny, w, { ...adapters, [m]: { ...f, ...over } }, windows).loss;
      const tol = { atol: 1e-8, rtol: 1e-6 };
      assertClose(grads[m].dA, numericGrad((A) => lossWith({ A }), f.A), tol, `${m} dA`);
      assertClose(grads[m].dB, numericGrad((B) => lossWith({ B }), f.B), tol, `${m} dB`);
    }
  });

  it('with every B zero it is the base model', () => {
    const zeroB: LlamaAdapters = Object.fromEntries(Object.entries(adapters).map(([m, f]) => [m, { ...f, B: new Float64Array(f.B.length) }]));
    const tokens = [2, 5, 1, 0, 4];
    const got = llamaForwardLora(tiny, w, zeroB, tokens);
    expect([...got]).toEqual([...llamaForwardLora(tiny, w, {}, tokens)]);
    // llamaForward rounds its activations to float32
    assertClose(got, llamaForward(tiny, w, tokens), { atol: 1e-5, rtol: 1e-4 }, 'float32 forward');
  });

  it('refuses an adapter on no module, or of the wrong shape', () => {
    const f = adapters['lm_head'];
    expect(() => llamaForwardLora(tiny, w, { 'model.layers.0.mlp.q_proj': f }, [1])).toThrow(/not a linear module/);
    expect(() => llamaForwardLora(tiny, w, { 'model.layers.0.mlp.up_proj': f }, [1])).toThrow(/lora_B has 14 values, expected 6x2/);
    expect(() => llamaLoraLossGrad(tiny, w, {}, [[1, 2], [1, 2, 3]])).toThrow(/same length/);
  });
});

describe('mergeAdapters', () => {
  const c = golden.cases[0];
  const adapters = adaptersOf(c);
  const merged = mergeAdapters(shape, weights, adapters);
  const tokens = c.windows[1];

  it('changes exactly the adapted modules', () => {
    const changed = Object.keys(weights).filter((k) => merged[k] !== weights[k]);
    expect(changed.sort()).toEqual(Object.keys(adapters).map((m) => `${m}.weight`).sort());
  });

  it("the merged model's forward is the adapted one (up to the merged weights' float32 rounding)", () => {
    const want = llamaForwardLora(shape, weights, adapters, tokens);
    assertClose(llamaForwardLora(shape, merged, {}, tokens), want, { atol: 1e-5, rtol: 1e-5 }, 'float64 forward');
    assertClose(llamaForward(shape, merged, tokens), want, { atol: 1e-5, rtol: 1e-4 }, 'float32 forward');
  });
});
