/**
 * The worker's export (exportDownload): the zip holds the same files as the pure bundle builder makes
 * from the CPU reference's outputs, except that test_cases.json carries the GPU's outputs, which must
 * agree with the CPU forward within the format's tolerance; the merged file is byte for byte the pure one.
 */
import { describe, expect, it } from 'vitest';
import { unzipSync } from 'fflate';
import { exportDownload } from './exportBundle';
import { bundleFiles, mergedFile } from '../export/bundle';
import { CASE_TOLERANCE } from '../export/testCases';
import { fakeRun, smallConfig } from '../test/exportRun';
import { testDevice } from '../test/gpu';
import { assertClose } from '../test/compare';

describe('export built in the worker', () => {
  it.each(['lora', 'fft'] as const)('%s: bundle and merged weights', async (mode) => {
    const device = await testDevice();
    const run = fakeRun(smallConfig({ mode }));
    const request = { source: run, version: run.version, created: run.created.getTime() };

    const zip = await exportDownload(device, { kind: 'bundle', ...request });
    expect(zip.type).toBe('application/zip');
    expect(zip.name).toMatch(/^lora-lab_.*\.zip$/);
    const got = unzipSync(zip.bytes);
    const want = bundleFiles(run);
    expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
    for (const path of Object.keys(want)) if (path !== 'test_cases.json') expect(got[path], path).toEqual(want[path]);
    const cases = JSON.parse(new TextDecoder().decode(got['test_cases.json']));
    expect(cases.inputs.flat()).toEqual(Array.from(run.cases.inputs));
    assertClose(Float32Array.from(cases.base_outputs.flat()), run.cases.base, CASE_TOLERANCE, 'base outputs');
    assertClose(Float32Array.from(cases.adapted_outputs.flat()), run.cases.adapted, CASE_TOLERANCE, 'adapted outputs');

    const merged = await exportDownload(device, { kind: 'merged', ...request });
    expect(merged.name).toMatch(/_merged\.safetensors$/);
    expect(merged.bytes).toEqual(mergedFile(run.config, run.base, run.tensors, run.version));
  });
});
