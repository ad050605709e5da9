import { defineConfig } from '@playwright/test';
import { launchOptions } from './scripts/browser.mjs';

// End-to-end tests drive the BUILT page (vite preview) in Chromium with WebGPU, as a person would.
// E2E_PORT lets two checkouts test side by side on one machine.
const PORT = Number(process.env.E2E_PORT ?? 4173);
export default defineConfig({
  testDir: 'e2e',
  timeout: 240_000,
  expect: { timeout: 60_000 },
  workers: 1,
  retries: 0,
  reporter: [['list'], ['json', { outputFile: 'reports/playwright.json' }]],
  use: {
    baseURL: `http://localhost:${PORT}`,
    launchOptions: launchOptions(),
    acceptDownloads: true,
  },
  webServer: {
    command: `npx vite build --logLevel warn && npx vite preview --port ${PORT} --strictPort`,
    url: `http://localhost:${PORT}`,
    reuseExistingServer: !process.env.CI,
    timeout: 180_000,
  },
});
