import { test, expect } from './fixtures';

test('the page shows the WebGPU adapter it got, without console errors', async ({ page, consoleErrors }) => {
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'LoRA Lab' })).toBeVisible();
  const info = page.getByTestId('adapter-info');
  await expect(info).toBeVisible();
  // In CI this is SwiftShader; on a real machine some other adapter. Either way, fields are filled in.
  await expect(info.locator('[data-field="architecture"]')).not.toHaveText('');
  await expect(info.locator('[data-field="fallback"]')).toHaveText(/yes|no/);
  expect(consoleErrors).toEqual([]);
});

// The wrapped engine worker is a blob: script, which the page's Content-Security-Policy (worker-src 'self')
// refuses: this test's page bypasses the policy (e2e/csp.spec.ts tests it).
test.describe(() => {
  test.use({ bypassCSP: true });
  test('without WebGPU the page says why and which browsers work', async ({ page }) => {
    await page.addInitScript(() => {
      Object.defineProperty(navigator, 'gpu', { value: undefined, configurable: true });
      // The engine runs in a worker; hide WebGPU there too.
      const W = window.Worker;
      window.Worker = class extends W {
        constructor(url: string | URL, opts?: WorkerOptions) {
          // A static import: the engine module is evaluated (and sets onmessage) before any message is
          // delivered; the shim's own body then hides WebGPU before the engine's 'init' looks for it.
          const shim = `import ${JSON.stringify(new URL(String(url), location.href).href)}; Object.defineProperty(self.navigator, 'gpu', { value: undefined });`;
          super(URL.createObjectURL(new Blob([shim], { type: 'text/javascript' })), opts);
        }
      } as typeof Worker;
    });
    await page.goto('/');
    const alert = page.getByRole('alert');
    await expect(alert).toContainText('WebGPU');
    await expect(alert).toContainText(/Chrome|Edge/);
  });
});
