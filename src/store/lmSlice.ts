/**
 * The language model's page state: the user's own fine-tuning text (checked here, sent to the engine
 * once; it never leaves the page) and the text samples: the current run's continuation of a prompt
 * next to the base model's for the same prompt and seed, refreshed while it trains, and a generation
 * from a finished run. Samples are requested from the engine (src/engine/lmText.ts on the GPU).
 */
import { DEFAULT_CONFIG } from '../config/schema';
import { checkText } from '../tasks/textData';
import { errorText, request, type LabContext, type SliceCreator } from './context';
import { isActive } from './runsSlice';

export interface SampleSettings {
  prompt: string;
  /** 0 = greedy. */
  temperature: number;
  /** Sample among the k most likely bytes only; 0 = all. */
  topK: number;
  /** New bytes per sample. */
  length: number;
  seed: number;
}

export interface SampleText {
  text: string;
  /** The run's step when the sample was taken (live samples), or null. */
  step: number | null;
  /** The settings it was made with (the base's is recomputed only when they change). */
  key: string;
}

export interface LmSlice {
  userText: { name: string; bytes: number } | null;
  sampleSettings: SampleSettings;
  samples: { base: SampleText | null; tuned: SampleText | null; busy: boolean; error: string | null };
  /** Check and keep the user's text; a refused text changes nothing and says why. Returns the refusal or null. */
  setUserText(bytes: Uint8Array, name: string): string | null;
  setSampleSettings(patch: Partial<SampleSettings>): void;
  /** Sample the current run (its weights now, or its trained tensors once it ended) and, if its settings changed, the base. */
  sample(): Promise<void>;
}

export const DEFAULT_SAMPLES: SampleSettings = { prompt: 'ROMEO:\n', temperature: 0.8, topK: 0, length: 32, seed: 1 };

const decode = (tokens: number[]) => new TextDecoder('utf-8', { fatal: false }).decode(Uint8Array.from(tokens));

async function sampled(ctx: LabContext, make: Omit<Extract<import('../engine/protocol').ToEngine, { type: 'sample' }>, 'type' | 'requestId'>): Promise<number[]> {
  const m = await request(ctx, (requestId) => ({ type: 'sample', requestId, ...make }));
  if (m.type === 'sample-result') return m.tokens;
  throw new Error(m.type === 'sample-error' ? m.message : `unexpected reply ${m.type}`);
}

export const createLmSlice: SliceCreator<LmSlice> = (set, get, ctx) => ({
  userText: null,
  sampleSettings: DEFAULT_SAMPLES,
  samples: { base: null, tuned: null, busy: false, error: null },
  setUserText: (bytes, name) => {
    try {
      checkText(bytes, get().config.seqLen, name);
    } catch (e) {
      const why = errorText(e);
      get().notify(why);
      return why;
    }
    ctx.send({ type: 'text', bytes });
    set({ userText: { name, bytes: bytes.length } });
    return null;
  },
  setSampleSettings: (patch) => set((s) => ({ sampleSettings: { ...s.sampleSettings, ...patch } })),
  sample: async () => {
    const s = get();
    if (s.samples.busy) return;
    const run = s.runs.find((r) => r.id === s.currentId);
    const cfg = run?.config ?? s.config;
    if (cfg.task !== 'lm') return;
    const st = s.sampleSettings;
    const prompt = [...new TextEncoder().encode(st.prompt)];
    const key = JSON.stringify(st);
    const req = { config: { ...DEFAULT_CONFIG, ...cfg }, prompt, count: st.length, temperature: st.temperature, topK: st.topK, seed: st.seed };
    set((x) => ({ samples: { ...x.samples, busy: true, error: null } }));
    try {
      if (prompt.length === 0) throw new Error('the prompt is empty');
      if (get().samples.base?.key !== key) {
        const base = decode(await sampled(ctx, req));
        set((x) => ({ samples: { ...x.samples, base: { text: base, step: null, key } } }));
      }
      if (!run && ctx.importTensors && s.imported?.config.task === 'lm') {
        // an imported adapter, before any run: sample it as it is
        const tuned = decode(await sampled(ctx, { ...req, config: s.imported.config, tensors: ctx.importTensors }));
        set((x) => ({ samples: { ...x.samples, tuned: { text: tuned, step: null, key } } }));
      }
      if (run) {
        const live = isActive(run);
        const tensors = live ? undefined : ctx.runTensors.get(run.id);
        if (live || tensors) {
          const step = run.points.at(-1)?.step ?? 0;
          const tuned = decode(await sampled(ctx, { ...req, config: run.config, live, tensors }));
          set((x) => ({ samples: { ...x.samples, tuned: { text: tuned, step: live ? step : null, key } } }));
        }
      }
    } catch (e) {
      set((x) => ({ samples: { ...x.samples, error: errorText(e) } }));
    } finally {
      set((x) => ({ samples: { ...x.samples, busy: false } }));
    }
  },
});
