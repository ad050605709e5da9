/**
 * The page's adapter import against real PEFT 0.21 on over a thousand seeded mutations of real exports
 * (src/test/adapterMutations.ts, zipMutations.ts): the page must accept a folder if and only if PEFT
 * loads it with the meaning the page gives it. scripts/interop/peft_verdict.py loads every folder with
 * PeftModel.from_pretrained on the right base (the toy MLP, the shipped language model) and measures
 * what PEFT made of it; the page's reading (s B A per module) goes beside each folder it accepted.
 *   page accepts: PEFT must load every tensor of the file, fill every LoRA parameter from it, act as
 *                 W + delta on every linear module, and its deltas must equal the page's.
 *   page refuses: PEFT must raise, or load something else (missing factors left at a fresh init, a
 *                 model that is not W + delta, e.g. NaN outputs), or the case must be one of the
 *                 documented stricter refusals below, each with its reason.
 * Zip-level cases have no PEFT counterpart: one holding a single adapter folder must import as that
 * folder; every other must be refused with an ImportError, no crash, without inflating past the cap.
 * Every refusal's message must name the field, tensor or entry. Skips without .venv, except in CI.
 */
import { describe, expect, it } from 'vitest';
import { rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { scalingFactor } from '../config/schema';
import { BASE_SHAPE } from '../tasks/llamaBase';
import { toyModel } from '../tasks/toyModel';
import { importAdapter, ImportError } from './importAdapter';
import { importLmAdapterFiles } from './importLmAdapter';
import { lmScaling } from './lmPeftFormat';
import { mergeLora } from './peftFormat';
import { writeSafetensors, type WriteTensor } from './safetensors';
import { adapterMutations, type MutationCase } from '../test/adapterMutations';
import { zipMutations } from '../test/zipMutations';
import { lmBaseFolder, sources, TOY_PAGE, toyBase } from '../test/adapterSources';
import { needPython, runPython, writeTempFolder } from '../test/python';

type Page = { ok: true; deltas: WriteTensor[] } | { ok: false; message: string; crash: boolean };

interface Peft {
  id: string;
  loaded: boolean;
  error?: string;
  missing?: string[];
  unused?: string[];
  linear?: boolean;
  adapted?: string[];
  delta_diff?: number;
  delta_scale?: number;
  base_changed?: string[];
}

const delta = (name: string, A: Float32Array, B: Float32Array, r: number, s: number): WriteTensor => {
  const dIn = A.length / r;
  const dOut = B.length / r;
  return { name: `${name}.weight`, shape: [dOut, dIn], data: mergeLora(new Float32Array(dOut * dIn), A, B, dOut, dIn, r, s) };
};

/** The page's verdict through the functions the page's import calls (store/importSlice.ts). */
function pageVerdict(c: MutationCase): Page {
  try {
    if (c.base === 'toy') {
      const a = importAdapter(c.drop, TOY_PAGE);
      const mods = toyModel(a.config).modules;
      const s = scalingFactor(a.config);
      return { ok: true, deltas: a.config.targets.map((i) => delta(mods[i].name, a.tensors[`A${i}`], a.tensors[`B${i}`], a.config.r, s)) };
    }
    const a = importLmAdapterFiles(c.drop, BASE_SHAPE);
    return { ok: true, deltas: Object.entries(a.adapters).map(([name, f]) => delta(name, f.A, f.B, a.r, lmScaling(a))) };
  } catch (e) {
    return { ok: false, message: (e as Error).message ?? String(e), crash: !(e instanceof ImportError) };
  }
}

/** PEFT loaded the folder as plain LoRA on the file's tensors, all of them, nothing left at a fresh init. */
const clean = (p: Peft) => p.loaded && !p.missing!.length && !p.unused!.length && p.linear! && !p.base_changed?.length;
const otherMeaning = (p: Peft) =>
  !p.loaded ? 'PEFT raises'
  : p.missing!.length ? `PEFT leaves ${p.missing![0]} at a fresh init`
  : p.base_changed?.length ? `PEFT changes the base weight of ${p.base_changed[0]} on load`
  : !p.linear ? `PEFT makes a model that is not W + delta (NaN, biases, DoRA, ...)${p.error ? `: ${p.error}` : ''}`
  : null;

/**
 * Where the page refuses what PEFT loads as plain LoRA (or loads ignoring some of the file's tensors):
 * each is stricter on purpose, for the reason given; matched on the page's message.
 */
const STRICTER: { reason: string; match: (c: MutationCase, p: Peft, message: string) => boolean }[] = [
  { reason: 'a value of the wrong JSON type (a number or a string for a boolean, a list for a name, ...) that PEFT reads by Python truthiness or duck typing: the file is malformed and what PEFT makes of it is an accident', match: (c, _p, m) => c.family.startsWith('config.') && / must be (true or false|a positive|a number|an object|a layer index|a name or|null or one of|true, false|a non-empty list)/.test(m) },
  { reason: "lora_alpha or lora_dropout outside the ranges LoRA Lab trains with (lora_alpha 0.01..4096, lora_dropout 0..0.9): PEFT loads them, but the page could not train the adapter further", match: (_c, _p, m) => /do not fit LoRA Lab|lora_dropout must be a number in \[0, 1\) \(got 1\)/.test(m) },
  { reason: 'rank_pattern / alpha_pattern with entries (even ones that match no module or repeat the global value): LoRA Lab has one r and one lora_alpha, and does not evaluate PEFT\'s pattern keys', match: (_c, _p, m) => /per-layer (ranks|alphas)/.test(m) },
  { reason: "layers_to_transform on the toy MLP: its module names (layers.<i>) carry no layer index in PEFT's sense, so what PEFT selects depends on its regex internals; the page asks for the layers in target_modules", match: (_c, _p, m) => /layers_to_transform is set: list the layers/.test(m) },
  { reason: 'target_modules naming modules the file has no factors for, or no module at all: PEFT would adapt them from a fresh init, or skip the name; the page takes a config that says exactly what the file holds', match: (_c, _p, m) => /target_modules (names|\[.*\] does not name)|which is no module of the base model/.test(m) },
  { reason: 'tensors PEFT silently ignores (no parameter of that name, an excluded module, a factor of a module target_modules does not select): the page refuses a file holding tensors it cannot place', match: (_c, p) => !!p.unused?.length },
  { reason: 'integer or boolean LoRA factors: PEFT casts them to float, but no trainer writes them; the page takes F32, F16, BF16 and F64', match: (_c, _p, m) => /has dtype (I\d+|U\d+|BOOL)/.test(m) },
  { reason: "tensor keys holding the adapter name (lora_A.default.weight): PEFT's save_pretrained never writes them (it strips the name), and the page reads the saved layout only", match: (_c, _p, m) => /unexpected tensor \S+\.default\.weight/.test(m) },
  { reason: "a LoRA Lab export whose metadata records another base model (width, layers, input or output size): PEFT ignores metadata, the page says which settings to change", match: (_c, _p, m) => /trained on a base model with/.test(m) },
  { reason: 'task_type other than CAUSAL_LM for the language model: PEFT wraps the model for another task (a classification or feature head), which is not the model the page runs', match: (_c, _p, m) => /the language model takes adapters for "CAUSAL_LM"/.test(m) },
  { reason: "modules_to_save, exclude_modules and the other LoraConfig options LoRA Lab does not implement, set to values that happen to change nothing for this base (e.g. naming no module): the page refuses any non-default value of them", match: (_c, _p, m) => /modules_to_save is set|is set \(.*\): it |use_qalora is true/.test(m) },
];

const mentions = (message: string, names: string[]) => names.length === 0 || names.some((n) => message.includes(n));

describe('adapter import verdicts against real PEFT 0.21', () => {
  it('accepts exactly what PEFT loads with the same meaning, over 1,000 mutations of real exports', (ctx) => {
    const py = needPython(ctx);
    const t0 = performance.now();
    const srcs = sources();
    const folderCases = adapterMutations(srcs);
    const cases = [...folderCases, ...zipMutations(srcs, folderCases.length)];
    const page = new Map(cases.map((c) => [c.id, pageVerdict(c)]));
    const tPage = performance.now();

    const root = writeTempFolder({}, 'lora-lab-verdicts-');
    ctx.onTestFinished(() => rmSync(root, { recursive: true, force: true }), 60_000);
    const toy = toyBase();
    writeFileSync(join(root, 'toy_base.safetensors'), toy.weights);
    writeFileSync(join(root, 'bases.json'), JSON.stringify({ toy: { sizes: toy.sizes, activation: toy.activation, weights: join(root, 'toy_base.safetensors') }, lm: { folder: lmBaseFolder() } }));
    for (const c of cases) {
      if (!c.folder) continue;
      const dir = join(root, c.id);
      mkdirSync(dir);
      writeFileSync(join(dir, 'case.json'), JSON.stringify({ base: c.base }));
      writeFileSync(join(dir, 'adapter_config.json'), c.folder.config);
      writeFileSync(join(dir, 'adapter_model.safetensors'), c.folder.model);
      const v = page.get(c.id)!;
      if (v.ok) writeFileSync(join(dir, 'page_delta.safetensors'), writeSafetensors(v.deltas));
    }
    const r = runPython(py, ['scripts/interop/peft_verdict.py', root], undefined, 300_000);
    expect(r.code, r.out.slice(-3000)).toBe(0);
    const peft = new Map(r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Peft).map((p) => [p.id, p]));
    const tPeft = performance.now();

    const agree: string[] = [];
    const stricter = new Map<string, string[]>();
    const disagree: string[] = [];
    const vague: string[] = [];
    for (const c of cases) {
      const v = page.get(c.id)!;
      const label = `${c.id} ${c.family} ${c.what}`;
      if (!v.ok && (v.crash || !v.message || !mentions(v.message, c.mentions))) vague.push(`${label}: ${v.crash ? 'CRASH ' : ''}${v.message} (should name ${c.mentions.join(' or ')})`);
      if (c.zip === 'refuse') {
        (v.ok ? disagree : agree).push(`${label}: page ${v.ok ? 'accepts' : 'refuses'} (rule: refuse)`);
        continue;
      }
      const p = peft.get(c.id)!;
      expect(p, `${c.id} has no PEFT verdict`).toBeDefined();
      if (v.ok) {
        const same = clean(p) && p.delta_diff! <= 1e-5 + 1e-4 * p.delta_scale!;
        (same ? agree : disagree).push(`${label}: page accepts; PEFT ${clean(p) ? `loads it with deltas ${p.delta_diff} off the page's` : (otherMeaning(p) ?? `ignores ${p.unused}`)}${p.error ? `: ${p.error}` : ''}`);
        continue;
      }
      if (!clean(p) && otherMeaning(p)) {
        agree.push(label);
        continue;
      }
      const doc = STRICTER.find((d) => d.match(c, p, v.message));
      if (doc) stricter.set(doc.reason, [...(stricter.get(doc.reason) ?? []), label]);
      else disagree.push(`${label}: page refuses (${v.message}); PEFT loads it${p.unused?.length ? `, ignoring ${p.unused.join(', ')}` : ' as plain LoRA'} (adapted ${p.adapted?.join(', ')})`);
    }
    const nStricter = [...stricter.values()].reduce((a, l) => a + l.length, 0);
    console.log(`import verdicts: ${cases.length} cases (${folderCases.length} folders, ${cases.length - folderCases.length} zips), ${agree.length} agree with PEFT (or the zip rule), ${nStricter} documented stricter refusals, ${disagree.length} disagreements, ${vague.length} vague or crashing refusals; page ${((tPage - t0) / 1000).toFixed(1)} s, PEFT ${((tPeft - tPage) / 1000).toFixed(1)} s`);
    for (const [reason, list] of stricter) console.log(`  stricter (${list.length}): ${reason}`);
    expect(cases.length).toBeGreaterThanOrEqual(1000);
    expect(disagree.slice(0, 30)).toEqual([]);
    expect(vague.slice(0, 30)).toEqual([]);
  }, 300_000);
});
