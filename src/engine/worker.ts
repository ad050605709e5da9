/// <reference lib="webworker" />
/** The engine's Web Worker: owns the GPU device and the current run; no React, no DOM. */
import { acquireGpu, GpuError, type Gpu } from '../gpu/device';
import { bufferBytes } from '../gpu/buffers';
import type { FromEngine, ToEngine } from './protocol';
import { checkMemory, inFlightFor, RunLoop, type RunSink } from './runLoop';
import { loadTask } from './loadTask';
import { generateText, mergedWeights } from './lmText';
import { loadBaseModel } from '../tasks/llamaAssets';
import { evaluateTensors } from './evaluate';
import { exportDownload } from './exportBundle';
import { SweepRunner } from './sweep';
import { calibrate } from './calibrate';

const post = (m: FromEngine) => (self as unknown as DedicatedWorkerGlobalScope).postMessage(m);
let gpu: Gpu | null = null;
let session: RunLoop | null = null;
let sweep: { id: string; runner: SweepRunner } | null = null;
/** Bytes one run's (or sweep group's) buffers may take in all, as the page states it. */
let memoryBudget: number | undefined;
/** The user's own fine-tuning text, once the page sent it. */
let userText: Uint8Array | undefined;
/** Whether a device of this worker was lost (a later refusal of a new adapter is explained by it). */
let deviceLost = false;

function reportError(e: unknown): void {
  if (e instanceof GpuError) post({ type: 'error', kind: e.kind, message: e.message });
  else post({ type: 'error', kind: 'engine', message: e instanceof Error ? e.message : String(e) });
}

function onGpuError(e: GpuError): void {
  reportError(e);
  if (e.kind === 'device-lost') {
    deviceLost = true;
    // The run cannot go on without its buffers; say so, keep what was already posted.
    if (session) post({ type: 'status', runId: session.runs[0].runId, status: { state: 'failed', step: session.step, stepsPerSec: 0, message: e.message } });
    session = null;
    // The sweep's runner stops at once, and neither it nor the run's loop posts anything more: what
    // they would still say (a failed readback, a loss read off a dead device) is not the runs' training.
    sweep?.runner.cancel();
    sweep = null;
    deviceEpoch++;
    gpu = null;
  }
}

async function ensureGpu(): Promise<Gpu> {
  try {
    gpu ??= await acquireGpu({ onError: onGpuError });
  } catch (e) {
    // Chromium gives a page no adapter after repeated GPU crashes until it is loaded again
    if (e instanceof GpuError && e.kind === 'no-adapter' && deviceLost)
      throw new GpuError('no-adapter', 'The browser gives no new GPU adapter since the GPU device was lost (it does so after repeated GPU crashes). Finished runs are kept: reload the page to get a GPU again.');
    throw e;
  }
  return gpu;
}

/**
 * The device for a request that the page waits on through its status (a run, a sweep): when there is
 * none (after a loss the browser may refuse a new adapter for a while), `ended` tells the page that
 * the request is over before the error is reported, so no run stays 'building' and no sweep 'running'.
 */
async function gpuFor(ended: (why: string) => void): Promise<Gpu> {
  try {
    return await ensureGpu();
  } catch (e) {
    ended(e instanceof Error ? e.message : String(e));
    throw e;
  }
}

/** Counts the devices lost so far: a run or sweep posts only while the device it was built on lives. */
let deviceEpoch = 0;

/** The messages of a run loop or sweep runner built now: they stop when this device is lost. */
function liveSink(): RunSink & { live: () => boolean; post: (m: FromEngine) => void } {
  const epoch = deviceEpoch;
  const live = () => epoch === deviceEpoch;
  return {
    live,
    post: (m) => live() && post(m),
    metrics: (runId, points) => live() && post({ type: 'metrics', runId, points }),
    status: (runId, status) => live() && post({ type: 'status', runId, status }),
    weights: (runId, tensors) => live() && (self as unknown as DedicatedWorkerGlobalScope).postMessage({ type: 'weights', runId, tensors } satisfies FromEngine, Object.values(tensors).map((t) => t.buffer)),
    inspect: (runId, point) => live() && post({ type: 'inspect', runId, point }),
  };
}

async function handle(msg: ToEngine): Promise<void> {
  switch (msg.type) {
    case 'init': {
      const g = await ensureGpu();
      post({ type: 'ready', adapter: g.summary });
      break;
    }
    case 'start': {
      if (session) {
        await session.pause();
        await session.postWeights();
        session.destroy();
        session = null;
      }
      const g = await gpuFor((message) => post({ type: 'status', runId: msg.runId, status: { state: 'failed', step: 0, stepsPerSec: 0, message } }));
      post({ type: 'status', runId: msg.runId, status: { state: 'building', step: 0, stepsPerSec: 0 } });
      const before = bufferBytes(g.device).created;
      try {
        checkMemory(g.device, [msg.config], memoryBudget); // before building the task
        const task = await loadTask(msg.config, userText);
        session = new RunLoop(g.device, [{ runId: msg.runId, config: msg.config }], task, liveSink(), msg.initTensors, inFlightFor(g.summary), 'live', memoryBudget);
      } catch (e) {
        // a refused or failed build says how many bytes it had allocated (0 when refused beforehand)
        const gpuBytes = bufferBytes(g.device).created - before;
        post({ type: 'status', runId: msg.runId, status: { state: 'failed', step: 0, stepsPerSec: 0, message: String(e instanceof Error ? e.message : e), gpuBytes } });
        return;
      }
      if (msg.paused) post({ type: 'status', runId: msg.runId, status: { state: 'paused', step: 0, stepsPerSec: 0 } });
      else session.play();
      break;
    }
    case 'memory-budget':
      memoryBudget = msg.bytes;
      break;
    case 'pause':
      await session?.pause();
      break;
    case 'resume':
      session?.play();
      break;
    case 'step':
      await session?.singleStep();
      break;
    case 'stop':
      if (session) {
        await session.stop();
        await session.postWeights();
        session.destroy();
        session = null;
      }
      break;
    case 'live':
      session?.updateLive(session.runs[0].runId, msg.config);
      break;
    case 'inspect-module':
      session?.inspectModule(msg.module);
      break;
    case 'sweep': {
      const g = await gpuFor(() => post({ type: 'sweep-done', sweepId: msg.sweepId, cancelled: true }));
      if (sweep) sweep.runner.cancel();
      const out = liveSink();
      const runner = new SweepRunner(g.device, msg.runs, {
        ...out,
        progress: (done, total, adapterStepsPerSec, etaSec) => out.post({ type: 'sweep-progress', sweepId: msg.sweepId, done, total, adapterStepsPerSec, etaSec }),
      }, inFlightFor(g.summary), userText, memoryBudget);
      const current = { id: msg.sweepId, runner };
      sweep = current;
      // not awaited: the queue stays free for 'cancel-sweep'
      void runner
        .run()
        .then((complete) => out.post({ type: 'sweep-done', sweepId: msg.sweepId, cancelled: !complete }))
        .catch((e) => out.live() && reportError(e))
        .finally(() => {
          if (sweep === current) sweep = null;
        });
      break;
    }
    case 'cancel-sweep':
      if (sweep?.id === msg.sweepId) sweep.runner.cancel();
      break;
    case 'text':
      userText = msg.bytes ?? undefined;
      break;
    case 'sample': {
      try {
        const g = await ensureGpu();
        if (msg.config.task !== 'lm') throw new Error('text samples need the language-model task');
        // a sample needs the base weights only, not the fine-tuning text and its checks
        const task = await loadBaseModel();
        const tensors = msg.live ? ((await session?.currentWeights())?.[0] ?? null) : (msg.tensors ?? null);
        if (msg.live && !tensors) throw new Error('no run is training');
        const weights = mergedWeights(msg.config, task.shape, task.weights, tensors);
        const tokens = await generateText(g.device, task.shape, weights, { prompt: msg.prompt, count: msg.count, temperature: msg.temperature, topK: msg.topK, seed: msg.seed });
        post({ type: 'sample-result', requestId: msg.requestId, tokens });
      } catch (e) {
        post({ type: 'sample-error', requestId: msg.requestId, message: e instanceof Error ? e.message : String(e) });
      }
      break;
    }
    case 'calibrate': {
      try {
        const g = await ensureGpu();
        post({ type: 'calibrate-result', requestId: msg.requestId, stepsPerSec: await calibrate(g.device, msg.config) });
      } catch (e) {
        post({ type: 'calibrate-result', requestId: msg.requestId, stepsPerSec: NaN, message: e instanceof Error ? e.message : String(e) });
      }
      break;
    }
    case 'evaluate': {
      try {
        const g = await ensureGpu();
        post({ type: 'evaluate-result', requestId: msg.requestId, evaluation: await evaluateTensors(g.device, msg.config, msg.tensors, userText) });
      } catch (e) {
        post({ type: 'evaluate-error', requestId: msg.requestId, message: e instanceof Error ? e.message : String(e) });
      }
      break;
    }
    case 'export': {
      try {
        const g = await ensureGpu();
        const download = await exportDownload(g.device, msg, userText);
        (self as unknown as DedicatedWorkerGlobalScope).postMessage({ type: 'export-result', requestId: msg.requestId, download } satisfies FromEngine, [download.bytes.buffer]);
      } catch (e) {
        post({ type: 'export-error', requestId: msg.requestId, message: e instanceof Error ? e.message : String(e) });
      }
      break;
    }
  }
}

// Messages are handled one at a time, in order, so a 'start' never interleaves with a 'pause'.
let queue: Promise<void> = Promise.resolve();
self.onmessage = (ev: MessageEvent<ToEngine>) => {
  queue = queue.then(() => handle(ev.data)).catch(reportError);
};
