/**
 * test_cases.json of a language-model export ("lora-lab-lm-cases/1"): token ids with the logits the page
 * computed for them with the adapter applied, and the page's greedy continuation of a prompt, so that
 * PEFT in PyTorch (load_adapter.py --check, scripts/interop/check_lm_bundle.py) can be checked against it.
 * Tokens are bytes: id = byte value of the UTF-8 text (the shipped base has no tokenizer).
 */
import type { LlamaShape } from '../ref/llama';
import { CASE_TOLERANCE } from './testCases';

export const LM_CASES_FORMAT = 'lora-lab-lm-cases/1';
export { CASE_TOLERANCE };

export interface LmCase {
  tokens: number[];
  logits: Float32Array; // (tokens.length, vocab)
}

export interface LmGeneration {
  prompt: string;
  tokens: number[]; // the new token ids, greedy
}

/** The shortest decimal that reads back as the same float32 (halves the file against full doubles). */
export function f32Text(x: number): number {
  for (let p = 6; p < 9; p++) {
    const y = Number(x.toPrecision(p));
    if (Math.fround(y) === x) return y;
  }
  return Number(x.toPrecision(9));
}

const utf8 = new TextEncoder();

function checkTokens(what: string, tokens: readonly number[], vocab: number): void {
  const bad = tokens.find((t) => !Number.isInteger(t) || t < 0 || t >= vocab);
  if (bad !== undefined) throw new Error(`test cases: ${what} holds token ${bad}, outside the vocabulary 0..${vocab - 1}`);
}

/** The file's text: one logits row per line so that it stays readable. */
export function lmTestCasesJson(shape: LlamaShape, cases: readonly LmCase[], gen: LmGeneration): string {
  const V = shape.vocab;
  if (cases.length === 0) throw new Error('test cases: none; an export needs at least one sequence with its logits');
  const caseText = cases.map((c, i) => {
    const T = c.tokens.length;
    if (T < 1 || T > shape.context) throw new Error(`test cases: case ${i} has ${T} tokens; the model takes 1..${shape.context}`);
    checkTokens(`case ${i}`, c.tokens, V);
    if (c.logits.length !== T * V) throw new Error(`test cases: case ${i} has ${c.logits.length} logits, expected tokens x vocab = ${T} x ${V}`);
    const bad = c.logits.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0) throw new Error(`test cases: case ${i} logit [${Math.floor(bad / V)}][${bad % V}] is ${c.logits[bad]}; the run's weights are not usable (did it diverge?)`);
    const rows = Array.from({ length: T }, (_, t) => `        ${JSON.stringify(Array.from(c.logits.subarray(t * V, (t + 1) * V), f32Text))}`);
    return `    {\n      "tokens": ${JSON.stringify(c.tokens)},\n      "logits": [\n${rows.join(',\n')}\n      ]\n    }`;
  });
  const prompt = [...utf8.encode(gen.prompt)];
  if (prompt.length === 0) throw new Error('test cases: the generation prompt is empty');
  checkTokens('the generation prompt', prompt, V);
  checkTokens('the generated text', gen.tokens, V);
  // transformers' generate() runs past the context on positions the model never saw; the page slides its
  // window instead. Inside the context both are the same computation, so the check stays inside it.
  if (prompt.length + gen.tokens.length > shape.context) {
    throw new Error(`test cases: prompt (${prompt.length} tokens) and continuation (${gen.tokens.length}) exceed the model's context of ${shape.context}`);
  }
  const generation = {
    prompt: gen.prompt,
    prompt_tokens: prompt,
    tokens: gen.tokens,
    text: new TextDecoder().decode(Uint8Array.from(gen.tokens)),
    greedy: true,
  };
  const head = {
    format: LM_CASES_FORMAT,
    model: { arch: 'LlamaForCausalLM', base: 'base', adapter: 'adapter', vocab: V, tokenizer: 'bytes (id = UTF-8 byte value)' },
    tolerance: { ...CASE_TOLERANCE },
  };
  const lines = Object.entries(head).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`);
  return `{\n${lines.join(',\n')},\n  "generation": ${JSON.stringify(generation)},\n  "cases": [\n${caseText.join(',\n')}\n  ]\n}\n`;
}
