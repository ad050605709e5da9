import { defineConfig } from 'vitest/config';
import { playwright } from '@vitest/browser-playwright';
import { launchOptions } from './scripts/browser.mjs';

// Two layers: `unit` runs pure modules in Node (CPU references, finite differences, WGSL validation);
// `gpu` runs kernel tests inside headless Chromium on its WebGPU adapter (SwiftShader in CI).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'scripts/**/*.test.{ts,mjs}'],
          exclude: ['src/**/*.gpu.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'gpu',
          include: ['src/**/*.gpu.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 120_000,
          fileParallelism: false,
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            provider: playwright({ launchOptions: launchOptions() }),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
    ],
  },
});
